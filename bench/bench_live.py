"""The live screen: how fast the aggregator folds, and how soon an order shows on the screen.

Run from the repository root::

    .venv/bin/python bench/bench_live.py                 # both parts, about a minute
    .venv/bin/python bench/bench_live.py --part fold     # (a) only
    .venv/bin/python bench/bench_live.py --part latency --rate 5000 --duration 10
    .venv/bin/python bench/bench_live.py --part latency --workers 2   # megasale serve --workers 2
    .venv/bin/python bench/bench_live.py --part latency --api-workers 2  # orders to an API-only
                                                   # server (2 workers), the screen from another

(a) ``fold``: 1M synthetic events over 24 h in commit order (95% ``order.placed`` with one
or two lines, pickup in one of 2,300 partner stores or shipping to one of 300 cities, 400k
buyers, 5,000 shops; 4% status changes, a third of them cancellations, the rest refunds; 1%
brushing flags and rulings) are encoded up front, then folded by a fresh
:class:`~megasale.live.aggregator.SaleFigures` per run. It prints the median events/s over
``--repeats`` runs, and the baseline measured in the same run: decoding the same payloads with
msgspec and nothing else (the floor any consumer of this log pays). Target: 200k events/s on
the wall clock; the aim is 300k per CPU-second, so that a shared machine still gives 200k.

(b) ``latency``: a real ``megasale serve`` on a fresh seeded database, orders placed over HTTP
by the open-loop generator (``loadgen.py``, the ``bench_orders.py`` order stream) and one
``/live/stream`` client reading server-sent events on its own thread. Each frame carries the
seq of the last event the screen folded; afterwards the events table gives each order's
``recorded_at`` (its commit), and an order's event-to-screen latency runs from there to the
first frame whose seq covers it. It prints p50/p95/p99/max at a baseline rate (``--base-rate``,
default 50/s) and at ``--rate`` (default 5,000/s), and their ratio. Target: p95 <= 1 s at 5,000/s.
When the server cannot take ``--rate`` orders over HTTP (the verdict says so), the last line,
``outbox``, still measures the screen at that rate: this process appends ``order.placed``
events straight to the outbox, 50 per transaction as group commit does, while the server runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_orders import HOST, THROUGHPUT_PLAN, OrderStream, seed, serving
from loadgen import LoadSpec, run_load
from megasale.live.aggregator import SaleFigures
from megasale.services.brushing_events import (
    RING_CLEARED,
    RING_CONFIRMED,
    RingFlagged,
    RingRuling,
    ring_flagged,
    ring_ruling,
)
from megasale.services.order_events import (
    OrderPlaced,
    OrderStatusChanged,
    PlacedLine,
    status_changed,
)
from megasale.services.ports import Event

T0 = datetime(2026, 11, 11, tzinfo=UTC)
CATEGORIES = ["tv", "air_conditioner", "fridge", "washer", "small_appliance"]


# -- (a) folding --------------------------------------------------------------------------
def synthetic_log(n: int, seed_: int = 11) -> list[Event]:
    """``n`` events of a promotion day: orders, corrections and brushing, encoded up front."""
    rng = random.Random(seed_)
    enc = msgspec.json.Encoder()
    events: list[Event] = []
    placed: list[tuple[str, int]] = []
    rings = 0
    for seq in range(1, n + 1):
        roll = rng.random()
        # in commit order, as the outbox holds them: a few ms of jitter within a group commit
        at = T0 + timedelta(seconds=seq * 86_400 / n, microseconds=rng.randrange(5_000))
        if roll < 0.95 or not placed:
            order_id = f"o-{seq:08d}"
            lines = [
                PlacedLine(
                    f"sku-{rng.randrange(20_000):05d}",
                    rng.choice(CATEGORIES),
                    1,
                    rng.randrange(50_000, 500_000),
                    500,
                )
                for _ in range(1 if rng.random() < 0.8 else 2)
            ]
            amount = sum(line.amount_fen for line in lines)
            pickup = rng.random() < 0.4
            payload = OrderPlaced(
                order_id=order_id,
                buyer_id=f"b-{rng.randrange(400_000)}",
                shop_id=f"shop-{rng.randrange(5_000)}",
                promotion_id="promo-1",
                placed_at=at.isoformat(),
                amount_fen=amount,
                subsidy_fen=500 * len(lines),
                fulfilment="pickup" if pickup else "shipping",
                pickup_store_id=f"st-{rng.randrange(2_300)}" if pickup else None,
                ship_address=None if pickup else f"City-{rng.randrange(300)}, 8 Renmin Road",
                ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
                device_id=None,
                payment_id=None,
                lines=lines,
            )
            placed.append((order_id, amount))
            events.append(
                Event(seq, f"order.placed:{order_id}", "order.placed", enc.encode(payload), at)
            )
        elif roll < 0.99:
            order_id, amount = rng.choice(placed)
            cancel = rng.random() < 0.33
            event_id, kind, body = status_changed(
                OrderStatusChanged(
                    order_id=order_id,
                    buyer_id="b",
                    shop_id="shop",
                    status="cancelled" if cancel else f"returned-{seq}",
                    previous="placed",
                    at=at.isoformat(),
                    amount_fen=amount,
                    refund_fen=amount if cancel else amount // 2,
                    released=True,
                    subsidy_returned_fen=500,
                )
            )
            events.append(Event(seq, event_id, kind, body, at))
        elif roll < 0.997 or rings == 0:
            rings += 1
            members = [rng.choice(placed)[0] for _ in range(rng.randrange(3, 30))]
            event_id, kind, body = ring_flagged(
                RingFlagged(f"ring-{rings}", "subsidy_farming", 0.8, members, [], 0, 0, "")
            )
            events.append(Event(seq, event_id, kind, body, at))
        else:
            ruling = RING_CLEARED if rng.random() < 0.5 else RING_CONFIRMED
            ring = f"ring-{rng.randrange(1, rings + 1)}"
            event_id, kind, body = ring_ruling(ruling, RingRuling(ring, at.isoformat()))
            events.append(Event(seq, f"{event_id}:{seq}", kind, body, at))
    return events


def decode_only(events: list[Event]) -> None:
    """The baseline: decode every payload into its struct, fold nothing."""
    decoders = {
        "order.placed": msgspec.json.Decoder(OrderPlaced).decode,
        "order.status_changed": msgspec.json.Decoder(OrderStatusChanged).decode,
        "brushing.ring_flagged": msgspec.json.Decoder(RingFlagged).decode,
    }
    ruling = msgspec.json.Decoder(RingRuling).decode
    for event in events:
        decoders.get(event.kind, ruling)(event.payload)


def bench_fold(n: int, repeats: int) -> None:
    print(f"(a) fold: building {n:,} synthetic events ...", flush=True)
    events = synthetic_log(n)
    # The runner holds one batch of events at a time; here all n stay alive, so take them out
    # of the cyclic collector's sight lest every collection walk a million objects.
    gc.collect()
    gc.freeze()
    kinds: dict[str, int] = {}
    for e in events:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    print("    kinds: " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())))
    fold_rates, base_rates, fold_cpu = [], [], []
    for run in range(repeats):
        t = time.perf_counter()
        decode_only(events)
        base_rates.append(n / (time.perf_counter() - t))
        figures = SaleFigures(opens_at=T0)
        t, cpu = time.perf_counter(), time.process_time()
        figures.fold_all(events)
        fold_rates.append(n / (time.perf_counter() - t))
        fold_cpu.append(n / (time.process_time() - cpu))
        print(
            f"    run {run + 1}: fold {fold_rates[-1]:,.0f} events/s "
            f"({fold_cpu[-1]:,.0f} per CPU-second), decode-only {base_rates[-1]:,.0f} events/s; "
            f"gross {figures.gross_fen:,} fen, net {figures.net_fen:,}, "
            f"net of brushing {figures.net_of_brushing_fen:,}, orders {figures.orders:,}, "
            f"buyers {len(figures.buyers):,}"
        )
    fold, base, cpu_rate = median(fold_rates), median(base_rates), median(fold_cpu)
    print(
        f"(a) fold, median of {repeats}: {fold:,.0f} events/s wall, {cpu_rate:,.0f} per "
        f"CPU-second (target 200,000: {'met' if fold >= 200_000 else 'NOT met'} on the wall "
        f"clock; aim 300,000 per CPU-second, so that a shared machine still gives 200,000: "
        f"{'met' if cpu_rate >= 300_000 else 'NOT met'}); decode-only baseline {base:,.0f} "
        f"events/s; fold/decode ratio {fold / base:.2f}; load average "
        f"{os.getloadavg()[0]:.1f} (the machine is shared)"
    )


# -- (b) event-to-screen latency ----------------------------------------------------------
class StreamReader(threading.Thread):
    """Reads ``/live/stream`` and notes ``(arrival time, folded seq)`` of every frame."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.port, self.token = port, token
        self.frames: list[tuple[float, int]] = []
        self.stopping = False

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        conn.request("GET", "/live/stream", headers={"Authorization": f"Bearer {self.token}"})
        response = conn.getresponse()
        assert response.status == 200, response.status
        while not self.stopping:
            line = response.fp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                now = time.time()
                seq = json.loads(line[6:])["freshness"]["folded_seq"]
                self.frames.append((now, seq))
        conn.close()


