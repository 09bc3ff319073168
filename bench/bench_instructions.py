"""The order writer's instructions per order, counted by valgrind: a figure the noise leaves alone.

Run from the repository root (valgrind comes from Debian: ``apt-get install valgrind``)::

    .venv/bin/python bench/bench_instructions.py                 # batches of 40, about a minute
    .venv/bin/python bench/bench_instructions.py --batch 10 --orders 800

On this shared 2-core machine a change of 10% in CPU time is lost in the noise of wall-clock runs
(the same build's no-op went from 7,200 to 11,500 requests/s within minutes). Callgrind counts the
instructions a process executes in user space, which do not depend on what else runs: two counts
of the same build agree within about 1%. It does not count the kernel's work (``pwrite``,
``fsync``), nor time spent waiting, so it complements ``bench_orders.py``; it does not replace it.

It seeds a database with ``megasale seed`` (50 SKUs, stock and budget that never bind), then runs
``SqliteStore.take_orders`` under callgrind twice on copies of it, with the checkpointer off:
``--orders`` orders and twice as many, in batches of ``--batch``, each order a new buyer/SKU pair
under a new key. The difference of the two counts over ``--orders`` is the figure: start-up and
seeding cancel out. Buyer ids and order ids are fixed, not random, so that the random-keyed
B-trees grow the same way every time. (The serving process is left out: its count depends on how
its event loop's turns fall, and two runs differed by 40%.)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_orders import THROUGHPUT_PLAN, seed

_COLLECTED = re.compile(rb"Collected : (\d+)")


def callgrind(args: list[str]) -> int:
    """Instructions executed by ``python bench_instructions.py --child DB ORDERS BATCH``."""
    with tempfile.TemporaryDirectory(prefix="megasale-callgrind-") as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            __file__,
            "--child",
            *args,
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, capture_output=True, env=env, timeout=1800, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        tail = done.stderr.decode(errors="replace")[-3000:]
        raise SystemExit(f"callgrind run failed ({' '.join(args)}):\n{tail}")
    return int(found.group(1))


def per_order(db: Path, orders: int, batch: int) -> float:
    """Instructions per order: runs of ``orders`` and ``2 * orders``, the difference / orders."""
    once = callgrind([str(db), str(orders), str(batch)])
    twice = callgrind([str(db), str(2 * orders), str(batch)])
    return (twice - once) / orders


# -- the child, run under callgrind ----------------------------------------------------------


def write_orders(db: Path, orders: int, batch: int) -> None:
    """``orders`` placements in batches of ``batch`` through ``take_orders``, on a copy of
    ``db``."""
    from megasale.domain.orders import ClientContext, Order, OrderLine, Pickup
    from megasale.services.ports import Placement
    from megasale.storage.sqlite_store import SqliteStore
    from megasale.web.orders_api import render_placement

    with tempfile.TemporaryDirectory(prefix="megasale-instructions-") as tmp:
        copy = Path(tmp) / "writer.db"
        shutil.copy(db, copy)
        store = SqliteStore(copy, checkpoint=False)
        conn = store.db.connection()
        # buyer ids of our own, not the seeded ones: those are random, and the shape of the
        # random-keyed B-trees, and so the count, would differ from one seeding to the next
        buyers = [f"b-{i:08d}" for i in range(20_000)]
        skus = [row[0] for row in conn.execute("SELECT sku_id FROM skus ORDER BY sku_id")]
        (promotion,) = conn.execute("SELECT promotion_id FROM promotions").fetchone()
        at = datetime(2026, 11, 11, 0, 0, 1, tzinfo=UTC)

        def placement(n: int) -> Placement:
            sku = skus[(n // len(buyers)) % len(skus)]
            order = Order(
                order_id=f"o-{n:016d}",
                buyer_id=buyers[n % len(buyers)],
                shop_id="shop-01",
                promotion_id=promotion,
                lines=(OrderLine(sku, "tv", 1, 300_000, 300_000, 20_000),),
                fulfilment=Pickup("st-bj-01"),
                client=ClientContext("10.1.2.3", f"dev-{n}", f"card-{n}"),
                placed_at=at,
            )
            return Placement(order, f"key-{n:012d}", n.to_bytes(32, "big"), render_placement)

        for start in range(0, orders, batch):
            store.take_orders([placement(n) for n in range(start, min(orders, start + batch))])
        store.close()


# -- the parent ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=400, help="orders in the shorter run")
    parser.add_argument("--batch", type=int, default=40, help="orders per transaction")
    parser.add_argument("--megasale", type=Path, default=Path(sys.executable).parent / "megasale")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        db, orders, batch = args.child
        write_orders(Path(db), int(orders), int(batch))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="megasale-bench-instructions-") as tmp:
        seeded = seed(args.megasale, Path(tmp), "seeded", buyers=100, skus=50, **THROUGHPUT_PLAN)
        each = per_order(seeded.db, args.orders, args.batch)
    print(
        f"writer: {each / 1e3:.1f} thousand instructions per order (take_orders, batches of "
        f"{args.batch}; {args.orders} and {2 * args.orders} orders)"
    )


if __name__ == "__main__":
    main()
