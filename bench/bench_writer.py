"""The order writer alone: CPU and WAL pages per order of ``take_orders``, by batch size.

Run from the repository root::

    .venv/bin/python bench/bench_writer.py                  # batches of 1, 16, 64, 256
    .venv/bin/python bench/bench_writer.py --batch 16 --orders 20000

It seeds a fresh database in a temporary folder (20,000 buyers, 50 SKUs with ample stock, budget
and limits), stops its checkpointer so that the WAL keeps every frame, and writes ``--orders``
orders (each a new buyer/SKU pair under a new idempotency key, as bench_orders.py sends them)
through ``SqliteStore.take_orders`` in batches of each size, one transaction per batch, as the
group committer would. Per batch size it prints the writer thread's CPU microseconds per order
(user + system, which counts the commit's writes and fsync), the WAL bytes and frames per order,
and which tables' pages those frames are (from the frame headers and SQLite's ``dbstat``).

Frames per order do not depend on the machine; CPU does, so compare builds with alternated runs.
"""

from __future__ import annotations

import argparse
import sqlite3
import struct
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from megasale.storage.sqlite_store import SqliteStore
from writer_orders import Placements, seed_database

_WAL_HEADER, _FRAME_HEADER = 32, 24


def wal_pages(wal: Path, page_size: int, start: int) -> list[int]:
    """The page number of each frame appended to ``wal`` after byte ``start``."""
    data = wal.read_bytes()
    offset = max(start, _WAL_HEADER)
    pages = []
    while offset + _FRAME_HEADER + page_size <= len(data):
        pages.append(struct.unpack_from(">I", data, offset)[0])
        offset += _FRAME_HEADER + page_size
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, action="append", help="batch size (repeatable)")
    parser.add_argument("--orders", type=int, default=20_000, help="orders per batch size")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (CPU: median)")
    args = parser.parse_args()
    sizes = args.batch or [1, 16, 64, 256]
    with tempfile.TemporaryDirectory(prefix="megasale-bench-writer-") as tmp:
        db = Path(tmp) / "writer.db"
        placement = Placements(seed_database(db), seed=7)
        store = SqliteStore(db)
        store.db.stop_checkpointer()
        conn = store.db.connection()
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        wal = Path(f"{db}-wal")

        print(f"page size {page_size} B; {args.orders} orders per batch size and round")
        for size in sizes:
            cpus, frames, table_frames = [], [], Counter[str]()
            for _ in range(args.rounds):
                batches = [[placement() for _ in range(size)] for _ in range(args.orders // size)]
                orders = size * len(batches)
                start = wal.stat().st_size if wal.exists() else 0
                began = time.thread_time()
                for batch in batches:
                    store.take_orders(batch)
                cpus.append((time.thread_time() - began) / orders * 1e6)
                pages = wal_pages(wal, page_size, start)
                frames.append(len(pages) / orders)
                owner = dict(
                    sqlite3.connect(db).execute("SELECT pageno, name FROM dbstat").fetchall()
                )
                table_frames.update(owner.get(p, "(freelist)") for p in pages)
            total = sum(table_frames.values())
            top = ", ".join(
                f"{name} {count / total * median(frames):.2f}"
                for name, count in table_frames.most_common(5)
            )
            print(
                f"batch {size:4d}: {median(cpus):6.1f} us CPU per order (rounds "
                f"{', '.join(f'{c:.0f}' for c in cpus)}), {median(frames):.2f} WAL frames = "
                f"{median(frames) * (page_size + _FRAME_HEADER) / 1024:.1f} KiB per order; "
                f"by table: {top}"
            )
        store.close()


if __name__ == "__main__":
    main()
