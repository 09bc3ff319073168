"""The trust program's read paths: badges per order, and search, on a big catalog.

Run from the repository root::

    .venv/bin/python bench/bench_trust.py                      # 1,000 shops, 50,000 SKUs
    .venv/bin/python bench/bench_trust.py --shops 200 --skus 10000 --runs 5

It builds a fresh SQLite file in a temporary folder: ``--shops`` shops (a third in each trust
program, with deposits, a quarter verified) and ``--skus`` SKUs inserted straight into the
tables (the FTS5 triggers index them as they go). Then it prints medians of ``--runs`` runs:

- ``badges_of`` for every shop, uncached (deriving from the state: one read snapshot per shop)
  and cached (the short per-process cache the live screen relies on), per call;
- search for a few queries (FTS5 + bm25 + trust re-rank over up to 500 candidates), against a
  baseline measured in the same run: the same words matched with ``LIKE '%word%'`` over SKU
  and shop names (a full scan returning every match, unranked), and the ratio baseline/search.

Speed is printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from megasale.domain.catalog import CATEGORIES
from megasale.domain.ledger import TxnKind, deposit_account, merchant_account, transfer
from megasale.services.clock import FakeClock
from megasale.services.platform import Platform
from megasale.services.trust_ports import TrustConfig
from megasale.storage.sqlite_db import to_micros
from megasale.storage.sqlite_store import SqliteStore
from megasale.storage.sqlite_trust import SqliteTrust
from megasale.storage.sqlite_trust_wiring import trust_over_sqlite

T0 = datetime(2026, 11, 11, tzinfo=UTC)
WORDS = ["smart", "inverter", "french", "robot", "steam", "quiet", "compact", "pro", "max", "eco"]
NOUNS = {
    "tv": "TV",
    "air_conditioner": "air conditioner",
    "fridge": "fridge",
    "washer": "washer",
    "small_appliance": "robot vacuum",
}
QUERIES = ["tv", "robot vacuum", "quiet fridge", "eco pro washer", "haier"]


def build(db: Path, shops: int, skus: int) -> Platform:
    store = SqliteStore(db)
    rng = random.Random(7)
    micros = to_micros(T0)
    with store.db.write() as conn:
        conn.execute("INSERT INTO accounts (account_id, role, name) VALUES ('m', 'merchant', 'M')")
        conn.executemany(
            "INSERT INTO shops VALUES (?, 'm', ?)",
            [
                (f"s{i}", f"{rng.choice(['Haier', 'Midea', 'Gree', 'TCL'])} shop {i}")
                for i in range(shops)
            ],
        )
        rows = []
        for n in range(skus):
            cat = rng.choice(CATEGORIES)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {NOUNS[cat]} {n}"
            rows.append((f"k{n}", f"s{rng.randrange(shops)}", name, cat, 100_000, 10))
        conn.executemany("INSERT INTO skus VALUES (?, ?, ?, ?, ?, ?)", rows)
        for i in range(shops):
            for program in ("deposit", "returns"):
                if i % 3 == 0:
                    conn.execute(
                        "INSERT INTO trust_memberships VALUES (?, ?, ?, NULL)",
                        (f"s{i}", program, micros),
                    )
    trust = SqliteTrust(store.db)
    for i in range(0, shops, 3):
        trust.post(
            transfer(
                f"t{i}",
                TxnKind.TOP_UP,
                f"s{i}",
                source=merchant_account(f"s{i}"),
                target=deposit_account(f"s{i}"),
                fen=1_000_000,
                at=T0,
            ),
            [],
        )
    platform = Platform.over(store, FakeClock(T0))
    platform.trust = trust_over_sqlite(
        store, platform.catalog, platform.clock, config=TrustConfig()
    )
    return platform


def _scan(conn: sqlite3.Connection, sql: str, params: list[str]) -> None:
    conn.execute(sql, params).fetchall()


def median_us(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shops", type=int, default=1_000)
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        platform = build(Path(tmp) / "trust.db", args.shops, args.skus)
        print(f"built {args.shops} shops, {args.skus} SKUs in {time.perf_counter() - start:.1f} s")
        trust = platform.trust
        assert trust is not None
        ids = [f"s{i}" for i in range(args.shops)]

        def uncached() -> None:
            trust.service._badges.clear()
            for shop in ids:
                trust.badges_of(shop)

        def cached() -> None:
            for shop in ids:
                trust.badges_of(shop)

        cold = median_us(uncached, args.runs) / len(ids)
        warm = median_us(cached, args.runs) / len(ids)
        print(f"badges_of per call: uncached {cold:.1f} us, cached {warm:.2f} us")
        print(f"  ratio uncached/cached {cold / warm:.0f}x")

        conn = platform.store.db.connection()  # type: ignore[attr-defined]
        print(
            "query, search ms (median), baseline ms (LIKE full scan: all matches, unranked), "
            "ratio baseline/search, hits"
        )
        for q in QUERIES:
            words = q.split()
            like = " AND ".join(
                f"(k.name LIKE ?{i + 1} OR s.name LIKE ?{i + 1})" for i in range(len(words))
            )
            sql = f"SELECT k.sku_id FROM skus k JOIN shops s USING (shop_id) WHERE {like}"
            params = [f"%{w}%" for w in words]
            hits = len(trust.search.search(q, limit=20))
            fts = median_us(partial(trust.search.search, q, limit=20), args.runs) / 1000
            base = median_us(partial(_scan, conn, sql, params), args.runs) / 1000
            print(f"{q!r:>18}  {fts:8.2f}  {base:8.2f}  {base / fts:6.2f}x  {hits}")
        platform.store.close()


if __name__ == "__main__":
    main()
