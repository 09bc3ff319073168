"""The streaming detector as a background task of the server: event log in, rings out.

It follows the event log from the start (the detector keeps its state in memory, so a restart
rebuilds it by reading the log again; a ring found again is the same ring to the review desk,
which holds each order's subsidy once), folds ``order.placed`` and pickups into the
:class:`StreamingDetector`, and after each read runs a detection pass if candidate orders
changed. Rings go to the review desk, which holds their subsidy and tells the event log.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec

from megasale.brushing.streaming import FoundRing, StreamedOrder, StreamingDetector
from megasale.domain.times import to_micros
from megasale.services.order_events import ORDER_PLACED, ORDER_STATUS_CHANGED
from megasale.services.ports import Event, EventLog

__all__ = ["FlagRing", "StreamRunner"]

_log = logging.getLogger(__name__)


class _Line(msgspec.Struct, frozen=True, gc=False):
    """An ``order.placed`` line as detection reads it: what it leaves out is skipped."""

    sku_id: str
    quantity: int
    amount_fen: int
    subsidy_fen: int


class _Placed(msgspec.Struct, frozen=True, gc=False):
    """:class:`~megasale.services.order_events.OrderPlaced`, the fields detection reads."""

    order_id: str
    buyer_id: str
    shop_id: str
    placed_at: datetime
    pickup_store_id: str | None
    ship_address: str | None
    ip: str
    device_id: str | None
    payment_id: str | None
    lines: list[_Line]


class _Changed(msgspec.Struct, frozen=True, gc=False):
    """:class:`~megasale.services.order_events.OrderStatusChanged`, the fields read here."""

    order_id: str
    status: str
    at: datetime


_placed = msgspec.json.Decoder(_Placed)
_changed = msgspec.json.Decoder(_Changed)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (if it was on, it is on again after)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Flag:
    ring_id: str
    kind: str
    score: float
    order_ids: tuple[str, ...]
    evidence: bytes


FlagRing = Callable[[_Flag], object]


class StreamRunner:
    """Follow an :class:`EventLog` and report rings through ``flag_ring``.

    ``opened_at(buyer_ids)`` gives when accounts were opened (account age is one of the
    behaviour signals). ``latencies`` keeps, per ring reported, the seconds from the newest
    event of the read that made it detectable to the moment it was reported.

    With ``freeze_state`` (for a process that does nothing but detect: ``megasale
    stream-detect``), what each fold adds to the detector is moved out of the cyclic garbage
    collector's reach (``gc.freeze``). The detector's state lives as long as the process, and a
    full collection walking it (80-150 ms on a 400k-order day) stalled whichever pass it fell
    in. A fold makes no reference cycles and a pass leaves none behind (none found by a full
    collection after each of a day's passes), so nothing that should be collected is frozen;
    reference counting frees frozen objects as usual.
    """

    def __init__(
        self,
        log: EventLog,
        flag_ring: FlagRing,
        opened_at: Callable[[Sequence[str]], dict[str, datetime]],
        known_rings: Callable[[], dict[str, list[str]]] | None = None,
        *,
        detector: StreamingDetector | None = None,
        poll_s: float = 0.05,
        batch: int = 20_000,
        min_pass_s: float = 0.25,
        freeze_state: bool = False,
    ) -> None:
        self.log = log
        self.freeze_state = freeze_state
        self.flag_ring = flag_ring
        self.opened_at = opened_at
        self.detector = detector or StreamingDetector()
        self.poll_s = poll_s
        self.batch = batch
        self.min_pass_s = min_pass_s
        self.pass_seconds: list[float] = []
        self._next_pass = 0.0
        self._newest: datetime | None = None
        self.last_seq = 0
        self.rings_reported = 0
        self.latencies: list[float] = []
        self._opened: dict[str, int] = {}
        self._lines: dict[str, list[str]] = {}  # order id -> line ids, for orders of several
        if known_rings is not None:
            self.detector.remember(known_rings())
        self._task: asyncio.Task[None] | None = None

    def fold(self, events: Sequence[Event]) -> None:
        """Take a batch of events into the detector.

        The cyclic garbage collector is paused while a batch is folded: folding allocates
        several objects per event, none of them in a cycle, and the collector's rounds over
        the detector's ever-growing state cost about a quarter of the fold. Reference counting
        frees everything as usual, and the collector runs again when the batch is in.

        Payloads are decoded into structs holding only what detection reads, with the times
        parsed by the decoder (``msgspec``, in C) and left out of the garbage collector's
        rounds.
        """
        with _collector_paused():
            self._fold(events)
        if self.freeze_state:
            gc.freeze()

    def _fold(self, events: Sequence[Event]) -> None:
        decode = _placed.decode
        orders = [decode(e.payload) for e in events if e.kind == ORDER_PLACED]
        changed = [e.payload for e in events if e.kind == ORDER_STATUS_CHANGED]
        opened = self._opened
        unknown = list({p.buyer_id for p in orders if p.buyer_id not in opened})
        if unknown:
            found = self.opened_at(unknown)
            for buyer in unknown:
                opened[buyer] = to_micros(found[buyer]) if buyer in found else -1
        lines: list[StreamedOrder] = []
        append = lines.append
        for p in orders:
            at = to_micros(p.placed_at)
            registered = opened.get(p.buyer_id, -1)
            if len(p.lines) == 1:  # most orders: no line ids to make, no list per order
                pairs: Iterable[tuple[str, _Line]] = ((p.order_id, p.lines[0]),)
            else:
                ids = self._lines[p.order_id] = [f"{p.order_id}#{x.sku_id}" for x in p.lines]
                pairs = zip(ids, p.lines, strict=True)
            for line_id, line in pairs:
                append(
                    StreamedOrder(
                        line_id,
                        at,
                        p.buyer_id,
                        p.shop_id,
                        line.sku_id,
                        line.quantity,
                        line.amount_fen,
                        line.subsidy_fen,
                        p.ip,
                        p.device_id,
                        p.payment_id,
                        None,
                        p.ship_address,
                        p.pickup_store_id,
                        registered,
                    )
                )
        self.detector.add_many(lines)
        for payload in changed:
            change = _changed.decode(payload)
            if change.status == "collected":
                at = to_micros(change.at)
                for line_id in self._lines.get(change.order_id, (change.order_id,)):
                    self.detector.picked_up(line_id, at)
        if events:
            self.last_seq = events[-1].seq

    def catch_up(self) -> None:
        """Fold everything committed so far with a pass after every read, whatever the schedule.

        A pass reads the buyers active in the detector's window around the newest event, so a
        backlog is folded read by read, each followed by its pass, as it would have been live.
        """
        while True:
            read = self.step()
            self._next_pass = 0.0
            self.detect()
            if not read:
                return

    def detect(self) -> list[FoundRing]:
        """A detection pass if anything changed; each ring with new orders goes to the desk.

        Passes start at most every ``min_pass_s``, or the last pass's duration if that is
        longer, so that detection takes at most about half a core from the API (it runs in a
        process of its own, ``megasale stream-detect``). The new orders of members of known
        IP farms and rotators go to the desk first, whatever the schedule
        (:meth:`StreamingDetector.attached`).
        """
        found = self.detector.attached()  # known rings' new orders: no pass needed
        self._report(found)
        if not self.detector.dirty:
            return found
        now = time.monotonic()
        if now < self._next_pass:
            return found
        passed = self.detector.detect()
        took = time.monotonic() - now
        self._next_pass = now + max(self.min_pass_s, took)
        self.pass_seconds.append(took)
        self._report(passed)
        return found + passed

    def _report(self, found: list[FoundRing]) -> None:
        for ring in found:
            order_ids = tuple(dict.fromkeys(o.split("#", 1)[0] for o in ring.new_order_ids))
            self.flag_ring(_Flag(ring.ring_id, ring.kind, ring.score, order_ids, ring.evidence))
            self.rings_reported += 1

    def step(self) -> int:
        """Read what is new, fold it, detect; the number of events read."""
        events = self.log.read_events(self.last_seq, self.batch)
        if events:
            self.fold(events)
            self._newest = events[-1].recorded_at
        found = self.detect()
        if found and self._newest is not None:
            lag = (datetime.now(self._newest.tzinfo) - self._newest).total_seconds()
            self.latencies.extend([lag] * len(found))
        return len(events)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="brushing-stream")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        while True:
            started = time.monotonic()
            try:
                read = await asyncio.to_thread(self.step)
            except Exception:  # a locked or closing database: try again on the next poll
                _log.exception("streaming detection: a step failed")
                read = 0
            if read < self.batch:
                await asyncio.sleep(max(0.0, self.poll_s - (time.monotonic() - started)))
