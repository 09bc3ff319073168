"""Fulfilment use cases: after the sale, every order is either collected or shipped.

When things happen (see docs/fulfilment.md):

* right after placement, :meth:`Fulfilment.dispatch` (run by the background worker) reads the
  ``order.placed`` events: a pickup order becomes ``ready_for_pickup`` and gets its one-time
  code; a shipping order gets a shipment with a carrier and a tracking number, awaiting
  hand-over. Placement itself does nothing more than before.
* a clerk of the order's store redeems the code: the order becomes ``collected`` at that moment.
* the carrier reports ``picked_up`` (order ``shipped``), ``in_transit``, ``delivered`` (order
  ``delivered``, the return window starts) or ``failed`` (order cancelled, money and stock back).
* a pickup not collected within the policy's time expires: the order is cancelled, the stock and
  the subsidy go back.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from megasale.domain.errors import (
    InvalidInput,
    PickupAlreadyCollected,
    PickupAtAnotherStore,
    PickupExpired,
    PickupRefused,
    TooManyAttempts,
    UnknownCarrier,
    UnknownOrder,
    UnknownPickupCode,
)
from megasale.domain.fulfilment import PickupPolicy, StoreRecord, parse_store_csv
from megasale.domain.orders import Order, Pickup
from megasale.domain.pickup_codes import code_from_bits, format_code, normalise_code
from megasale.domain.shipments import DEFAULT_CARRIERS, Carrier, Shipment, ShipmentStatus
from megasale.services.carrier_webhook import carrier_secret, check_signature, decode_report
from megasale.services.catalog import require_role
from megasale.services.fulfilment_ports import (
    Backlog,
    FulfilmentStore,
    RedemptionOutcome,
)
from megasale.services.ports import Account, Clock, Role, Store

__all__ = ["DEFAULT_STUCK_AFTER", "Fulfilment", "PickupCodeView"]

DEFAULT_STUCK_AFTER: Mapping[ShipmentStatus, timedelta] = {
    ShipmentStatus.AWAITING_HANDOVER: timedelta(hours=24),
    ShipmentStatus.PICKED_UP: timedelta(hours=24),
    ShipmentStatus.IN_TRANSIT: timedelta(hours=72),
}


@dataclass(frozen=True, slots=True)
class PickupCodeView:
    """What the buyer sees: the code to read out, where, and until when."""

    order_id: str
    code: str
    store: StoreRecord
    state: str
    expires_at: datetime
    collected_at: datetime | None


class Fulfilment:
    """The use cases over a :class:`FulfilmentStore`, with the keys that codes derive from.

    ``fulfilment_key`` derives pickup codes and carrier secrets; it comes from configuration,
    never from the database, so a copy of the database alone reveals neither.
    """

    def __init__(
        self,
        store: FulfilmentStore,
        orders: Store,
        clock: Clock,
        *,
        fulfilment_key: bytes,
        policy: PickupPolicy | None = None,
        carriers: tuple[Carrier, ...] = DEFAULT_CARRIERS,
        webhook_tolerance: timedelta = timedelta(minutes=5),
        stuck_after: Mapping[ShipmentStatus, timedelta] = DEFAULT_STUCK_AFTER,
    ) -> None:
        if len(fulfilment_key) < 16:
            raise ValueError("the fulfilment key must be at least 16 bytes")
        self.store = store
        self._orders = orders
        self._clock = clock
        self._key = fulfilment_key
        self.policy = policy or PickupPolicy()
        self.carriers = {c.carrier_id: c for c in carriers}
        self._webhook_tolerance = webhook_tolerance
        self._stuck_after = dict(stuck_after)

    # -- partner stores -------------------------------------------------------------------
    def import_stores(self, operator: Account, text: str) -> int:
        """Add or update the partner stores of a CSV; every bad row refuses the whole file."""
        require_role(operator, Role.OPERATOR)
        return self.store.import_stores(parse_store_csv(text))

    # -- after placement ------------------------------------------------------------------
    def dispatch(self) -> int:
        """Give newly placed orders their pickup code or shipment; events read (0: caught up)."""
        return self.store.dispatch_placed(
            self._clock.now(), self._issue, tuple(self.carriers.values()), self.policy
        )

    def dispatch_all(self) -> int:
        total = 0
        while read := self.dispatch():
            total += read
        return total

    def _code(self, order_id: str, salt: str) -> str:
        digest = hmac.new(self._key, f"pickup:{order_id}:{salt}".encode(), "sha256").digest()
        return code_from_bits(int.from_bytes(digest[:8], "big"))

    def _lookup_hash(self, code: str) -> bytes:
        return hmac.new(self._key, f"lookup:{code}".encode(), hashlib.sha256).digest()

    def _issue(self, order_id: str) -> tuple[str, bytes]:
        salt = secrets.token_hex(8)
        return salt, self._lookup_hash(self._code(order_id, salt))

    # -- pickup ---------------------------------------------------------------------------
    def pickup_code(self, buyer: Account, order_id: str) -> PickupCodeView:
        """The buyer's code for their own pickup order (the same answer for others' orders)."""
        require_role(buyer, Role.BUYER)
        order = self._own_order(buyer, order_id)
        if not isinstance(order.fulfilment, Pickup):
            raise UnknownOrder(f"order {order_id} is shipped, not collected")
        record = self.store.pickup_of(order_id)
        return PickupCodeView(
            order_id=order_id,
            code=format_code(self._code(order_id, record.salt)),
            store=self.store.store_record(record.store_id),
            state=record.state,
            expires_at=record.expires_at,
            collected_at=record.collected_at,
        )

    def redeem(self, clerk: Account, code_text: str) -> Order:
        """Hand the goods over: the order is ``collected`` now, once, at the clerk's store."""
        require_role(clerk, Role.CLERK)
        assert clerk.store_id is not None  # a clerk account always belongs to a store
        code = normalise_code(code_text)  # a typo is refused here, before any lookup
        result = self.store.redeem(
            clerk.account_id,
            clerk.store_id,
            self._lookup_hash(code),
            self._clock.now(),
            self.policy,
        )
        match result.outcome:
            case RedemptionOutcome.COLLECTED:
                assert result.order is not None
                return result.order
            case RedemptionOutcome.RATE_LIMITED:
                assert result.retry_after is not None
                wait = max(1, int(result.retry_after.total_seconds() + 0.999))
                raise TooManyAttempts(
                    f"too many wrong codes at this {result.limited_by}; try again in {wait} s",
                    wait,
                )
            case RedemptionOutcome.UNKNOWN_CODE:
                raise UnknownPickupCode("no pickup waits under this code")
            case RedemptionOutcome.ANOTHER_STORE:
                raise PickupAtAnotherStore(
                    f"this code is for partner store {result.other_store}, not yours"
                )
            case RedemptionOutcome.ALREADY_COLLECTED:
                raise PickupAlreadyCollected("this code was already redeemed; goods handed over")
            case RedemptionOutcome.EXPIRED:
                raise PickupExpired("this pickup expired; the order was cancelled and refunded")
            case _:
                raise PickupRefused("this order is no longer waiting for pickup")

    def expire_due(self, limit: int = 1_000) -> list[str]:
        """Cancel pickups past their time (stock and subsidy back); the order ids."""
        return self.store.expire_pickups(self._clock.now(), limit)

    # -- shipping -------------------------------------------------------------------------
    def shipment(self, buyer: Account, order_id: str) -> Shipment:
        require_role(buyer, Role.BUYER)
        self._own_order(buyer, order_id)
        return self.store.shipment_of(order_id)

    def carrier(self, carrier_id: str) -> Carrier:
        found = self.carriers.get(carrier_id)
        if found is None:
            raise UnknownCarrier(f"no carrier {carrier_id}")
        return found

    def carrier_secret(self, carrier_id: str) -> str:
        return carrier_secret(self._key, self.carrier(carrier_id).carrier_id)

    def receive_carrier_call(
        self, carrier_id: str, timestamp: str | None, signature: str | None, body: bytes
    ) -> Shipment:
        """Apply a signed carrier report once; refuse unsigned, stale or replayed calls."""
        now = self._clock.now()
        secret = self.carrier_secret(carrier_id)
        check_signature(secret, timestamp, signature, body, now, self._webhook_tolerance)
        report, status = decode_report(body)
        if report.at > now + self._webhook_tolerance:
            raise InvalidInput("at", "a status reported in the future")
        return self.store.record_carrier_event(
            carrier_id, report.event_id, report.tracking_number, status, report.at, now
        )

    def handover_csv(self, operator: Account, carrier_id: str) -> str:
        """The hand-over file for one carrier: every parcel awaiting it, oldest first."""
        require_role(operator, Role.OPERATOR)
        self.carrier(carrier_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["order_id", "tracking_number", "shop_id", "units", "placed_at", "ship_address"]
        )
        for row in self.store.handover_rows(carrier_id):
            writer.writerow(
                [
                    row.order_id,
                    row.tracking_number,
                    row.shop_id,
                    row.units,
                    row.placed_at.isoformat(),
                    row.ship_address,
                ]
            )
        return out.getvalue()

    # -- the backlog ----------------------------------------------------------------------
    def backlog(self, operator: Account, oldest: int = 20) -> Backlog:
        require_role(operator, Role.OPERATOR)
        return self.store.backlog(self._clock.now(), self._stuck_after, oldest)

    def _own_order(self, buyer: Account, order_id: str) -> Order:
        order = self._orders.get_order(order_id)
        if order.buyer_id != buyer.account_id:
            raise UnknownOrder(f"no order {order_id}")
        return order
