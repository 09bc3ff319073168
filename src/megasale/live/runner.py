"""The live screen's consumer: reads the event log, folds it, publishes snapshots.

Exactly once by rebuilding: the figures live in memory only and every process folds the log from
seq 0 when it starts, then follows it. A crash at any point loses nothing that the log does not
hold, and there is no snapshot-plus-checkpoint pair that could disagree. Folding measured about
220k-270k events per CPU-second on the shared 2-core machine (``bench/bench_live.py``; 95k-210k
a second on the wall clock, as busy as that machine was), so a promotion day's 400k orders
rebuild in two to four seconds; each API worker process keeps its own copy, all read-only over
the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

import msgspec

from megasale.live.aggregator import SaleFigures
from megasale.live.record import DEFAULT_RECORD, RecordToBeat
from megasale.live.snapshot import Freshness, LiveSnapshot, build_snapshot
from megasale.services.ports import Clock, Event, EventLog

__all__ = ["LiveRunner"]

_encoder = msgspec.json.Encoder()
_log = logging.getLogger(__name__)


def _no_budget(promotion_id: str) -> int:
    return 0


class LiveRunner:
    """Follows an :class:`EventLog` for the life of the server (a ``Background`` task).

    Every ``poll_s`` it reads up to ``batch`` new events, folds them into ``figures`` and, at
    most every ``publish_s`` while the figures move (every ``idle_publish_s`` while they do not,
    for the clock and freshness), publishes a snapshot. ``budget_of(promotion_id)`` is read
    every ``budget_every_s`` for the promotions the log has orders in.
    """

    def __init__(
        self,
        log: EventLog,
        clock: Clock,
        figures: SaleFigures,
        *,
        record: RecordToBeat = DEFAULT_RECORD,
        budget_of: Callable[[str], int] = _no_budget,
        poll_s: float = 0.05,
        publish_s: float = 0.1,
        idle_publish_s: float = 0.15,
        batch: int = 5_000,
        budget_every_s: float = 5.0,
    ) -> None:
        self.log = log
        self.clock = clock
        self.figures = figures
        self.record = record
        self._budget_of = budget_of
        self.poll_s = poll_s
        self.publish_s = publish_s
        self.idle_publish_s = idle_publish_s
        self.batch = batch
        self.budget_every_s = budget_every_s
        self._budget_fen = 0
        self._budget_checked = float("-inf")
        self._budget_for = 0  # how many promotions the budget was summed over
        self._newest_seq = 0
        self._newest_at: datetime | None = None
        self._version = 0
        self._latest: LiveSnapshot | None = None
        self._latest_json = b""
        self._published_at = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self._new_snapshot: asyncio.Event | None = None

    # -- reading the log ------------------------------------------------------------------
    def _read(self) -> tuple[list[Event], int, datetime | None]:
        """The next batch, and the newest committed event's seq and time."""
        events = self.log.read_events(self.figures.last_seq, self.batch)
        newest = self.log.last_seq()
        newest_at = None
        if events and events[-1].seq == newest:
            newest_at = events[-1].recorded_at
        elif newest > self.figures.last_seq:
            tail = self.log.read_events(newest - 1, 1)
            newest_at = tail[0].recorded_at if tail else None
        return events, newest, newest_at

    def _note_newest(self, newest: int, newest_at: datetime | None) -> None:
        if newest >= self._newest_seq:
            self._newest_seq = newest
            self._newest_at = newest_at or self._newest_at

    def look_at_log(self) -> None:
        """Note the newest committed event without folding anything (for freshness)."""
        newest = self.log.last_seq()
        tail = self.log.read_events(newest - 1, 1) if newest else []
        self._note_newest(newest, tail[0].recorded_at if tail else None)

    def catch_up(self) -> int:
        """Fold everything committed so far, here and now; the events that counted."""
        counted = 0
        while True:
            events, newest, newest_at = self._read()
            self._note_newest(newest, newest_at)
            counted += self.figures.fold_all(events)
            if len(events) < self.batch:
                break
        self.publish()
        return counted

    def _budget(self) -> int:
        now = time.monotonic()
        promotions = len(self.figures.promotions)
        if now - self._budget_checked >= self.budget_every_s or promotions != self._budget_for:
            self._budget_checked, self._budget_for = now, promotions
            self._budget_fen = sum(self._budget_of(p) for p in sorted(self.figures.promotions))
        return self._budget_fen

    # -- publishing -----------------------------------------------------------------------
    def freshness(self) -> Freshness:
        folded = self.figures.last_seq
        newest = max(self._newest_seq, folded)
        lag = 0.0
        last_at = self.figures.last_recorded_at
        if newest > folded and self._newest_at is not None and last_at is not None:
            lag = max(0.0, (self._newest_at - last_at).total_seconds())
        return Freshness(
            newest_seq=newest,
            folded_seq=folded,
            behind_events=newest - folded,
            lag_s=round(lag, 3),
            checked_at=self.clock.now().isoformat(),
        )

    def publish(self) -> LiveSnapshot:
        """Make a new snapshot of the figures and wake whoever waits for one."""
        self._version += 1
        self._latest = build_snapshot(
            self.figures,
            now=self.clock.now(),
            record=self.record,
            budget_fen=self._budget(),
            freshness=self.freshness(),
            version=self._version,
        )
        self._latest_json = _encoder.encode(self._latest)
        self._published_at = time.monotonic()
        if self._new_snapshot is not None:
            self._new_snapshot.set()
            self._new_snapshot = asyncio.Event()
        return self._latest

    def snapshot(self) -> LiveSnapshot:
        return self._latest or self.publish()

    def snapshot_json(self) -> bytes:
        """The latest snapshot as JSON bytes (encoded once, shared by every client)."""
        if self._latest is None:
            self.publish()
        return self._latest_json

    async def next_snapshot(self, timeout: float) -> bytes:
        """The next published snapshot, or the latest one after ``timeout`` seconds."""
        waiter = self._new_snapshot
        if waiter is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout)
        else:
            await asyncio.sleep(timeout)
        return self.snapshot_json()

    # -- following the log while the server runs --------------------------------------------
    async def start(self) -> None:
        self._new_snapshot = asyncio.Event()
        self._task = asyncio.create_task(self._follow(), name="live-runner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        while True:
            try:
                events, newest, newest_at = await asyncio.to_thread(self._read)
                self._note_newest(newest, newest_at)
                for start in range(0, len(events), 1_000):
                    self.figures.fold_all(events[start : start + 1_000])
                    await asyncio.sleep(0)  # let requests through during a long rebuild
                quiet = time.monotonic() - self._published_at
                if quiet >= (self.publish_s if events else self.idle_publish_s):
                    self.publish()
            except Exception:  # a locked or closing database, a bug: log it, keep the screen up
                _log.exception("live screen: following the event log failed")
                await asyncio.sleep(self.poll_s)
                continue
            if len(events) < self.batch:
                await asyncio.sleep(self.poll_s)
