"""``megasale generate-day``: write a labelled promotion day to a directory.

Writes ``orders.csv`` (or ``orders.jsonl``), ``labels.csv``, ``groups.json`` and the catalog
(``shops.csv``, ``skus.csv``, ``stores.csv``) into ``--out``, and prints a short summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from megasale.sim.scenario import DEFAULT_ORDERS, FAMILIES, generate_day
from megasale.sim.scenario_summary import summarise

__all__ = ["generate_day_command", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``generate-day`` sub-command."""
    parser = subparsers.add_parser(
        "generate-day",
        help="write a labelled promotion day (orders, labels, catalog)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--family", choices=sorted(FAMILIES), default="mixed")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    parser.add_argument(
        "--orders", type=int, default=DEFAULT_ORDERS, help=f"order lines (default {DEFAULT_ORDERS})"
    )
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="order log")
    parser.set_defaults(func=generate_day_command)


def generate_day_command(args: argparse.Namespace) -> int:
    """Generate, write and summarise a day; 2 when the arguments cannot make one."""
    started = time.perf_counter()
    try:
        scenario = generate_day(FAMILIES[args.family], seed=args.seed, orders=args.orders)
    except ValueError as error:
        print(f"megasale generate-day: {error}", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    scenario.write_orders(out / f"orders.{args.format}")
    scenario.write_labels(out / "labels.csv")
    scenario.write_groups(out / "groups.json")
    scenario.write_catalog(out)
    for line in summarise(scenario).lines():
        print(line)
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return 0
