"""Shipments: which carrier takes an order, and the status machine carriers report through.

::

    awaiting_handover --picked_up--> picked_up --in_transit--> in_transit --delivered--> delivered
                                         |                      |  ^   |
                                         +------ failed <-------+  +---+ (more scans)

``picked_up`` is when the carrier took the parcel: the order becomes ``shipped``. ``delivered``
is when the buyer had it: the order becomes ``delivered`` and its return window starts.
``failed`` is final: the parcel goes back to the merchant and the order is cancelled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from megasale.domain.errors import InvalidShipmentTransition

__all__ = [
    "DEFAULT_CARRIERS",
    "REPORTED",
    "Carrier",
    "Shipment",
    "ShipmentStatus",
    "check_shipment_transition",
    "choose_carrier",
]


class ShipmentStatus(StrEnum):
    AWAITING_HANDOVER = "awaiting_handover"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    FAILED = "failed"


#: the statuses a carrier may report through the webhook
REPORTED = frozenset(
    {
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.FAILED,
    }
)

_NEXT: Mapping[ShipmentStatus, frozenset[ShipmentStatus]] = {
    ShipmentStatus.AWAITING_HANDOVER: frozenset({ShipmentStatus.PICKED_UP}),
    ShipmentStatus.PICKED_UP: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.FAILED}
    ),
    ShipmentStatus.IN_TRANSIT: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.FAILED}
    ),
    ShipmentStatus.DELIVERED: frozenset(),
    ShipmentStatus.FAILED: frozenset(),
}


def check_shipment_transition(current: ShipmentStatus, target: ShipmentStatus) -> ShipmentStatus:
    """``target`` if a parcel that is ``current`` can be reported as ``target``."""
    if target not in _NEXT[current]:
        allowed = ", ".join(sorted(_NEXT[current])) or "nothing (final)"
        raise InvalidShipmentTransition(
            f"a shipment that is {current} cannot be reported {target}; it can be {allowed}"
        )
    return target


@dataclass(frozen=True, slots=True)
class Carrier:
    """A parcel carrier; ``prefix`` starts its tracking numbers."""

    carrier_id: str
    name: str
    prefix: str

    def tracking_number(self, order_id: str, salt: str) -> str:
        """A tracking number for ``order_id``: the prefix and 12 digits, unique with the salt."""
        digest = hashlib.sha256(f"{self.carrier_id}:{order_id}:{salt}".encode()).digest()
        return f"{self.prefix}{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


DEFAULT_CARRIERS = (
    Carrier("sf", "SF Express", "SF"),
    Carrier("zto", "ZTO Express", "ZT"),
    Carrier("yto", "YTO Express", "YT"),
    Carrier("jd", "JD Logistics", "JD"),
)


def choose_carrier(order_id: str, carriers: tuple[Carrier, ...]) -> Carrier:
    """Spread orders over carriers evenly and repeatably (the same order, the same carrier)."""
    digest = hashlib.sha256(order_id.encode()).digest()
    return carriers[int.from_bytes(digest[:4], "big") % len(carriers)]


@dataclass(frozen=True, slots=True)
class Shipment:
    order_id: str
    carrier_id: str
    tracking_number: str
    status: ShipmentStatus
    created_at: datetime
    status_at: datetime
    delivered_at: datetime | None = None
