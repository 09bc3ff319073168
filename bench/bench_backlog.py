"""The backlog views on a database holding a full promotion day (400k orders).

Run from the repository root::

    .venv/bin/python bench/bench_backlog.py                 # 400k orders, 7 runs per view
    .venv/bin/python bench/bench_backlog.py --orders 100000 --runs 5
    .venv/bin/python bench/bench_backlog.py --keep var/backlog.db   # keep the database

It builds a fresh SQLite file in a temporary folder with bulk inserts straight into the tables
(not through HTTP): the ~2,300-store partner network, ``--orders`` orders of one or two lines
spread over the 24 hours of the reference day (60% pickup, 40% shipping), and their
fulfilment records as they stand at noon the next day (T0 + 36 h): pickups collected, waiting
and expired; shipments awaiting hand-over, picked up, in transit, delivered and failed. Then it
times, each ``--runs`` times after one warm-up, with the median printed:

- each view on its own: orders not yet shipped by age, pickups waiting per store, shipments
  stuck in a state too long (three states);
- the whole backlog, as ``GET /v1/operator/backlog`` computes it (one read snapshot);
- the baseline, in the same run: the same "pickups waiting per store" answered from the orders
  table without the fulfilment indexes (a full scan of the day's orders), and ratio baseline/view.

With ``--export`` it also times ``export-orders`` (CSV, pseudonymised) over the whole day once.

Speed is printed, never asserted. Keep runs short: the machine is shared.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

from megasale.domain.shipments import DEFAULT_CARRIERS
from megasale.services.fulfilment import DEFAULT_STUCK_AFTER
from megasale.services.order_export import export_order_log
from megasale.sim.partner_network import generate_network
from megasale.storage.sqlite_backlog import _pickups, _stuck, _unshipped, read_backlog
from megasale.storage.sqlite_db import SqliteDatabase, to_micros
from megasale.storage.sqlite_fulfilment import SqliteFulfilment

T0 = datetime(2026, 11, 11, tzinfo=UTC)
AT = T0 + timedelta(hours=36)  # noon the day after: the backlog the operators come back to
DAY_US = 24 * 3600 * 1_000_000
SHIP_STATES = (
    ("awaiting_handover", 0.30),
    ("picked_up", 0.30),
    ("in_transit", 0.25),
    ("delivered", 0.14),
    ("failed", 0.01),
)
PICKUP_STATES = (("collected", 0.70), ("waiting", 0.28), ("expired", 0.02))


def _placed_at(rng: random.Random) -> int:
    """Half the day's orders in its first ten minutes, the rest over the remaining hours."""
    if rng.random() < 0.475:
        return to_micros(T0) + int(rng.random() * 600_000_000)
    return to_micros(T0) + 600_000_000 + int(rng.random() * (DAY_US - 600_000_000))


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    x, acc = rng.random(), 0.0
    for name, share in mix:
        acc += share
        if x < acc:
            return name
    return mix[-1][0]


