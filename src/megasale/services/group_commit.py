"""Group commit: many concurrent placements, one transaction, one fsync.

Placements that arrive while the writer is busy wait in a list; when the writer is free it takes
all of them (up to ``max_batch``) as one batch. Under light load a batch holds one placement and
nothing waits; under heavy load batches grow by themselves, and with them the orders per fsync.

Between the two, batches stay small: at 5,000 orders/s a batch held what came during the last
commit, about five orders, and a batch's fixed cost (its statements, its WAL pages, its fsync,
some 420 us of the writer's CPU) was most of each order's. With ``batch_wait_s``, a batch whose
first placement came while orders were flowing (within ``batch_wait_s`` of the last batch's
end) waits until that placement is ``batch_wait_s`` old, or until ``batch_fill`` are waiting,
before it is written: no placement waits longer than that for its batch to form, and one that
comes after a pause is written at once.

Where the event loop also serves requests, the writer runs in one dedicated thread, so that
the loop keeps serving, and collecting the next batch, while SQLite writes and syncs this one.
The thread takes its batches from the list itself and hands each batch's answers back to the
loop in one call, so a batch costs one wake-up each way whatever its size. Where the loop does
nothing else (the order writer process of ``serve``), ``inline=True`` runs each batch on the
loop itself, between rounds of reading placements: no thread to wake, and no interpreter lock
passed back and forth between the two. ``MEGASALE_WRITER=inline`` or ``=thread`` overrides
the choice (:func:`writer_mode`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import cast

from megasale.services.ports import Placement, PlacementResult

__all__ = ["GroupCommitter", "writer_mode"]

TakeOrders = Callable[[Sequence[Placement]], list[PlacementResult]]


class _Submitted:
    """Placements submitted together, answered together: one future for all their results."""

    __slots__ = ("future", "left", "results")

    def __init__(self, future: asyncio.Future[list[PlacementResult]], count: int) -> None:
        self.future = future
        self.results: list[PlacementResult | None] = [None] * count
        self.left = count


Waiting = tuple[Placement, _Submitted, int]


def writer_mode(*, inline: bool) -> bool:
    """``inline`` unless ``MEGASALE_WRITER`` says ``inline`` or ``thread``."""
    setting = os.environ.get("MEGASALE_WRITER", "")
    if setting not in ("", "inline", "thread"):
        raise ValueError(f"MEGASALE_WRITER={setting!r}: expected 'inline' or 'thread'")
    return inline if not setting else setting == "inline"


class GroupCommitter:
    def __init__(
        self,
        take_orders: TakeOrders,
        *,
        max_batch: int = 512,
        inline: bool = False,
        batch_wait_s: float = 0.0,
        batch_fill: int = 32,
    ) -> None:
        if not (math.isfinite(batch_wait_s) and batch_wait_s >= 0):
            raise ValueError(f"batch_wait_s={batch_wait_s}: expected 0 or more seconds")
        self._take_orders = take_orders
        self._max_batch = max_batch
        self.batch_wait_s = batch_wait_s
        self.batch_fill = batch_fill
        self._pending: list[Waiting] = []
        self._first_at = 0.0  # when the oldest waiting placement came (time.monotonic)
        self._last_end = float("-inf")  # when the last batch was written
        self._loop: asyncio.AbstractEventLoop | None = None
        # A writer thread (the default) where the loop serves requests: a commit's fsync takes
        # 0.3-4 ms on this machine's disk (p99 16 ms), and inline the whole process waited
        # through it; with the thread the loop goes on while SQLite syncs (at 3,000 orders/s
        # offered to one process: p99 70 ms against 218 ms inline). The writer also waits for
        # the file's lock when several processes write to it, which must never block a loop
        # that serves. In the order writer process nothing else waits for the loop: inline,
        # orders/s +5.7% (median of 10 paired bursts, bench/bench_ab.py).
        self.inline = writer_mode(inline=inline)
        # thread mode: the list is shared with the writer thread under this condition
        self._ready = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        # inline mode: the loop task that writes, and what wakes it
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        if self.inline:
            self._wakeup = asyncio.Event()
            self._task = asyncio.create_task(self._run_inline(), name="megasale-group-commit")
        else:
            self._thread = threading.Thread(
                target=self._write_forever, name="megasale-writer", daemon=True
            )
            self._thread.start()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # a batch that waits for company is written now, not failed with the rest
            self._stopping = True
            assert self._wakeup is not None
            self._wakeup.set()
            while self._pending and not task.done():
                await asyncio.sleep(0.001)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        thread, self._thread = self._thread, None
        if thread is not None:
            with self._ready:
                self._stopping = True
                self._ready.notify()
            await asyncio.to_thread(thread.join)  # the batch in hand is finished and answered
            await asyncio.sleep(0)  # let its answers reach their callers
        with self._ready:
            left, self._pending = self._pending, []
        for _, submitted, _ in left:
            if not submitted.future.done():
                submitted.future.set_exception(RuntimeError("the order writer stopped"))
        self._loop = None

    async def submit(self, placement: Placement) -> PlacementResult:
        return (await self.enqueue([placement]))[0]

    def enqueue(self, placements: Sequence[Placement]) -> asyncio.Future[list[PlacementResult]]:
        """Queue ``placements``; the future has their results, in order, once all are written
        (the order writer's way: a callback on it answers another server process)."""
        if self._loop is None:
            raise RuntimeError("GroupCommitter.start() was not awaited")
        submitted = _Submitted(self._loop.create_future(), len(placements))
        waiting = [(placement, submitted, i) for i, placement in enumerate(placements)]
        if not waiting:
            submitted.future.set_result([])
            return submitted.future
        if self.inline:
            assert self._wakeup is not None
            if self._arrive(waiting):
                self._wakeup.set()
        else:
            with self._ready:
                if self._stopping:
                    raise RuntimeError("the order writer stopped")
                if self._arrive(waiting):
                    self._ready.notify()
        return submitted.future

    def _arrive(self, waiting: list[Waiting]) -> bool:
        """Add ``waiting`` to the list; whether the writer should look now (batches never
        wait, the list was empty, or a batch that waits for company is full)."""
        first = not self._pending
        if first and self.batch_wait_s:
            self._first_at = time.monotonic()
        self._pending.extend(waiting)
        return first or not self.batch_wait_s or len(self._pending) >= self.batch_fill

    def _wait_left(self) -> float:
        """How much longer the waiting placements should wait for more (0: write them now)."""
        wait = self.batch_wait_s
        if not wait or self._stopping or len(self._pending) >= self.batch_fill:
            return 0.0
        if self._first_at - self._last_end >= wait:  # the first came after a pause
            return 0.0
        return max(0.0, self._first_at + wait - time.monotonic())

    def _wrote(self) -> None:
        """A batch is written: note when, for the next batch's wait (if batches wait)."""
        if self.batch_wait_s:
            self._last_end = time.monotonic()

    def _take(self) -> list[Waiting]:
        """The next batch off the waiting list."""
        batch = self._pending[: self._max_batch]
        del self._pending[: self._max_batch]
        return batch  # the rest (past max_batch) has waited long enough: written next

    def _write_forever(self) -> None:
        """The writer thread: take what is waiting, write it, hand the answers to the loop."""
        loop = self._loop
        assert loop is not None
        while True:
            with self._ready:
                while not self._pending and not self._stopping:
                    self._ready.wait()
                if not self._pending:
                    return
                while left := self._wait_left():  # 0 once stopping
                    self._ready.wait(left)  # wakes when the batch fills, or stop() is called
                batch = self._take()
            outcome = self._write(batch)
            self._wrote()
            try:
                loop.call_soon_threadsafe(self._answer, batch, outcome)
            except RuntimeError:  # the loop closed under us: nobody is waiting any more
                return

    def _write(self, batch: list[Waiting]) -> list[PlacementResult] | Exception:
        try:
            return self._take_orders([placement for placement, _, _ in batch])
        except Exception as exc:  # nothing of the batch committed: every caller may retry
            return exc

    def _answer(self, batch: list[Waiting], outcome: list[PlacementResult] | Exception) -> None:
        if isinstance(outcome, Exception):
            for _, submitted, _ in batch:
                if not submitted.future.done():
                    submitted.future.set_exception(outcome)
            return
        for (_, submitted, i), result in zip(batch, outcome, strict=True):
            submitted.results[i] = result
            submitted.left -= 1
            # a caller that went away meanwhile still has its order
            if not submitted.left and not submitted.future.done():
                submitted.future.set_result(cast(list[PlacementResult], submitted.results))

    async def _run_inline(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                if left := self._wait_left():
                    # orders are flowing: let more join this batch, until it is full (enqueue
                    # sets the event) or its time is up; in whole milliseconds, as uvloop's
                    # timers count them (a shorter one would fire at once, again and again)
                    self._wakeup.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), math.ceil(left * 1000) / 1000)
                    continue
                batch = self._take()
                self._answer(batch, self._write(batch))
                self._wrote()
                await asyncio.sleep(0)  # let the requests that came meanwhile in
