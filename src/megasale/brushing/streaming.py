"""Detection during the sale: every order kept in columns, rings re-found as orders arrive.

Most buyers of a promotion day place one order and share nothing with anyone, and no ring is
made of such buyers. So the streaming detector keeps every order but runs the batch
:class:`~megasale.brushing.detect.BrushingDetector` only over the orders of *candidate* buyers:
those with two orders or more, and those who share a payment instrument, a device or device
family, a phone or phone block, or a building with another buyer. Those are exactly the buyers
the batch detectors can link; the rest would be discarded by them anyway. A buyer becomes a
candidate the moment the order or pickup arrives that could make it one, and a detection pass
runs whenever candidate orders changed, so a ring is found on the first pass after the order
(or the pickup) that makes it detectable.

Rings keep their id from pass to pass: a ring found again (sharing orders with a ring already
reported) is reported under the old id with its new orders.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import polars as pl

from megasale.brushing.detect import BrushingDetector
from megasale.brushing.frame import MISSING, OrderTable
from megasale.brushing.orderlog import table_from_frames
from megasale.brushing.views import building_expr, device_family_expr, phone_block_expr

__all__ = ["FoundRing", "StreamedOrder", "StreamingDetector"]

_TEXT = (
    "order_id",
    "buyer_id",
    "shop_id",
    "sku_id",
    "ip",
    "device_id",
    "payment_id",
    "phone",
    "address",
    "pickup_store_id",
)
_NUMBERS = ("created_at", "quantity", "amount_fen", "subsidy_fen", "buyer_registered_at")


class StreamedOrder(NamedTuple):
    """One order line as the event log tells it. Times are microseconds since the epoch.

    A named tuple rather than a frozen dataclass: the stream builds one per order, and a
    frozen dataclass costs several times more to construct.
    """

    order_id: str
    created_at: int
    buyer_id: str
    shop_id: str
    sku_id: str | None = None
    quantity: int = 1
    amount_fen: int = 0
    subsidy_fen: int = 0
    ip: str | None = None
    device_id: str | None = None
    payment_id: str | None = None
    phone: str | None = None
    address: str | None = None
    pickup_store_id: str | None = None
    buyer_registered_at: int = MISSING


@dataclass(frozen=True, slots=True)
class FoundRing:
    """A ring to report: ``new_order_ids`` are the orders not reported under this id before."""

    ring_id: str
    kind: str
    score: float
    order_ids: tuple[str, ...]
    new_order_ids: tuple[str, ...]
    buyer_ids: tuple[str, ...]
    evidence: bytes


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

    Examples
    --------
    >>> stream = StreamingDetector()
    >>> for i in range(12):
    ...     stream.add(StreamedOrder(f"o{i}", i * 60_000_000, f"b{i}", "s1",
    ...                              payment_id="card-1", device_id=f"emu-{i}"))
    >>> stream.candidates_
    12
    """

    def __init__(
        self, detector: BrushingDetector | None = None, window_hours: float | None = 6.0
    ) -> None:
        self.detector = detector
        self.window_hours = window_hours
        self._row_buyer: list[int] = []
        self._seen: list[int] = []  # per buyer, its latest order or pickup (microseconds)
        self._now = 0
        self._rows: list[StreamedOrder] = []
        self._picked_up: list[int] = []
        self._row_of: dict[str, int] = {}
        self._buyer_code: dict[str, int] = {}
        self._buyer_rows: list[list[int]] = []
        self._candidate: list[bool] = []
        self._candidate_rows: list[int] = []
        self._buyer_shops: set[tuple[int, str]] = set()
        # per view (payment, device, device family, phone, phone block, building): the first
        # buyer seen with each value
        self._first: tuple[dict[str, int], ...] = tuple({} for _ in range(6))
        self._dirty = False
        self._ring_of_order: dict[str, str] = {}
        self._reported: dict[str, set[str]] = {}
        self._next_ring = 1
        self._ring_buyers: set[str] = set()
        self.passes_ = 0

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

        The views derived from text (device family, phone block, building) are computed for
        the whole batch at once with the batch reader's own expressions, so both detectors
        see the same buildings.
        """
        fresh: list[StreamedOrder] = []
        seen = self._row_of
        for order in orders:
            if order.order_id not in seen:
                seen[order.order_id] = -1
                fresh.append(order)
        if not fresh:
            return
        derived = pl.DataFrame(
            {
                "device_id": [o.device_id for o in fresh],
                "phone": [o.phone for o in fresh],
                "address": [o.address for o in fresh],
            },
            schema={"device_id": pl.Utf8, "phone": pl.Utf8, "address": pl.Utf8},
        ).select(
            device_family_expr("device_id").alias("family"),
            phone_block_expr("phone").alias("block"),
            building_expr("address").alias("building"),
        )
        payments, devices, families, phones, blocks, buildings = self._first
        link = self._link
        buyer_code = self._buyer_code
        buyer_rows = self._buyer_rows
        candidate = self._candidate
        buyer_shops = self._buyer_shops
        for order, family, block, building in zip(
            fresh,
            derived["family"].to_list(),
            derived["block"].to_list(),
            derived["building"].to_list(),
            strict=True,
        ):
            row = len(self._rows)
            seen[order.order_id] = row
            self._rows.append(order)
            self._picked_up.append(MISSING)
            buyer = buyer_code.get(order.buyer_id)
            if buyer is None:
                buyer = buyer_code[order.buyer_id] = len(buyer_rows)
                buyer_rows.append([])
                candidate.append(False)
                self._seen.append(0)
            buyer_rows[buyer].append(row)
            self._row_buyer.append(buyer)
            if order.created_at > self._seen[buyer]:
                self._seen[buyer] = order.created_at
            if order.created_at > self._now:
                self._now = order.created_at
            if candidate[buyer]:
                self._candidate_rows.append(row)
                self._dirty = True
            shop_key = (buyer, order.shop_id)
            if shop_key in buyer_shops:
                self._make_candidate(buyer)
            else:
                buyer_shops.add(shop_key)
            if order.payment_id:
                link(payments.setdefault(order.payment_id, buyer), buyer)
            if order.device_id:
                link(devices.setdefault(order.device_id, buyer), buyer)
                link(families.setdefault(family, buyer), buyer)
            if order.phone:
                link(phones.setdefault(order.phone, buyer), buyer)
                link(blocks.setdefault(block, buyer), buyer)
            if building:
                link(buildings.setdefault(building, buyer), buyer)

    def _link(self, first: int, buyer: int) -> None:
        """``buyer`` shares a value whose first buyer was ``first``: both are candidates."""
        if first != buyer:
            self._make_candidate(first)
            self._make_candidate(buyer)

    def picked_up(self, order_id: str, at: int) -> None:
        """The buyer collected the order at ``at`` (microseconds since the epoch)."""
        row = self._row_of.get(order_id)
        if row is None or self._picked_up[row] == at:
            return
        self._picked_up[row] = at
        buyer = self._row_buyer[row]
        self._seen[buyer] = max(self._seen[buyer], at)
        self._now = max(self._now, at)
        if self._candidate[buyer]:
            self._dirty = True

    def _make_candidate(self, buyer: int) -> None:
        if not self._candidate[buyer]:
            self._candidate[buyer] = True
            self._candidate_rows.extend(self._buyer_rows[buyer])
            self._dirty = True

    def remember(self, rings: dict[str, list[str]]) -> None:
        """Rings reported before a restart: found again, they keep their ids."""
        for ring_id, order_ids in rings.items():
            self._reported.setdefault(ring_id, set()).update(order_ids)
            for order_id in order_ids:
                self._ring_of_order.setdefault(order_id, ring_id)
            number = ring_id.rsplit("-", 1)[-1]
            if ring_id.startswith("S-") and number.isdigit():
                self._next_ring = max(self._next_ring, int(number) + 1)

    @property
    def dirty(self) -> bool:
        """Whether candidate orders changed since the last pass."""
        return self._dirty

    # -- finding rings --------------------------------------------------------------------------
    def detect(self) -> list[FoundRing]:
        """Run a pass over the candidates' orders; the rings with orders not reported before."""
        self._dirty = False
        if not self._candidate_rows:
            return []
        rows = self._candidate_rows
        if self.window_hours is not None:
            # Only buyers active in the window: a ring that grows has a member active now, and
            # every row of an active buyer comes along; what only older orders show was found
            # by the passes of its time.
            cutoff = self._now - int(self.window_hours * 3_600_000_000)
            seen, row_buyer = self._seen, self._row_buyer
            rows = [r for r in rows if seen[row_buyer[r]] >= cutoff]
            if not rows:
                return []
        self.passes_ += 1
        table = _table(self._columns(sorted(rows)))
        fitted = copy.deepcopy(self.detector or BrushingDetector()).fit(table)
        found = []
        for ring in fitted.rings_:
            order_ids = tuple(str(o) for o in table.order_ids[ring.orders])
            ring_id = self._ring_id(order_ids, ring.kind.value)
            reported = self._reported.setdefault(ring_id, set())
            new = tuple(o for o in order_ids if o not in reported)
            if not new:
                continue
            reported.update(new)
            self._ring_buyers.update(str(b) for b in table.buyer_names[ring.members])
            for order_id in new:
                self._ring_of_order.setdefault(order_id, ring_id)
            evidence: dict[str, Any] = {"reasons": ring.reasons, **ring.evidence}
            found.append(
                FoundRing(
                    ring_id=ring_id,
                    kind=ring.kind.value,
                    score=float(ring.score),
                    order_ids=order_ids,
                    new_order_ids=new,
                    buyer_ids=tuple(str(b) for b in table.buyer_names[ring.members]),
                    evidence=json.dumps(evidence, default=str, sort_keys=True).encode(),
                )
            )
        return found

    def last_buyers(self) -> set[str]:
        """The buyers of the rings found so far."""
        return set(self._ring_buyers)

    def _ring_id(self, order_ids: Sequence[str], kind: str) -> str:
        """The id of the ring these orders were reported under before, or a new one."""
        votes: dict[str, int] = {}
        for order_id in order_ids:
            known = self._ring_of_order.get(order_id)
            if known is not None:
                votes[known] = votes.get(known, 0) + 1
        if votes:
            return max(sorted(votes), key=lambda r: votes[r])
        self._next_ring += 1
        return f"S-{kind}-{self._next_ring - 1:05d}"

    def _columns(self, rows: list[int]) -> pl.DataFrame:
        picked = [self._rows[i] for i in rows]
        data: dict[str, list[Any]] = {c: [getattr(o, c) for o in picked] for c in _TEXT + _NUMBERS}
        data["picked_up_at"] = [self._picked_up[i] for i in rows]
        schema = {c: pl.Utf8 for c in _TEXT} | {c: pl.Int64 for c in (*_NUMBERS, "picked_up_at")}
        return pl.DataFrame(data, schema=schema)


def _table(frame: pl.DataFrame) -> OrderTable:
    """The batch reader's table from in-memory columns (times in microseconds, -1 missing).

    A text column with no value at all is left out, as a missing column of an order log is:
    that view is not used.
    """
    times = ("created_at", "picked_up_at", "buyer_registered_at")
    parsed = frame.select(
        [pl.when(pl.col(c) >= 0).then(pl.col(c)).otherwise(None).alias(c) for c in times]
        + [pl.col(c) for c in ("quantity", "amount_fen", "subsidy_fen")]
    )
    present = [c for c in _TEXT if frame[c].null_count() < frame.height]
    return table_from_frames(frame.select(present), parsed)
