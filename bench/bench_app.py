"""CPU per request of the app itself: ``POST /v1/orders`` against ``POST /v1/noop``, no sockets.

Run from the repository root::

    .venv/bin/python bench/bench_app.py                     # 20,000 of each, 3 rounds
    .venv/bin/python bench/bench_app.py --requests 5000 --rounds 1 --profile /tmp/app.prof
    .venv/bin/python bench/bench_app.py --writer-process   # orders written by a writer process

It seeds a fresh database with ``megasale seed`` (as bench_orders.py does), builds the same
Litestar app ``megasale serve`` runs (API only: no event-log consumers), and calls it as an ASGI
app from this process, ``--concurrency`` requests at a time, with the very requests
bench_orders.py sends. It reports CPU microseconds (user + system, all threads of this process)
per request of each endpoint and their ratio, median over the rounds. Without uvicorn and the
sockets this isolates what our code and Litestar cost, and CPU time barely moves when another
process shares the machine, so a change shows here even when the wall-clock runs are noisy.
Every response is checked (201 for orders, 200 for the no-op).

With ``--writer-process`` the orders go to an order-writer process over its socket, as under
``serve --workers N``: this process's CPU is then what a worker spends per order, and the
writer's own CPU per order is printed apart (from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_orders import NOOP_BODY, THROUGHPUT_PLAN, OrderStream, seed
from megasale import bootstrap
from megasale.bootstrap import build_app
from megasale.config import Settings

ASGIApp = Callable[..., Any]


def scope_of(raw: bytes) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope and body of one HTTP/1.1 request as bench_orders.py encodes it."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.split(b"\r\n")
    method, target, _ = request_line.split(b" ")
    headers = []
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower(), value.strip()))
    path = target.decode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.decode(),
        "scheme": "http",
        "path": path,
        "raw_path": target,
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    return scope, body


async def call(app: ASGIApp, raw: bytes) -> int:
    scope, body = scope_of(raw)
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def run(
    app: ASGIApp, requests: list[bytes], concurrency: int, expect: int
) -> tuple[float, float]:
    """CPU seconds and wall seconds to answer ``requests``, ``concurrency`` at a time."""
    started, wall = time.process_time(), time.perf_counter()
    for i in range(0, len(requests), concurrency):
        statuses = await asyncio.gather(*(call(app, r) for r in requests[i : i + concurrency]))
        wrong = [s for s in statuses if s != expect]
        if wrong:
            raise SystemExit(f"expected {expect}, got {wrong[:5]} (of {len(wrong)})")
    return time.process_time() - started, time.perf_counter() - wall


async def session(app: Any, args: argparse.Namespace, orders: OrderStream) -> None:
    noop = (
        b"POST /v1/noop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(NOOP_BODY)}\r\n\r\n".encode()
        + NOOP_BODY
    )
    noop_us: list[float] = []
    order_us: list[float] = []
    profile = cProfile.Profile(time.process_time) if args.profile else None
    for round_no in range(args.rounds):
        make = orders.factory()
        batch = [make(i) for i in range(args.requests)]
        noop_cpu, _ = await run(app, [noop] * args.requests, args.concurrency, 200)
        if profile:
            profile.enable()
        order_cpu, order_wall = await run(app, batch, args.concurrency, 201)
        if profile:
            profile.disable()
        noop_us.append(1e6 * noop_cpu / args.requests)
        order_us.append(1e6 * order_cpu / args.requests)
        print(
            f"round {round_no + 1}: noop {noop_us[-1]:.1f} us, orders {order_us[-1]:.1f} us "
            f"per request (ratio of CPU noop/orders {noop_us[-1] / order_us[-1]:.2f}); "
            f"orders {args.requests / order_wall:.0f}/s on the wall clock",
            flush=True,
        )
    print(
        f"median of {args.rounds}: noop {median(noop_us):.1f} us, orders {median(order_us):.1f} "
        f"us per request; noop/orders {median(noop_us) / median(order_us):.2f}"
    )
    if profile:
        profile.dump_stats(args.profile)
        print(f"profile of the order rounds: {args.profile}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--profile", help="write a cProfile of the order rounds here")
    parser.add_argument("--megasale", type=Path, default=Path(".venv/bin/megasale"))
    parser.add_argument(
        "--writer-process",
        action="store_true",
        help="orders written by an order-writer process, as under serve --workers N (this "
        "process's CPU is then a worker's share alone; the writer's is reported apart)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="megasale-bench-app-") as tmp:
        seeded = seed(
            args.megasale,
            Path(tmp),
            "app",
            buyers=20_000,
            skus=50,
            **THROUGHPUT_PLAN,
        )
        if not args.writer_process:
            app = build_app(Settings(db_path=seeded.db, consumers=False))
            asyncio.run(_with_lifespan(app, args, OrderStream(seeded)))
            return
        address = f"@megasale-bench-app-{os.getpid()}"
        writer = multiprocessing.get_context("spawn").Process(
            target=bootstrap._order_writer, args=(str(seeded.db), address, os.getpid())
        )
        writer.start()
        try:
            bootstrap._wait_for_writer(writer, address)
            settings = Settings(db_path=seeded.db, consumers=False, order_writer_address=address)
            started = _cpu_seconds(writer.pid)
            asyncio.run(_with_lifespan(build_app(settings), args, OrderStream(seeded)))
            used = _cpu_seconds(writer.pid) - started
            orders = args.requests * args.rounds
            print(f"order writer process: {used * 1e6 / orders:.1f} us CPU per order")
        finally:
            writer.terminate()
            writer.join()


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _with_lifespan(app: Any, args: argparse.Namespace, orders: OrderStream) -> None:
    for hook in app.on_startup:
        await hook()
    try:
        await session(app, args, orders)
    finally:
        for hook in app.on_shutdown:
            await hook()


if __name__ == "__main__":
    main()
