"""Folding the event log into the live screen's figures: pure, no I/O, each fact once.

:class:`SaleFigures` takes events in log order, one or a batch at a time, and keeps the
sale's running totals. It is idempotent by event id: an ``order.placed`` counts once per order
(its event id is derived from the order id), a status change once per order and status, a
brushing event once per id. The same events twice, or a redelivered event, change nothing.

Corrections:

- a cancelled order leaves net GMV whole; a refund takes ``refund_fen`` out of it (never more
  than what is left of the order);
- a subsidy given back to the budget (``subsidy_returned_fen``) leaves subsidy spent;
- an order named by a flagged ring leaves "GMV net of brushing" (what is left of it after
  refunds), once however many rings name it, and comes back when every ring naming it is
  cleared. A confirmed ring keeps its orders out.

The top panels (categories, shops, cities), fulfilment split, trust-badge share, milestones and
the per-second series count orders as placed (gross).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from itertools import islice

import msgspec

from megasale.live.alerts import RingAlerts
from megasale.live.placed import decode_placed
from megasale.live.record import milestones
from megasale.services.order_events import (
    ORDER_PLACED,
    ORDER_STATUS_CHANGED,
    OrderStatusChanged,
)
from megasale.services.ports import Event

__all__ = ["SaleFigures"]

_SECOND = timedelta(seconds=1)
# the contract's own struct, decoded without the wrapper's extra call
_decode_status_changed = msgspec.json.Decoder(OrderStatusChanged).decode


def _store_id_as_city(store_id: str) -> str:
    return store_id


class SaleFigures:
    """The running figures of one sale.

    ``opens_at`` is the sale's T0; when it is ``None`` it is taken from ``opens_at_of`` (given
    the first order's promotion id), or failing that from the first order's ``placed_at``.
    ``has_badge(shop_id)`` says whether a shop holds any trust badge when its order is folded
    (asked once per shop in each :meth:`fold_all`, the runner's batches of at most 1,000);
    ``city_of_store(store_id)`` names a partner store's city (asked once per store, then cached).
    """

    def __init__(
        self,
        *,
        opens_at: datetime | None = None,
        opens_at_of: Callable[[str], datetime | None] | None = None,
        has_badge: Callable[[str], bool] | None = None,
        city_of_store: Callable[[str], str] = _store_id_as_city,
        alerts_kept: int = 20,
    ) -> None:
        self.opens_at = opens_at
        self._opens_at_of = opens_at_of
        self._has_badge = has_badge
        self._city_of_store = city_of_store
        # where the log has been read to
        self.last_seq = 0
        self.last_recorded_at: datetime | None = None
        self.events_folded = 0
        self.duplicates_ignored = 0
        self.malformed = 0
        # the totals, in fen
        self.gross_fen = 0
        self.net_fen = 0
        self.flagged_net_fen = 0
        self.refunded_fen = 0
        self.cancelled_fen = 0
        self.subsidy_paid_fen = 0
        self.subsidy_returned_fen = 0
        self.orders = 0
        self.cancelled_orders = 0
        self.buyers: set[str] = set()
        self.promotions: set[str] = set()
        # per order: what is left of it in net GMV; per order: how many open rings name it.
        # The ``None`` key is no order: a dict holding a key that is not a ``str`` keeps each
        # key's hash beside it (CPython), so checking a new order against a million others
        # need not read every order id it passes to learn its hash; about 4% of the fold.
        self._net_of: dict[str | None, int] = {None: 0}
        self._flags: dict[str, int] = {}
        # orders a ring named before they were placed: a new order need only be looked up
        # here (nearly always empty), not in every flag
        self._flagged_unplaced: set[str] = set()
        self._seen: set[str] = set()
        # series and panels: second -> [gmv, orders], minute -> [gmv], name -> [gmv, count]
        self.per_second: dict[int, list[int]] = {}
        self.per_minute: dict[int, list[int]] = {}
        self.categories: dict[str, list[int]] = {}
        self.shops: dict[str, list[int]] = {}
        self.cities: dict[str, list[int]] = {}
        self.fulfilment: dict[str, list[int]] = {"pickup": [0, 0], "shipping": [0, 0]}
        self.badged_fen = 0
        self.reached: list[tuple[int, float]] = []
        self._milestones = milestones()
        self._next_milestone = next(self._milestones)
        self._second_of: dict[str, int] = {}
        # a partner store, or the first part of a shipping address as written: its city's row
        self._store_rows: dict[str, list[int]] = {}
        self._address_rows: dict[str, list[int]] = {}
        self.alerts = RingAlerts(alerts_kept)

    # -- folding --------------------------------------------------------------------------
    def fold(self, event: Event) -> bool:
        """Fold one event; ``False`` for a duplicate or a kind this screen does not show."""
        return self.fold_all((event,)) == 1

    def fold_all(self, events: Iterable[Event]) -> int:
        """Fold events in log order; the number that changed the figures.

        The hot path: ``order.placed`` is folded inline with the running totals in locals,
        written back at the end (``finally``); a pickup store or the first part of an address
        maps straight to its city's row, and one second's orders are summed in locals until
        the second changes.
        """
        net_of, flags, unplaced = self._net_of, self._flags, self._flagged_unplaced
        add_buyer = self.buyers.add
        categories, shops = self.categories, self.shops
        store_rows, address_rows = self._store_rows, self._address_rows
        has_badge = self._has_badge
        badge_of: dict[str, bool] = {}  # asked once per shop per batch
        decode = decode_placed
        orders_before = len(net_of)
        gross = subsidy = badged = flagged = others = ignored = 0
        pickup_fen = pickup_n = shipping_fen = shipping_n = 0
        promotion = last_prefix = last_offset = ""
        second_fen = second_n = 0  # the current second's orders, not yet in its rows
        second_row: list[int] = [0, 0]
        minute_row: list[int] = [0]
        next_milestone = self._next_milestone - self.gross_fen  # how much more GMV to go
        event: Event | None = None
        try:
            for event in events:
                if event.kind != ORDER_PLACED:
                    changed = self._other(event)
                    if changed is None:
                        continue
                    if changed:
                        others += 1
                    else:
                        ignored += 1
                    continue
                try:
                    e = decode(event.payload)
                except msgspec.ValidationError:
                    self.malformed += 1
                    continue
                order_id = e.order_id
                if order_id in net_of:
                    ignored += 1
                    continue
                amount = e.amount_fen
                net_of[order_id] = amount
                gross += amount
                subsidy += e.subsidy_fen
                if unplaced and order_id in unplaced:  # a ring named it before it came
                    unplaced.discard(order_id)
                    if flags[order_id]:
                        flagged += amount
                add_buyer(e.buyer_id)
                if e.promotion_id != promotion:
                    promotion = e.promotion_id
                    self.promotions.add(promotion)
                placed_at = e.placed_at
                if placed_at[:19] != last_prefix or placed_at[-6:] != last_offset:
                    # a new second (orders come in time order, so this is rare): find its rows
                    second_row[0] += second_fen
                    second_row[1] += second_n
                    minute_row[0] += second_fen
                    second_fen = second_n = 0
                    last_prefix, last_offset = placed_at[:19], placed_at[-6:]
                    second_row, minute_row = self._rows_of_second(placed_at, promotion)
                second_fen += amount
                second_n += 1
                # rows by subscript, a miss (a new name) by KeyError: cheaper than .get()
                for line in e.lines:
                    try:
                        row = categories[line.category]
                    except KeyError:
                        row = categories[line.category] = [0, 0]
                    row[0] += line.amount_fen
                    row[1] += line.quantity
                shop = e.shop_id
                try:
                    row = shops[shop]
                except KeyError:
                    row = shops[shop] = [0, 0]
                row[0] += amount
                row[1] += 1
                store = e.pickup_store_id
                if store is not None:
                    pickup_fen += amount
                    pickup_n += 1
                    try:
                        row = store_rows[store]
                    except KeyError:
                        row = store_rows[store] = self._city_row(self._city_of_store(store))
                else:
                    shipping_fen += amount
                    shipping_n += 1
                    # a shipping order's city: the first comma-separated part of its address
                    raw = (e.ship_address or "").partition(",")[0]
                    try:
                        row = address_rows[raw]
                    except KeyError:
                        row = address_rows[raw] = self._city_row(raw.strip() or "unknown")
                row[0] += amount
                row[1] += 1
                if has_badge is not None:
                    badge = badge_of.get(shop)
                    if badge is None:
                        badge = badge_of[shop] = has_badge(shop)
                    if badge:
                        badged += amount
                if gross >= next_milestone:
                    self._milestone(self.gross_fen + gross, placed_at)
                    next_milestone = self._next_milestone - self.gross_fen
        finally:
            # ``event`` is the last one taken, folded or not: one that raised is not read again
            if event is not None and event.seq > self.last_seq:
                self.last_seq, self.last_recorded_at = event.seq, event.recorded_at
            second_row[0] += second_fen
            second_row[1] += second_n
            minute_row[0] += second_fen
            orders = len(net_of) - orders_before
            self.gross_fen += gross
            self.net_fen += gross
            self.flagged_net_fen += flagged
            self.orders += orders
            self.subsidy_paid_fen += subsidy
            self.badged_fen += badged
            self.events_folded += orders + others
            self.duplicates_ignored += ignored
            self.fulfilment["pickup"][0] += pickup_fen
            self.fulfilment["pickup"][1] += pickup_n
            self.fulfilment["shipping"][0] += shipping_fen
            self.fulfilment["shipping"][1] += shipping_n
        return orders + others

    def _rows_of_second(self, placed_at: str, promotion_id: str) -> tuple[list[int], list[int]]:
        """The per-second and per-minute rows that ``placed_at`` falls in."""
        key = placed_at[:19] + placed_at[-6:]
        second = self._second_of.get(key)
        if second is None:
            second = self._second(key, promotion_id)
        row = self.per_second.setdefault(second, [0, 0])
        return row, self.per_minute.setdefault(second // 60, [0])

    def _city_row(self, city: str) -> list[int]:
        row = self.cities.get(city)
        if row is None:
            row = self.cities[city] = [0, 0]
        return row

    def _other(self, event: Event) -> bool | None:
        """Fold an event other than ``order.placed``; ``None`` for a kind not shown here."""
        kind = event.kind
        if kind != ORDER_STATUS_CHANGED and kind not in RingAlerts.KINDS:
            return None
        if event.event_id in self._seen:
            return False
        self._seen.add(event.event_id)
        if kind == ORDER_STATUS_CHANGED:
            return self._status_changed(event.payload)
        return self._brushing(kind, event)

    def _second(self, key: str, promotion_id: str) -> int:
        """Whole seconds from T0 to ``key`` (a time to the second, with its offset), cached."""
        at = datetime.fromisoformat(key)
        if self.opens_at is None:
            opens_at = self._opens_at_of(promotion_id) if self._opens_at_of else None
            self.opens_at = opens_at or at
        second: int = max(0, (at - self.opens_at) // _SECOND)
        self._second_of[key] = second
        return second

    def _milestone(self, gross_fen: int, placed_at: str) -> None:
        assert self.opens_at is not None
        elapsed = max(0.0, (datetime.fromisoformat(placed_at) - self.opens_at).total_seconds())
        while gross_fen >= self._next_milestone:
            self.reached.append((self._next_milestone, elapsed))
            self._next_milestone = next(self._milestones)

    @property
    def next_milestone_fen(self) -> int:
        return self._next_milestone

    def _status_changed(self, payload: bytes) -> bool:
        try:
            e = _decode_status_changed(payload)
        except msgspec.ValidationError:
            self.malformed += 1
            return False
        order_id = e.order_id
        before = self._net_of.get(order_id)
        if before is None:  # an order this log never placed: nothing of it was counted
            return True
        self.subsidy_returned_fen += e.subsidy_returned_fen
        if e.status == "cancelled":
            self.cancelled_orders += 1
            self.cancelled_fen += before
            after = 0
        else:
            after = max(0, before - e.refund_fen)
            self.refunded_fen += before - after
        self._net_of[order_id] = after
        self.net_fen += after - before
        if self._flags.get(order_id):
            self.flagged_net_fen += after - before
        return True

    def _brushing(self, kind: str, event: Event) -> bool:
        try:
            added, removed = self.alerts.fold(kind, event.payload)
        except msgspec.ValidationError:
            self.malformed += 1
            return False
        flags, net_of = self._flags, self._net_of
        moved = 0
        for order_id in added:
            count = flags.get(order_id, 0)
            flags[order_id] = count + 1
            if count == 0:
                left = net_of.get(order_id)
                if left is None:
                    self._flagged_unplaced.add(order_id)
                else:
                    moved += left
        for order_id in removed:
            count = flags[order_id] - 1
            flags[order_id] = count
            if count == 0:
                moved -= net_of.get(order_id, 0)
        self.flagged_net_fen += moved
        return True

    # -- reading --------------------------------------------------------------------------
    @property
    def net_of_brushing_fen(self) -> int:
        """Net GMV less what is left of the orders that an open or confirmed ring names."""
        return self.net_fen - self.flagged_net_fen

    @property
    def subsidy_spent_fen(self) -> int:
        return self.subsidy_paid_fen - self.subsidy_returned_fen

    @property
    def flagged_orders(self) -> int:
        return sum(1 for count in self._flags.values() if count)

    def second_now(self, now: datetime) -> int:
        """Whole seconds since T0 at ``now`` (0 before the sale opens or is known)."""
        if self.opens_at is None:
            return 0
        return max(0, (now - self.opens_at) // _SECOND)

    def recent(self, now: datetime, seconds: int) -> tuple[int, list[int], list[int]]:
        """``(first second, GMV per second, orders per second)`` of the last ``seconds``."""
        end = self.second_now(now) + 1
        start = max(0, end - seconds)
        empty = (0, 0)
        rows = [self.per_second.get(s, empty) for s in range(start, end)]
        return start, [r[0] for r in rows], [r[1] for r in rows]

    def curve(self) -> tuple[list[int], list[int]]:
        """``(minutes, cumulative gross GMV at the end of that minute)``, since T0."""
        if not self.per_minute:
            return [], []
        last = max(self.per_minute)
        minutes, totals, running = [], [], 0
        for m in range(last + 1):
            running += self.per_minute.get(m, (0,))[0]
            minutes.append(m + 1)
            totals.append(running)
        return minutes, totals

    @staticmethod
    def top(table: dict[str, list[int]], n: int) -> list[tuple[str, int, int]]:
        """The ``n`` largest rows of a panel by GMV: ``(name, gmv_fen, count)``."""
        ranked = sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [(name, row[0], row[1]) for name, row in islice(ranked, n)]
