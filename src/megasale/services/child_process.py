"""A consumer that runs in a child process of the server, so its CPU work never holds the
API's interpreter lock."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Sequence

__all__ = ["ChildProcess"]


class ChildProcess:
    """Start ``argv`` with the server and stop it with the server (a ``Background`` task).

    A child that dies is started again after ``restart_s``: consumers rebuild their state
    from the event log, so a restart loses nothing.
    """

    def __init__(self, argv: Sequence[str], *, restart_s: float = 2.0) -> None:
        self.argv = list(argv)
        self.restart_s = restart_s
        self.process: subprocess.Popen[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._watch = asyncio.create_task(self._keep_running(), name="child-process")

    async def _keep_running(self) -> None:
        while True:
            self.process = subprocess.Popen(self.argv)  # noqa: S603 - our own command
            while self.process.poll() is None:
                await asyncio.sleep(0.5)
            await asyncio.sleep(self.restart_s)

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()
