"""``megasale serve --workers N``: N processes on one port and the order writer they share,
replaced when one dies, all stopped together."""

from __future__ import annotations

import os
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
from tests.e2e.servers import Server

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.sim.seed import Seeded, SeedPlan, seed_platform


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


def _order(base: str, seeded: Seeded, buyer: int, key: str, *, timeout: float = 10) -> int:
    token = seeded.buyers[buyer]["token"]
    body = {
        "promotion_id": seeded.promotion_id,
        "lines": [{"sku_id": "sku-0001", "quantity": 1}],
        "fulfilment": {"kind": "pickup", "store_id": "st-bj-01"},
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return httpx.post(f"{base}/v1/orders", json=body, headers=headers, timeout=timeout).status_code


def test_workers_share_the_port_and_a_writer_are_replaced_and_stop_together(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.db"
    platform = build_platform(Settings(db_path=db, consumers=False))
    seeded = seed_platform(platform, SeedPlan(buyers=8, skus=1, stock=100))
    platform.store.close()
    server = Server(db, "--workers", "2", "--consumers", "none")
    try:
        # the order writer starts first (the lowest pid), then the two workers
        _wait_for(lambda: len(_workers_of(server.proc.pid)) == 3)
        first = _workers_of(server.proc.pid)
        writer = min(first)
        _all_answer(server.base)
        assert [_order(server.base, seeded, n, f"k-{n}") for n in range(4)] == [201] * 4

        # a worker that crashes after its first seconds is replaced; the port keeps answering
        time.sleep(5.5)
        victim = max(first)
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: len(_workers_of(server.proc.pid) - {victim}) == 3)
        assert victim not in _workers_of(server.proc.pid)
        _all_answer(server.base)

        # so is the writer; the workers connect to the new one and orders go on, once each
        os.kill(writer, signal.SIGKILL)
        _wait_for(lambda: len(_workers_of(server.proc.pid) - {writer}) == 3)
        statuses = [_order(server.base, seeded, n, f"k-{n}") for n in range(8)]
        assert statuses == [201] * 8
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 8

        processes = _workers_of(server.proc.pid)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
        _wait_for(lambda: not any(_alive(pid) for pid in processes))
    finally:
        server.stop()


def test_one_server_process_sends_its_orders_to_a_writer_process(tmp_path: Path) -> None:
    """The default ``serve``: one server process, its orders written by a process beside it;
    ``--order-writer per-worker`` keeps the whole server in one process."""
    db = tmp_path / "one.db"
    platform = build_platform(Settings(db_path=db, consumers=False))
    seeded = seed_platform(platform, SeedPlan(buyers=4, skus=1, stock=100))
    platform.store.close()
    server = Server(db, "--consumers", "none")
    try:
        _wait_for(lambda: len(_workers_of(server.proc.pid)) == 2)
        writer = min(_workers_of(server.proc.pid))
        assert [_order(server.base, seeded, n, f"one-{n}") for n in range(2)] == [201] * 2
        # with the writer paused, the server still answers but no order completes
        os.kill(writer, signal.SIGSTOP)
        try:
            _all_answer(server.base, 5)
            try:
                _order(server.base, seeded, 2, "paused", timeout=1.0)
                raise AssertionError("an order completed while the writer was paused")
            except httpx.TimeoutException:
                pass
        finally:
            os.kill(writer, signal.SIGCONT)
        assert _order(server.base, seeded, 2, "paused") == 201  # the same key: its one order
    finally:
        server.stop()
    alone = Server(db, "--consumers", "none", "--order-writer", "per-worker")
    try:
        # buyer 0's key again: its first answer, no second order; buyer 3: a new order
        assert [_order(alone.base, seeded, n, f"one-{n}") for n in (0, 3)] == [201, 201]
        assert _workers_of(alone.proc.pid) == set()
    finally:
        alone.stop()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 4


def test_the_processes_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    """Killed at once (SIGKILL), the supervisor cannot stop its processes: the kernel tells
    them, and they shut down instead of serving on as orphans."""
    db = tmp_path / "orphans.db"
    build_platform(Settings(db_path=db, consumers=False)).store.close()
    folders_before = set(Path(tempfile.gettempdir()).glob("megasale-writer-*"))
    server = Server(db, "--workers", "2", "--consumers", "none")
    try:
        _wait_for(lambda: len(_workers_of(server.proc.pid)) == 3)
        children = _workers_of(server.proc.pid)
        _all_answer(server.base, 5)
        server.kill()
        _wait_for(lambda: not any(_alive(pid) for pid in children))
        left = set(Path(tempfile.gettempdir()).glob("megasale-writer-*")) - folders_before
        assert left == set()  # the writer removed its socket's folder
    finally:
        server.stop()
