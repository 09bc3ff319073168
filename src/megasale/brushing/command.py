"""``megasale detect ORDERS --out DIR``: batch brushing detection on an order log."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

import numpy as np

from megasale.brushing.detect import BrushingDetector
from megasale.brushing.evaluate import evaluate, read_labels
from megasale.brushing.orderlog import OrderLogError, read_order_log
from megasale.brushing.output import write_outputs

__all__ = ["register", "run_detect"]

_STEPS = ("read", "detect", "write", "evaluate")


class _Progress:
    """A plain-text progress bar on stderr, one line per finished step."""

    def __init__(self, steps: int, stream: TextIO | None) -> None:
        self.steps, self.done, self.stream = steps, 0, stream
        self.started = time.perf_counter()

    def step(self, name: str) -> None:
        if self.stream is None:
            return
        self.done += 1
        filled = round(20 * self.done / self.steps)
        elapsed = time.perf_counter() - self.started
        bar = "#" * filled + "." * (20 - filled)
        self.stream.write(f"[{bar}] {self.done}/{self.steps} {name} done ({elapsed:.2f} s)\n")
        self.stream.flush()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``detect`` sub-command."""
    parser = subparsers.add_parser(
        "detect",
        help="find brushing rings in an order log",
        description="Batch brushing detection: writes flagged_buyers.csv, flagged_orders.csv, "
        "rings.json and shop_brushing.csv to DIR.",
    )
    parser.add_argument("orders", type=Path, metavar="ORDERS", help="order log (CSV or JSON Lines)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--labels", type=Path, metavar="FILE", help="buyer_id,label CSV: print P/R/F1 and FPR"
    )
    parser.add_argument("--format", choices=("csv", "jsonl", "auto"), default="auto")
    parser.add_argument(
        "--local-tz", default="UTC", metavar="ZONE", help="time zone of times without an offset"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(func=run_detect)


def run_detect(args: argparse.Namespace) -> int:
    """Read, detect, write, summarise; 2 on a bad order log or labels file."""
    started = time.perf_counter()
    steps = len(_STEPS) if args.labels else len(_STEPS) - 1
    progress = _Progress(steps, None if args.no_progress else sys.stderr)
    try:
        table = read_order_log(args.orders, args.format, args.local_tz)
        progress.step("read")
        detector = BrushingDetector().fit(table)
        progress.step("detect")
        write_outputs(table, detector, args.out)
        progress.step("write")
        labels = read_labels(args.labels) if args.labels else None
    except OrderLogError as error:
        print(f"megasale detect: {error}", file=sys.stderr)
        return 2
    kinds = Counter(ring.kind.value for ring in detector.rings_)
    orders = detector.flagged_orders()
    print(f"orders          {table.n_orders}")
    print(f"buyers          {table.n_buyers}")
    print(
        f"rings           {len(detector.rings_)}"
        + "".join(f"  {k}: {n}" for k, n in sorted(kinds.items()))
    )
    print(f"flagged buyers  {detector.flagged_buyers().size}")
    print(f"flagged orders  {orders.size}")
    print(f"flagged GMV     {table.gmv_fen(orders) / 100:.2f} yuan ({table.gmv_fen(orders)} fen)")
    subsidy = table.subsidy_total_fen(orders)
    print(f"flagged subsidy {subsidy / 100:.2f} yuan ({subsidy} fen)")
    if labels is not None:
        flagged = detector.buyer_ring_ >= 0
        kind_of = np.array([ring.kind.value for ring in detector.rings_] + [""], dtype=object)
        result = evaluate(table, labels, flagged, kind_of[detector.buyer_ring_])
        progress.step("evaluate")
        for line in result.lines():
            print(line)
    print(f"elapsed         {time.perf_counter() - started:.2f} s")
    return 0