def latencies(db: Path, frames: list[tuple[float, int]], after_seq: int) -> list[float]:
    """Seconds from each order's commit to the first frame that folded it."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT seq, recorded_at FROM events WHERE kind = 'order.placed' AND seq > ? ORDER BY seq",
        (after_seq,),
    ).fetchall()
    conn.close()
    # frames in arrival order; the seq they cover only grows
    running, times, seqs = 0, [], []
    for at, seq in frames:
        running = max(running, seq)
        times.append(at)
        seqs.append(running)
    out = []
    for seq, recorded_us in rows:
        i = bisect_left(seqs, seq)
        if i < len(seqs):
            out.append(times[i] - recorded_us / 1e6)
        else:
            out.append(float("inf"))  # never shown while we watched
    return out


def append_orders(db: Path, rate: float, duration: float) -> int:
    """Append ``order.placed`` events to the outbox at ``rate`` a second, 50 per transaction."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    enc = msgspec.json.Encoder()
    per_batch, n = 50, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < duration:
        due = t0 + n / rate
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        now = datetime.now(UTC)
        rows = []
        for _ in range(per_batch):
            n += 1
            payload = OrderPlaced(
                order_id=f"ob-{n}",
                buyer_id=f"b-{n % 20_000}",
                shop_id=f"shop-0{n % 5 + 1}",
                promotion_id="promo-1",
                placed_at=now.isoformat(),
                amount_fen=150_000,
                subsidy_fen=500,
                fulfilment="shipping",
                pickup_store_id=None,
                ship_address="Chengdu, 8 Renmin Road",
                ip="10.0.0.1",
                device_id=None,
                payment_id=None,
                lines=[PlacedLine("sku-0001", "tv", 1, 150_000, 500)],
            )
            micros = int(now.timestamp() * 1_000_000)
            rows.append((f"order.placed:ob-{n}", "order.placed", enc.encode(payload), micros))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO events (event_id, kind, payload, recorded_at) VALUES (?, ?, ?, ?)", rows
        )
        conn.execute("COMMIT")
    conn.close()
    return n


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def bench_latency(
    rate: float,
    base_rate: float,
    duration: float,
    connections: int,
    workers: int | None = None,
    api_workers: int | None = None,
    screen_args: Sequence[str] = (),
) -> None:
    megasale = Path(sys.executable).parent / "megasale"
    with tempfile.TemporaryDirectory(prefix="megasale-bench-live-") as tmp:
        seeded = seed(
            megasale,
            Path(tmp),
            "live",
            buyers=20_000,
            skus=50,
            **THROUGHPUT_PLAN,
        )
        with contextlib.ExitStack() as servers:
            port = servers.enter_context(serving(megasale, seeded.db, workers, extra=screen_args))
            # the scale-out layout: orders to an API-only server, the screen from this one
            orders_port = port
            if api_workers:
                api = serving(megasale, seeded.db, api_workers, extra=["--consumers", "none"])
                orders_port = servers.enter_context(api)
            reader = StreamReader(port, seeded.operator_token)
            reader.start()
            orders = OrderStream(seeded)
            results = {}
            achieved = 0.0
            for label, r, d in (("baseline", base_rate, 3.0), ("target", rate, duration)):
                time.sleep(0.5)
                start_seq = reader.frames[-1][1] if reader.frames else 0
                first_frame = len(reader.frames)
                spec = LoadSpec(HOST, orders_port, r, d, connections=connections, timeout=2.0)
                load = run_load(spec, orders.factory(), label=label)
                time.sleep(1.5)  # let the screen catch up before reading what it showed
                lat = latencies(seeded.db, reader.frames[first_frame:], start_seq)
                span = reader.frames[-1][0] - reader.frames[first_frame][0]
                fps = (len(reader.frames) - first_frame) / span if span > 0 else 0.0
                results[label] = lat
                achieved = load.ok_rate
                print(
                    f"(b) {label}: offered {r:,.0f}/s, achieved {load.achieved_rate:,.0f}/s, "
                    f"ok {load.ok_rate:,.0f}/s, http p99 {load.p99_ms:.1f} ms; "
                    f"{len(lat):,} orders on screen, frames {fps:.1f}/s; event-to-screen "
                    f"p50 {_pct(lat, 0.5) * 1e3:.0f} ms, p95 {_pct(lat, 0.95) * 1e3:.0f} ms, "
                    f"p99 {_pct(lat, 0.99) * 1e3:.0f} ms, max {max(lat, default=0) * 1e3:.0f} ms"
                )
            # the screen's own pipeline at the full rate: orders straight into the outbox
            time.sleep(0.5)
            start_seq = reader.frames[-1][1] if reader.frames else 0
            first_frame = len(reader.frames)
            appended = append_orders(seeded.db, rate, duration)
            time.sleep(1.5)
            lat = latencies(seeded.db, reader.frames[first_frame:], start_seq)
            print(
                f"(b) outbox: {appended:,} order.placed events appended at {rate:,.0f}/s "
                f"(50 per transaction, as group commit writes them), no HTTP; event-to-screen "
                f"p50 {_pct(lat, 0.5) * 1e3:.0f} ms, p95 {_pct(lat, 0.95) * 1e3:.0f} ms, "
                f"p99 {_pct(lat, 0.99) * 1e3:.0f} ms, max {max(lat, default=0) * 1e3:.0f} ms"
            )
            reader.stopping = True
            p95, p95_base = _pct(results["target"], 0.95), _pct(results["baseline"], 0.95)
            verdict = "met" if p95 <= 1.0 else "NOT met"
            if achieved < 0.95 * rate:
                verdict += (
                    f", but at the {achieved:,.0f} orders/s the server achieved, "
                    f"not the {rate:,.0f}/s offered"
                )
            print(
                f"(b) event-to-screen p95 at {rate:,.0f}/s offered: {p95 * 1e3:.0f} ms "
                f"(target 1000 ms: {verdict}); baseline at {base_rate:,.0f}/s "
                f"{p95_base * 1e3:.0f} ms; ratio {p95 / p95_base if p95_base else float('nan'):.2f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--part", choices=["fold", "latency", "both"], default="both")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rate", type=float, default=5_000.0)
    parser.add_argument("--base-rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--workers", type=int, help="megasale serve --workers (latency part)")
    parser.add_argument(
        "--api-workers",
        type=int,
        help="latency part: place the orders on a second, API-only server with this many "
        "workers (--consumers none) on the same database; the screen is read from the first",
    )
    parser.add_argument(
        "--screen-serve-arg",
        action="append",
        default=[],
        help="another option for the server that runs the screen, e.g. "
        "--screen-serve-arg=--no-detection (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.part in ("fold", "both"):
        bench_fold(args.events, args.repeats)
    if args.part in ("latency", "both"):
        bench_latency(
            args.rate,
            args.base_rate,
            args.duration,
            args.connections,
            args.workers,
            args.api_workers,
            args.screen_serve_arg,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
