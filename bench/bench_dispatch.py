"""The fulfilment worker's dispatch alone: CPU per placed order given its code or shipment.

Run from the repository root::

    .venv/bin/python bench/bench_dispatch.py                 # 3 rounds of 8,000 orders
    .venv/bin/python bench/bench_dispatch.py --orders 20000 --rounds 5

It seeds a fresh database in a temporary folder (20,000 buyers, 50 SKUs with ample stock, budget
and limits), and per round writes ``--orders`` orders through ``SqliteStore.take_orders`` in
batches of 64 (a quarter picked up in a partner store, the rest shipped, as bench_orders.py sends
them), then has the fulfilment worker's store dispatch them all (``Fulfilment.dispatch_all``: a
pickup code and the order made ready for pickup, or a shipment, in transactions of up to 64
events), as ``megasale fulfilment-worker`` does between its pauses. It prints the dispatching
thread's CPU microseconds per order (user + system: the commits' writes and fsyncs count) per
round and their median, and checks that every order got exactly one code or shipment.

CPU depends on the machine and its neighbours: compare builds with alternated runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from megasale.bootstrap import fulfilment_worker
from megasale.config import Settings
from megasale.domain.orders import Pickup, Shipping
from megasale.storage.sqlite_store import SqliteStore
from writer_orders import Placements, seed_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=8_000, help="orders per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="megasale-bench-dispatch-") as tmp:
        settings = Settings(db_path=Path(tmp) / "dispatch.db", consumers=False)
        seeded = seed_database(settings.db_path)
        stores = [s["store_id"] for s in seeded.stores]

        def where(n: int) -> Pickup | Shipping:  # every fourth order picked up, as bench_orders
            if n % 4 == 0:
                return Pickup(stores[n % len(stores)])
            return Shipping(f"{n % 997 + 1} Renmin Road, Chengdu")

        placement = Placements(seeded, seed=11, where=where)
        orders_store = SqliteStore(settings.db_path, checkpoint=False)
        worker, store, _lock = fulfilment_worker(settings, checkpoint=False)
        fulfilment = worker.fulfilment
        cpus = []
        for round_no in range(args.rounds):
            for _ in range(args.orders // 64):
                orders_store.take_orders([placement() for _ in range(64)])
            began = time.thread_time()
            fulfilment.dispatch_all()
            cpu = (time.thread_time() - began) / (args.orders // 64 * 64) * 1e6
            cpus.append(cpu)
            print(f"round {round_no + 1}: {cpu:.1f} us CPU per order dispatched", flush=True)
        conn = store.db.connection()
        (codes,) = conn.execute("SELECT count(*) FROM pickup_codes").fetchone()
        (shipments,) = conn.execute("SELECT count(*) FROM shipments").fetchone()
        (placed,) = conn.execute("SELECT count(*) FROM orders").fetchone()
        (ready,) = conn.execute(
            "SELECT count(*) FROM orders WHERE status = 'ready_for_pickup'"
        ).fetchone()
        ok = codes + shipments == placed == placement.written and ready == codes
        print(
            f"median of {args.rounds}: {median(cpus):.1f} us CPU per order dispatched; "
            f"{codes} pickup codes ({ready} orders ready for pickup) + {shipments} shipments "
            f"for {placed} orders: {'ok' if ok else 'MISMATCH'}"
        )
        orders_store.close()
        store.close()


if __name__ == "__main__":
    main()
