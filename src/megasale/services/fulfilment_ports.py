"""The port the fulfilment use cases run over, and the records that cross it.

The SQLite adapter is :class:`megasale.storage.sqlite_fulfilment.SqliteFulfilment`. Each method
is one transaction: a redemption's check, its rate-limit bookkeeping and the order's move to
``collected`` commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from megasale.domain.fulfilment import PickupPolicy, StoreRecord
from megasale.domain.orders import Order
from megasale.domain.shipments import Carrier, Shipment, ShipmentStatus

__all__ = [
    "AgeBucket",
    "Backlog",
    "FulfilmentStore",
    "HandoverRow",
    "IssueCode",
    "OrderLogRow",
    "PickupRecord",
    "Redemption",
    "RedemptionOutcome",
    "StoreQueue",
    "StuckShipments",
    "WaitingItem",
]

#: ``issue(order_id) -> (salt, lookup_hash)``: how the adapter gets a pickup code's stored part
IssueCode = Callable[[str], tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class PickupRecord:
    """A pickup code's stored part: never the code itself, only what derives and finds it."""

    order_id: str
    store_id: str
    salt: str
    state: str  # waiting, collected, expired, cancelled
    issued_at: datetime
    expires_at: datetime
    collected_at: datetime | None
    collected_by: str | None


class RedemptionOutcome(StrEnum):
    COLLECTED = "collected"
    UNKNOWN_CODE = "unknown_code"
    ANOTHER_STORE = "another_store"
    ALREADY_COLLECTED = "already_collected"
    EXPIRED = "expired"
    NOT_WAITING = "not_waiting"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: RedemptionOutcome
    order: Order | None = None
    retry_after: timedelta | None = None
    limited_by: str | None = None  # "clerk" or "store" when rate limited
    other_store: str | None = None  # the store a code belongs to, when it is not the clerk's


@dataclass(frozen=True, slots=True)
class HandoverRow:
    order_id: str
    tracking_number: str
    shop_id: str
    ship_address: str
    units: int
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class WaitingItem:
    order_id: str
    since: datetime
    where: str  # the store, or the carrier


@dataclass(frozen=True, slots=True)
class AgeBucket:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class StoreQueue:
    store_id: str
    waiting: int
    oldest_at: datetime


@dataclass(frozen=True, slots=True)
class StuckShipments:
    status: ShipmentStatus
    older_than: timedelta
    count: int
    oldest: list[WaitingItem]


@dataclass(frozen=True, slots=True)
class Backlog:
    """What is still to deal with at ``at``; every list holds the oldest items first."""

    at: datetime
    unshipped_total: int
    unshipped_by_age: list[AgeBucket]
    unshipped_oldest: list[WaitingItem]
    pickups_waiting_total: int
    pickups_by_store: list[StoreQueue]
    stuck: list[StuckShipments]


@dataclass(frozen=True, slots=True)
class OrderLogRow:
    """One order line as the brief's order log has it (identifiers not yet pseudonymised)."""

    order_id: str
    created_at: datetime
    buyer_id: str
    shop_id: str
    sku_id: str
    quantity: int
    amount_fen: int
    subsidy_fen: int
    ip: str
    device_id: str | None
    payment_id: str | None
    address: str | None
    pickup_store_id: str | None
    picked_up_at: datetime | None


class FulfilmentStore(Protocol):
    # partner stores
    def import_stores(self, records: Sequence[StoreRecord]) -> int:
        """Add or update every store and its details in one transaction; how many."""
        ...

    def store_record(self, store_id: str) -> StoreRecord: ...

    # what happens after placement
    def dispatch_placed(
        self, at: datetime, issue: IssueCode, carriers: tuple[Carrier, ...], policy: PickupPolicy
    ) -> int:
        """Give each newly placed order its pickup code or shipment; how many events read.

        Reads ``order.placed`` events after this consumer's checkpoint, in one transaction with
        the checkpoint: a crash or a second process never issues anything twice.
        """
        ...

    def pickup_of(self, order_id: str) -> PickupRecord: ...

    def redeem(
        self, clerk_id: str, store_id: str, lookup_hash: bytes, at: datetime, policy: PickupPolicy
    ) -> Redemption:
        """Redeem a code once; a wrong code is counted against the clerk and the store."""
        ...

    def expire_pickups(self, at: datetime, limit: int) -> list[str]:
        """Cancel (stock and subsidy back) up to ``limit`` pickups past their expiry."""
        ...

    # shipping
    def shipment_of(self, order_id: str) -> Shipment: ...

    def record_carrier_event(
        self,
        carrier_id: str,
        event_id: str,
        tracking_number: str,
        status: ShipmentStatus,
        at: datetime,
        received_at: datetime,
    ) -> Shipment:
        """Apply a carrier's status report once per ``(carrier_id, event_id)``."""
        ...

    def handover_rows(self, carrier_id: str) -> list[HandoverRow]: ...

    # the backlog and the order log
    def backlog(
        self, at: datetime, stuck_after: Mapping[ShipmentStatus, timedelta], oldest: int
    ) -> Backlog: ...

    def order_log(self, chunk: int) -> Iterator[list[OrderLogRow]]:
        """Every order line, in order id order, a chunk at a time from one snapshot."""
        ...
