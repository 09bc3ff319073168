"""The background worker that keeps fulfilment in step with the sale.

It runs for the life of the server: every ``interval`` it gives newly placed orders their
pickup code or shipment, and now and then expires pickups past their time. ``serve`` runs it in
a process of its own (``megasale fulfilment-worker``, :meth:`FulfilmentWorker.run_until`): in a
thread of a server process its Python took the interpreter lock from the requests (a quarter
of that process's samples at 5,000 orders/s). Elsewhere (a platform built in-process) it runs
as a background task whose database work is in a thread, so that the event loop is never
blocked by it. Each batch is one write transaction that the order writer interleaves with.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from megasale.services.fulfilment import Fulfilment

__all__ = ["FulfilmentWorker"]

_log = logging.getLogger("megasale.fulfilment")
#: between two dispatch transactions of a round (orders' p99 at 5,000/s: 55 ms without, 31-44
#: with 1 ms; docs/benchmarks.md, sixth sitting)
_PAUSE_S = 0.001


class FulfilmentWorker:
    def __init__(
        self, fulfilment: Fulfilment, *, interval_s: float = 0.5, expire_every_s: float = 30.0
    ) -> None:
        self._fulfilment = fulfilment
        self._interval_s = interval_s
        self._expire_every_s = expire_every_s
        self._task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def fulfilment(self) -> Fulfilment:
        """What this worker dispatches and expires."""
        return self._fulfilment

    async def start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(self._stopping), name="fulfilment-worker")

    async def stop(self) -> None:
        """Let the round in flight finish (its thread holds a transaction), then stop."""
        if self._task is not None and self._stopping is not None:
            self._stopping.set()
            await self._task
            self._task = None

    def run_once(self) -> int:
        """One round: dispatch until caught up, one short transaction at a time with a pause
        between them, in which the order writer, waiting for the file's write lock, takes it
        (without it this process could take the lock straight back); events read."""
        total = 0
        while read := self._fulfilment.dispatch():
            total += read
            time.sleep(_PAUSE_S)
        return total

    def run_until(self, stopped: Callable[[], bool]) -> None:
        """The same rounds in this thread, until ``stopped()`` (``megasale fulfilment-worker``,
        a process of its own)."""
        next_expiry = 0.0
        while not stopped():
            time.sleep(self._interval_s)
            next_expiry = self._round(next_expiry)

    async def _run(self, stopping: asyncio.Event) -> None:
        next_expiry = 0.0
        while not stopping.is_set():
            # wait first: a round at the very start would race whoever set the process up
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._interval_s)
            if stopping.is_set():
                break
            next_expiry = await asyncio.to_thread(self._round, next_expiry)

    def _round(self, next_expiry: float) -> float:
        """Dispatch until caught up, and expire what is due once ``next_expiry`` has passed;
        the next expiry's time."""
        try:
            self.run_once()
            if time.monotonic() >= next_expiry:
                self._fulfilment.expire_due()
                next_expiry = time.monotonic() + self._expire_every_s
        except Exception:  # keep serving; the next round retries from the checkpoint
            _log.exception("fulfilment round failed")
        return next_expiry
