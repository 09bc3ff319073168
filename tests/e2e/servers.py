"""Real megasale servers in subprocesses on loopback, for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, db: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = db.parent / f"server-{self.port}.log"
        args = [
            sys.executable,
            "-m",
            "megasale.cli",
            "serve",
            "--db",
            str(db),
            "--port",
            str(self.port),
        ]
        self.proc = subprocess.Popen(
            [*args, *extra],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not come up in 30 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """Stop the process at once, as a crash would: no shutdown hooks run."""
        self.proc.kill()
        self.proc.wait()


class RawConnection:
    """One keep-alive HTTP/1.1 connection over asyncio streams.

    httpx's pool costs more CPU per request than the server under test once a hundred
    connections are open; a plain connection per worker keeps the load generator light.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append(f"Content-Length: {len(payload)}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self._reader is not None
        try:
            self._writer.write(request)
            await self._writer.drain()
            status_line = await self._reader.readuntil(b"\r\n")
            length = 0
            while (line := await self._reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            content = await self._reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError):
            await self.close()
            raise ConnectionError("connection dropped") from None
        return int(status_line.split()[1]), content

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
