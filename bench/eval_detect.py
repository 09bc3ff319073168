"""Detection quality across scenario families and seeds, beside the two baselines.

Generates labelled days with ``megasale.sim.scenario`` (cached as CSV under ``--cache``), reads
each through the order-log reader, fits the detector and the baselines, and prints per run and
per family: ring-buyer precision, recall and F1 (overall and by ring kind) and the false-positive
rate of honest buyers (overall and by crowd kind).

    .venv/bin/python bench/eval_detect.py --orders 400000 --seeds 101 102 103
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from megasale.brushing.baselines import FraudarPeeling, PerIpRule
from megasale.brushing.detect import BrushingDetector
from megasale.brushing.evaluate import Evaluation, evaluate, read_labels
from megasale.brushing.frame import OrderTable
from megasale.brushing.orderlog import read_order_log
from megasale.sim.scenario import FAMILIES, generate_day

TUNING_SEEDS = (1, 2, 3)
"""Seeds the parameters were tuned on; report on others."""


def day_files(family: str, seed: int, orders: int, cache: Path) -> tuple[Path, Path]:
    cache.mkdir(parents=True, exist_ok=True)
    log = cache / f"{family}-{seed}-{orders}.csv"
    labels = cache / f"{family}-{seed}-{orders}-labels.csv"
    if not (log.exists() and labels.exists()):
        day = generate_day(FAMILIES[family], seed=seed, orders=orders)
        day.write_orders(log)
        day.write_labels(labels)
    return log, labels


def run(table: OrderTable, labels: dict[str, str], fraudar: bool) -> dict[str, Evaluation]:
    started = time.perf_counter()
    detector = BrushingDetector().fit(table)
    elapsed = time.perf_counter() - started
    kinds = np.array([ring.kind.value for ring in detector.rings_] + [""], dtype=object)
    results = {
        "detector": evaluate(table, labels, detector.buyer_ring_ >= 0, kinds[detector.buyer_ring_]),
        "per_ip": evaluate(table, labels, PerIpRule().fit(table).flagged_),
    }
    if fraudar:
        results["fraudar"] = evaluate(table, labels, FraudarPeeling().fit(table).flagged_)
    print(f"    detect {elapsed:.2f} s, {len(detector.rings_)} rings")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/megasale-eval"))
    parser.add_argument("--no-fraudar", action="store_true", help="skip the slow FRAUDAR baseline")
    args = parser.parse_args()
    summary: dict[tuple[str, str], list[Evaluation]] = defaultdict(list)
    for family in args.families:
        for seed in args.seeds:
            log, label_file = day_files(family, seed, args.orders, args.cache)
            table = read_order_log(log)
            labels = read_labels(label_file)
            print(f"{family} seed {seed}: {table.n_orders} orders, {table.n_buyers} buyers")
            for name, result in run(table, labels, not args.no_fraudar).items():
                summary[(family, name)].append(result)
                kinds = " ".join(
                    f"{k}={s.f1:.3f}" for k, s in result.by_ring_kind.items() if s.positives
                )
                crowds = " ".join(f"{k}={f}/{n}" for k, (f, n) in result.fpr_by_crowd.items() if f)
                print(
                    f"  {name:<9} P={result.overall.precision:.4f} R={result.overall.recall:.4f}"
                    f" F1={result.overall.f1:.4f} FPR={result.false_positive_rate:.4%}"
                    f"  [{kinds}]  fp: {crowds or 'none'}"
                )
    print()
    print(f"{'family':<11} {'method':<9} {'F1 min':>7} {'F1 med':>7} {'FPR max':>8} runs")
    for (family, name), results in summary.items():
        f1 = [r.overall.f1 for r in results]
        fpr = [r.false_positive_rate for r in results]
        print(
            f"{family:<11} {name:<9} {min(f1):>7.4f} {statistics.median(f1):>7.4f}"
            f" {max(fpr):>8.4%} {len(results)}"
        )


if __name__ == "__main__":
    main()
