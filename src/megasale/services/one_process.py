"""Run a background task in one process only, among the server processes on one database."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from megasale.services.platform import Background

__all__ = ["OneProcess"]


class OneProcess:
    """Start ``task`` once this process holds an exclusive lock on ``lock_path``.

    The operating system releases the lock when the holder exits, however it exits, and a
    waiting process then takes the task over within ``retry_s``.
    """

    def __init__(self, task: Background, lock_path: Path, *, retry_s: float = 2.0) -> None:
        self.task = task
        self.lock_path = lock_path
        self.retry_s = retry_s
        self.holding = False
        self._file: IO[bytes] | None = None
        self._waiter: asyncio.Task[None] | None = None

    def _try_lock(self) -> bool:
        handle = self.lock_path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.write(f"{os.getpid()}\n".encode())
        self._file = handle
        return True

    async def start(self) -> None:
        self._waiter = asyncio.create_task(self._wait_then_start(), name="one-process")

    async def _wait_then_start(self) -> None:
        while not self._try_lock():
            await asyncio.sleep(self.retry_s)
        self.holding = True
        await self.task.start()

    async def stop(self) -> None:
        if self._waiter is not None:
            self._waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._waiter
        if self.holding:
            await self.task.stop()
            self.holding = False
        if self._file is not None:
            self._file.close()
            self._file = None
