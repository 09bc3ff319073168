"""Events for the live screen's tests, built through the published event contracts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from megasale.services.brushing_events import (
    RingFlagged,
    RingRuling,
    ring_flagged,
    ring_ruling,
)
from megasale.services.order_events import (
    OrderPlaced,
    OrderStatusChanged,
    PlacedLine,
    status_changed,
)
from megasale.services.ports import Event

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


class Log:
    """An event log in memory: appends events with increasing seq, like the outbox."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def _append(self, event_id: str, kind: str, payload: bytes, at: datetime) -> Event:
        event = Event(len(self.events) + 1, event_id, kind, payload, at)
        self.events.append(event)
        return event

    def placed(
        self,
        order_id: str,
        amount: int,
        *,
        buyer: str = "b-1",
        shop: str = "shop-01",
        at: float = 0.0,
        subsidy: int = 0,
        category: str = "tv",
        store: str | None = "st-bj-01",
        address: str | None = None,
        promotion: str = "promo-1",
    ) -> Event:
        when = T0 + timedelta(seconds=at)
        payload = OrderPlaced(
            order_id=order_id,
            buyer_id=buyer,
            shop_id=shop,
            promotion_id=promotion,
            placed_at=when.isoformat(),
            amount_fen=amount,
            subsidy_fen=subsidy,
            fulfilment="pickup" if store else "shipping",
            pickup_store_id=store,
            ship_address=None if store else (address if address is not None else "Chengdu, 1 Road"),
            ip="10.0.0.1",
            device_id=None,
            payment_id=None,
            lines=[PlacedLine("sku-1", category, 1, amount, subsidy)],
        )
        return self._append(
            f"order.placed:{order_id}", "order.placed", msgspec.json.encode(payload), when
        )

    def status(
        self,
        order_id: str,
        status: str,
        amount: int,
        *,
        refund: int = 0,
        subsidy_back: int = 0,
        at: float = 60.0,
    ) -> Event:
        when = T0 + timedelta(seconds=at)
        event_id, kind, payload = status_changed(
            OrderStatusChanged(
                order_id=order_id,
                buyer_id="b-1",
                shop_id="shop-01",
                status=status,
                previous="placed",
                at=when.isoformat(),
                amount_fen=amount,
                refund_fen=refund,
                released=subsidy_back > 0 or status == "cancelled",
                subsidy_returned_fen=subsidy_back,
            )
        )
        return self._append(event_id, kind, payload, when)

    def flagged(self, ring_id: str, order_ids: list[str], *, revision: int = 1) -> Event:
        event_id, kind, payload = ring_flagged(
            RingFlagged(
                ring_id=ring_id,
                kind="subsidy_farming",
                score=0.9,
                order_ids=order_ids,
                buyer_ids=["b-1"],
                gmv_fen=0,
                subsidy_fen=0,
                at=T0.isoformat(),
                evidence="12 buyers, one device",
            ),
            revision,
        )
        return self._append(event_id, kind, payload, T0)

    def ruled(self, ring_id: str, kind: str) -> Event:
        event_id, kind, payload = ring_ruling(kind, RingRuling(ring_id, T0.isoformat()))
        return self._append(event_id, kind, payload, T0)