def build(path: Path, n_orders: int, seed: int = 7) -> SqliteDatabase:
    rng = random.Random(seed)
    db = SqliteDatabase(path)
    network = generate_network()
    SqliteFulfilment(db).import_stores(network)
    stores = [r.store.store_id for r in network]
    weights = [8 if r.store.city_tier <= 2 else 1 for r in network]  # big boxes sell more
    cum = [sum(weights[: i + 1]) for i in range(len(weights))]
    now = to_micros(AT)
    orders, lines, pickups, shipments = [], [], [], []
    for n in range(n_orders):
        oid = f"o-{n:08d}"
        placed = _placed_at(rng)
        amount = rng.choice((89_900, 149_900, 299_900, 459_900))
        subsidy = 8_000
        pickup = rng.random() < 0.6
        store = rng.choices(stores, cum_weights=cum)[0] if pickup else None
        if pickup:
            state = _pick(rng, PICKUP_STATES)
            status = {"collected": "collected", "waiting": "ready_for_pickup"}.get(
                state, "cancelled"
            )
            collected = placed + rng.randint(600_000_000, 20 * 3600 * 1_000_000)
            collected = min(collected, now) if state == "collected" else None
            pickups.append(
                (oid, store, f"{n:016x}", n.to_bytes(8, "big") * 4, state, placed,
                 placed + 1_000_000, placed + 7 * DAY_US, collected,
                 "clerk" if collected else None)
            )  # fmt: skip
            received = collected
        else:
            state = _pick(rng, SHIP_STATES)
            status = {
                "awaiting_handover": "placed",
                "picked_up": "shipped",
                "in_transit": "shipped",
                "delivered": "delivered",
                "failed": "cancelled",
            }[state]
            status_at = min(now, placed + rng.randint(60_000_000, 18 * 3600 * 1_000_000))
            if state == "awaiting_handover":
                status_at = placed + 1_000_000
            carrier = DEFAULT_CARRIERS[n % len(DEFAULT_CARRIERS)]
            delivered = status_at if state == "delivered" else None
            shipments.append(
                (oid, carrier.carrier_id, carrier.tracking_number(oid, ""), state, placed,
                 placed + 1_000_000, status_at, delivered)
            )  # fmt: skip
            received = delivered
        orders.append(
            (oid, f"b-{rng.randrange(n_orders // 2):07d}", f"shop-{rng.randrange(500):03d}",
             "promo-1", status, amount, subsidy, "pickup" if pickup else "shipping", store,
             None if pickup else "88 Jianshe Road, Wuhan", f"10.{n % 250}.{n % 97}.{n % 89}",
             None, f"pay-{n}", placed, f"k-{n}", placed, None, received)
        )  # fmt: skip
        lines.append((oid, 0, f"sku-{n % 50:04d}", "tv", 1, amount, amount, subsidy))
        if n % 5 == 0:
            lines.append((oid, 1, f"sku-{(n + 1) % 50:04d}", "tv", 1, 9_900, 9_900, 0))
    with db.write() as conn:
        conn.executemany(f"INSERT INTO orders VALUES ({','.join('?' * 18)})", orders)
        conn.executemany("INSERT INTO order_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
        conn.executemany(f"INSERT INTO pickup_codes VALUES ({','.join('?' * 10)})", pickups)
        conn.executemany("INSERT INTO shipments VALUES (?, ?, ?, ?, ?, ?, ?, ?)", shipments)
    db.connection().execute("ANALYZE")
    return db


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    fn()  # warm-up: the first run reads the pages from disk into the cache
    times = []
    result: object = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return median(times) * 1000, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", help="build the database here and keep it")
    parser.add_argument("--export", action="store_true", help="also time export-orders once")
    args = parser.parse_args(argv)
    folder = tempfile.TemporaryDirectory(prefix="bench-backlog-")
    path = Path(args.keep) if args.keep else Path(folder.name) / "backlog.db"
    path.unlink(missing_ok=True)
    start = time.perf_counter()
    db = build(path, args.orders)
    built = time.perf_counter() - start
    conn = db.connection()
    count = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    size_mb = path.stat().st_size / 1e6
    print(f"built {count:,} orders in {built:.1f} s ({size_mb:.0f} MB) at {path}")
    at = AT
    now = to_micros(at)
    print(f"backlog at T0+36h, median of {args.runs} runs (after one warm-up), ms:")
    rows: list[tuple[str, float, str]] = []
    ms, r = timed(lambda: _unshipped(conn, now, 20), args.runs)
    rows.append(("orders not yet shipped, by age", ms, f"{r[0]:,} orders"))  # type: ignore[index]
    ms_pickups, r = timed(lambda: _pickups(conn, 20), args.runs)
    rows.append(("pickups waiting per store", ms_pickups, f"{r[0]:,} pickups"))  # type: ignore[index]
    for status, older in DEFAULT_STUCK_AFTER.items():
        ms, r = timed(lambda s=status, o=older: _stuck(conn, now, s, o, 20), args.runs)  # type: ignore[misc]
        rows.append(
            (
                f"stuck {status.value} > {older // timedelta(hours=1)} h",
                ms,
                f"{r.count:,} shipments",
            )
        )  # type: ignore[attr-defined]
    ms, r = timed(lambda: read_backlog(conn, at, DEFAULT_STUCK_AFTER, 20), args.runs)
    rows.append(("the whole backlog (one snapshot)", ms, "GET /v1/operator/backlog"))
    for name, ms, what in rows:
        print(f"  {name:<40} {ms:8.2f}  {what}")
    baseline = (
        "SELECT pickup_store_id, count(*), min(placed_at) AS first FROM orders "
        "WHERE status = 'ready_for_pickup' GROUP BY pickup_store_id ORDER BY first LIMIT 20"
    )
    ms_base, _ = timed(lambda: conn.execute(baseline).fetchall(), args.runs)
    print(f"  {'baseline: waiting per store from orders':<40} {ms_base:8.2f}  full scan")
    print(f"  ratio baseline / pickups view: {ms_base / ms_pickups:.1f}x")
    if args.export:
        out = Path(folder.name) / "orders.csv"
        start = time.perf_counter()
        with out.open("w", encoding="utf-8", newline="") as handle:
            written = export_order_log(SqliteFulfilment(db), b"bench-key-0123456789", handle)
        took = time.perf_counter() - start
        print(f"export-orders: {written:,} order lines in {took:.1f} s ({written / took:,.0f}/s)")
    db.close()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
