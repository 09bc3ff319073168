"""Detection during the sale: every order kept, rings re-found where new orders touched.

Most buyers of a promotion day place one order and share nothing with anyone, and no ring is
made of such buyers. So the streaming detector keeps every order but runs the batch
:class:`~megasale.brushing.detect.BrushingDetector` only over the orders of *candidate* buyers:
those with two orders or more in one shop, and those who share a payment instrument, a device
or device family, a phone or phone block, or a building with another buyer. Those are exactly
the buyers the batch detectors can link; the rest would be discarded by them anyway.

Candidates are kept in groups (:class:`~megasale.brushing.stream_components.BuyerGroups`)
joined by what can put two buyers in one ring: an identifier value that may link its holders
(the views above and the subnet; a value shared by a few honest buyers does not, until one of
them collects quickly or has a young account) and a shared lockstep cell (the same shop in the
same wave, for buyers with three orders and a quick pickup). A detection pass runs whenever a
candidate placed or collected an order or became a candidate, and reads only the groups
holding such a buyer, with the other candidate orders of the shops where one of them buys
heavily (the shop-side rule weighs a shop's orders together). A ring is found on the first
pass after the order (or the pickup) that makes it detectable, and a group nothing touched
keeps what earlier passes reported.

Rings keep their id from pass to pass: a ring found again (sharing orders with a ring already
reported) is reported under the old id with its new orders. A new order of a member of a
reported IP farm or rotator (whose every order is flagged) is reported under its ring as soon
as it arrives (:meth:`StreamingDetector.attached`), without waiting for a pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from megasale.brushing.behaviour import YOUNG_DAYS
from megasale.brushing.detect import BrushingDetector
from megasale.brushing.frame import MISSING
from megasale.brushing.identity import DEFAULT_MAX_SHARERS, DEFAULT_STRONG_SHARERS
from megasale.brushing.lockstep import DEFAULT_WAVE_MINUTES
from megasale.brushing.stream_components import BuyerGroups
from megasale.brushing.stream_rings import (
    Attachments,
    FoundRing,
    RingLedger,
    new_rings,
    pass_detector,
)
from megasale.brushing.stream_table import (
    OrderColumns,
    StreamedOrder,
    derived_views,
    order_table,
)
from megasale.brushing.waves import QUICK_PICKUP_MINUTES

__all__ = ["FoundRing", "StreamedOrder", "StreamingDetector"]


class StreamingDetector:
    """Follow the sale's orders and pickups; find rings on the candidates' orders.

    A buyer is a candidate when it placed two orders in one shop (lockstep waves, shop
    self-brushing), or shares a payment instrument, a device or device family, a phone or
    phone block, or a building with another buyer (IP farms and rotators).

    Parameters
    ----------
    detector : BrushingDetector, optional
        The batch detector to run on each pass (unfitted; copied). ``None``: the defaults.
    window_hours : float or None
        A pass reads the candidates active (an order or a pickup) within this many hours of
        the newest event, so that passes stay short as the day goes on; ``None``: all of them.

    Attributes
    ----------
    orders_, candidates_ : int
        Orders followed, and orders of candidate buyers.
    passes_ : int
        Detection passes run.
    pass_orders_ : list of int
        Per pass, the orders it read.

    Examples
    --------
    >>> stream = StreamingDetector()
    >>> for i in range(12):
    ...     stream.add(StreamedOrder(f"o{i}", i * 60_000_000, f"b{i}", "s1",
    ...                              payment_id="card-1", device_id=f"emu-{i}",
    ...                              buyer_registered_at=0))
    >>> stream.candidates_
    12
    >>> [(ring.ring_id, len(ring.buyer_ids)) for ring in stream.detect()]
    [('S-ip_rotator-00001', 12)]
    >>> stream.dirty, stream.detect()
    (False, [])
    """

    def __init__(
        self, detector: BrushingDetector | None = None, window_hours: float | None = 6.0
    ) -> None:
        self.detector = detector
        self.window_hours = window_hours
        self._rows: list[StreamedOrder] = []
        self._row_buyer: list[int] = []
        # per row, its device family, phone block, building and subnet
        self._row_views: list[tuple[str | None, str | None, str | None, str | None]] = []
        self._picked_up: list[int] = []
        self._row_of: dict[str, int] = {}
        self._now = 0
        self._columns = OrderColumns()
        # per buyer code
        self._buyer_code: dict[str, int] = {}
        # A buyer's rows: its first, and all of them for buyers of two or more. One list per
        # buyer would be some 300,000 lists for the garbage collector to walk again and again.
        self._first_row: list[int] = []
        self._more_rows: dict[int, list[int]] = {}
        self._seen: list[int] = []  # its latest order or pickup (microseconds)
        self._candidate: list[bool] = []
        self._quick: list[bool] = []  # collected an order within 90 minutes
        self._in_cells: list[bool] = []  # its orders joined the lockstep cells
        self._candidate_rows: list[int] = []
        self._heavy_shops: dict[int, list[str]] = {}  # buyer -> shops of three orders in 1 h
        self._shop_rows: dict[str, list[int]] = {}  # shop -> its candidate rows
        # per view (payment, device, device family, phone, phone block, building): the first
        # buyer seen with each value
        self._first: tuple[dict[str, int], ...] = tuple({} for _ in range(6))
        identity = detector.identity if detector is not None else None
        strong = identity.strong_sharers if identity is not None else None
        lockstep = detector.lockstep if detector is not None else None
        self._groups = BuyerGroups(
            DEFAULT_STRONG_SHARERS if strong is None else strong,
            DEFAULT_WAVE_MINUTES if lockstep is None else lockstep.wave_minutes,
            DEFAULT_MAX_SHARERS if identity is None else identity.max_sharers,
        )
        self._touched: set[int] = set()  # candidates with news since the last pass
        self._ledger = RingLedger()
        self._ring_buyers: set[str] = set()
        self._attach = Attachments()  # new orders of IP farm and rotator members
        self.passes_ = 0
        self.pass_orders_: list[int] = []

    @property
    def orders_(self) -> int:
        return len(self._rows)

    @property
    def candidates_(self) -> int:
        return len(self._candidate_rows)

    # -- following the sale -------------------------------------------------------------------
    def add(self, order: StreamedOrder) -> None:
        """Take one order line (see :meth:`add_many`)."""
        self.add_many([order])

    def add_many(self, orders: Sequence[StreamedOrder]) -> None:
        """Take order lines; a line already seen (a redelivered event) changes nothing.

        The views derived from text (device family, phone block, building, subnet) are
        computed for the whole batch at once with the batch reader's own expressions, so both
        detectors see the same buildings.
        """
        seen = self._row_of
        fresh: list[StreamedOrder] = []
        for order in orders:
            if order.order_id not in seen:
                seen[order.order_id] = -1
                fresh.append(order)
        if not fresh:
            return
        family_of, block_of, building_of, subnet_of = derived_views(fresh)
        payments, devices, families, phones, blocks, buildings = self._first
        rows, row_buyer, row_views = self._rows, self._row_buyer, self._row_views
        groups = self._groups
        picked_up = self._picked_up
        buyer_code, last_seen = self._buyer_code, self._seen
        first_row, more_rows = self._first_row, self._more_rows
        candidate, in_cells = self._candidate, self._in_cells
        link = self._link
        now = self._now
        member_ring, attached = self._attach.member_ring, self._attach.orders
        for order, family, block, building, subnet in zip(
            fresh, family_of, block_of, building_of, subnet_of, strict=True
        ):
            row = len(rows)
            seen[order.order_id] = row
            rows.append(order)
            picked_up.append(MISSING)
            row_views.append((family, block, building, subnet))
            created = order.created_at
            buyer = buyer_code.get(order.buyer_id)
            mine = None
            if buyer is None:
                buyer = buyer_code[order.buyer_id] = self._new_buyer(row)
            else:
                mine = more_rows.get(buyer)
                if mine is None:
                    mine = more_rows[buyer] = [first_row[buyer]]
                mine.append(row)
            row_buyer.append(buyer)
            ring_id = member_ring.get(buyer)
            if ring_id is not None:
                attached.setdefault(ring_id, []).append(order.order_id)
            if created > last_seen[buyer]:
                last_seen[buyer] = created
            if created > now:
                now = created
            registered = order.buyer_registered_at
            if registered != MISSING and created - registered < _YOUNG_US:
                groups.suspect(buyer)  # a young account (its first order is no later)
            if candidate[buyer]:
                self._candidate_row(buyer, row)
            if mine is not None:  # most buyers order once: their rows are not scanned
                shop = order.shop_id
                count = sum(1 for r in mine if rows[r].shop_id == shop)
                if count >= 2:
                    self._make_candidate(buyer)
                    if count >= 3:
                        self._check_heavy(buyer, shop)
            # a value's first holder is mostly the buyer itself: only others are linked
            if (
                order.payment_id
                and (first := payments.setdefault(order.payment_id, buyer)) != buyer
            ):
                link(first, buyer)
            if order.device_id:
                if (first := devices.setdefault(order.device_id, buyer)) != buyer:
                    link(first, buyer)
                if (first := families.setdefault(family or order.device_id, buyer)) != buyer:
                    link(first, buyer)
            if order.phone:
                if (first := phones.setdefault(order.phone, buyer)) != buyer:
                    link(first, buyer)
                if (first := blocks.setdefault(block or order.phone, buyer)) != buyer:
                    link(first, buyer)
            if building and (first := buildings.setdefault(building, buyer)) != buyer:
                link(first, buyer)
            if not in_cells[buyer] and candidate[buyer]:
                self._refresh_cells(buyer)
        self._now = now

    def _new_buyer(self, row: int) -> int:
        self._first_row.append(row)
        self._seen.append(0)
        self._candidate.append(False)
        self._quick.append(False)
        self._in_cells.append(False)
        return self._groups.add_buyer()

    def _rows_of(self, buyer: int) -> list[int]:
        return self._more_rows.get(buyer) or [self._first_row[buyer]]

    def _link(self, first: int, buyer: int) -> None:
        """``buyer`` shares a value whose first buyer was ``first``: both are candidates."""
        if first != buyer:
            self._make_candidate(first)
            self._make_candidate(buyer)

    def _make_candidate(self, buyer: int) -> None:
        if self._candidate[buyer]:
            return
        self._candidate[buyer] = True
        for row in self._rows_of(buyer):
            self._candidate_row(buyer, row)
        self._refresh_cells(buyer)

    def _candidate_row(self, buyer: int, row: int) -> None:
        """A row of a candidate: read by the passes, tied to its values and its cells."""
        self._candidate_rows.append(row)
        order = self._rows[row]
        self._shop_rows.setdefault(order.shop_id, []).append(row)
        self._touched.add(buyer)
        hold = self._groups.hold
        family, block, building, subnet = self._row_views[row]
        for view, value in (
            ("payment", order.payment_id),
            ("device", order.device_id),
            ("device_family", family),
            ("phone", order.phone),
            ("phone_block", block),
            ("building", building),
            ("subnet", subnet),
        ):
            if value:
                hold(buyer, view, value)
        if self._in_cells[buyer]:
            self._groups.meet(buyer, order.shop_id, order.created_at)

    def _refresh_cells(self, buyer: int) -> None:
        """A candidate with three orders and a quick pickup is one the lockstep detector may
        link to others: its orders join their cells from now on."""
        if self._in_cells[buyer] or not self._candidate[buyer] or not self._quick[buyer]:
            return
        if len(self._rows_of(buyer)) < _CELL_ORDERS:
            return
        self._in_cells[buyer] = True
        self._touched.add(buyer)
        for row in self._rows_of(buyer):
            order = self._rows[row]
            self._groups.meet(buyer, order.shop_id, order.created_at)

    def _check_heavy(self, buyer: int, shop: str) -> None:
        """A buyer with three orders in one shop within an hour can make the shop-side rule
        fire (a window's orders per buyer reach 3 only with such a buyer): a pass that this
        buyer's news starts reads the shop's other candidate orders too."""
        heavy = self._heavy_shops.setdefault(buyer, [])
        if shop in heavy:
            return
        rows = self._rows
        times = sorted(rows[r].created_at for r in self._rows_of(buyer) if rows[r].shop_id == shop)
        if any(b - a <= _HOUR_US for a, b in zip(times, times[2:], strict=False)):
            heavy.append(shop)
            self._touched.add(buyer)

    def picked_up(self, order_id: str, at: int) -> None:
        """The buyer collected the order at ``at`` (microseconds since the epoch)."""
        row = self._row_of.get(order_id)
        if row is None or row < 0 or self._picked_up[row] == at:
            return
        self._picked_up[row] = at
        buyer = self._row_buyer[row]
        self._seen[buyer] = max(self._seen[buyer], at)
        self._now = max(self._now, at)
        delay = at - self._rows[row].created_at
        if 0 <= delay <= _QUICK_US and not self._quick[buyer]:
            self._quick[buyer] = True
            self._groups.suspect(buyer)
            self._refresh_cells(buyer)
        if self._candidate[buyer]:
            self._touched.add(buyer)

    def remember(self, rings: dict[str, list[str]]) -> None:
        """Rings reported before a restart: found again, they keep their ids."""
        self._ledger.remember(rings)

    @property
    def dirty(self) -> bool:
        """Whether a candidate placed or collected an order, or became one, since the last pass."""
        return bool(self._touched)

    # -- finding rings --------------------------------------------------------------------------
    def detect(self) -> list[FoundRing]:
        """Run a pass over the groups touched since the last one; the rings with orders not
        reported before."""
        touched, self._touched = self._touched, set()
        if not touched:
            return []
        cutoff = -1
        if self.window_hours is not None:
            # Only buyers active in the window: a ring that grows has a member active now, and
            # every row of an active buyer comes along; what only older orders show was found
            # by the passes of its time.
            cutoff = self._now - int(self.window_hours * 3_600_000_000)
        last_seen, rows_of = self._seen, self._rows_of
        buyers = {b for b in self._groups.members_of(touched) if last_seen[b] >= cutoff}
        if not buyers:
            return []
        rows = {r for b in buyers for r in rows_of(b)}
        # The shop-side rule weighs a heavy buyer's orders against all of the shop's: the
        # shops where a touched buyer buys heavily come whole (the rings of their other
        # buyers are not reported from this pass).
        # A buyer last seen before the window has only rows older than it, which no hour
        # around a new order holds: they leave the shop's list (its group still has them).
        row_buyer, heavy, shop_rows = self._row_buyer, self._heavy_shops, self._shop_rows
        for shop in {s for b in touched if b in heavy for s in heavy[b]}:
            active = [r for r in shop_rows[shop] if last_seen[row_buyer[r]] >= cutoff]
            shop_rows[shop] = active
            rows.update(active)
        self.passes_ += 1
        self.pass_orders_.append(len(rows))
        table = order_table(self._columns.gather(self._rows, sorted(rows), self._picked_up))
        fitted = pass_detector(self.detector).fit(table)
        codes = self._buyer_code
        # per buyer of the table, whether it is in the groups this pass was run for: read only
        # where a ring consults it, its members (a pass's table holds every active buyer of
        # the touched groups, and asking each of them cost more than the rings' report)
        ours = np.zeros(table.n_buyers, dtype=bool)
        if fitted.rings_:
            members = np.unique(np.concatenate([ring.members for ring in fitted.rings_]))
            names = table.buyer_names[members].tolist()
            ours[members] = [codes[b] in buyers for b in names]
        found = new_rings(self._ledger, fitted, table, ours)
        for ring in found:
            self._ring_buyers.update(ring.buyer_ids)
            self._attach.reported(ring, [codes[b] for b in ring.buyer_ids])
        return found

    def attached(self) -> list[FoundRing]:
        """The orders folded since the last call of buyers of reported IP farms and rotators,
        under their rings, without a pass.

        Every order of such a ring's member is one of its flagged orders: a member's new order
        is reported at once, not by the next pass (which finds it in the ring again). It still
        touches the member's group: what it tells about other buyers is read by the passes.
        """
        return self._attach.flush(self._ledger)

    def last_buyers(self) -> set[str]:
        """The buyers of the rings found so far."""
        return set(self._ring_buyers)


_CELL_ORDERS = 3
"""Orders a buyer needs for its cells to count: two buyers link on 2.2 shared waves or more,
which takes three waves in one of the two grids."""
_HOUR_US = 3_600_000_000
_YOUNG_US = YOUNG_DAYS * 86_400_000_000
_QUICK_US = QUICK_PICKUP_MINUTES * 60_000_000
