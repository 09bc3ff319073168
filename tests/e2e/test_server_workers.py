"""``megasale serve --workers N``: N processes on one port, replaced when one dies, all stopped
together."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
from tests.e2e.servers import Server


def _workers_of(parent: int) -> set[int]:
    """The server worker processes of ``parent`` (spawned interpreters; not the resource tracker)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            found.add(int(stat.parent.name))
    return found


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _all_answer(base: str, n: int = 50) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(n):
            assert client.post("/v1/noop", json={}).status_code == 200


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    )


def test_workers_share_the_port_are_replaced_and_stop_together(tmp_path: Path) -> None:
    server = Server(tmp_path / "w.db", "--workers", "2", "--consumers", "none")
    try:
        _wait_for(lambda: len(_workers_of(server.proc.pid)) == 2)
        first = _workers_of(server.proc.pid)
        _all_answer(server.base)

        # a worker that crashes after its first seconds is replaced; the port keeps answering
        time.sleep(5.5)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: len(_workers_of(server.proc.pid) - {victim}) == 2)
        assert victim not in _workers_of(server.proc.pid)
        _all_answer(server.base)

        workers = _workers_of(server.proc.pid)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
        _wait_for(lambda: not any(_alive(pid) for pid in workers))
    finally:
        server.stop()
