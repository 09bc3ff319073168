"""Streaming brushing detection: how fast orders go in, how long a detection pass takes.

Run from the repository root::

    .venv/bin/python bench/bench_stream.py                 # a 400k-order day, 3 repeats
    .venv/bin/python bench/bench_stream.py --orders 100000 --repeats 1

It generates a labelled promotion day (``megasale.sim.scenario``, family ``mixed``), turns it
into the event log the platform would write (``order.placed`` for each order, then
``order.status_changed`` to collected at each pickup time, all in time order) and measures:

1. **ingest**: events per second through ``StreamRunner.fold`` (decode the event, add the order
   to the detector) in reads of ``--read`` events, with the CPU seconds, against a baseline in
   the same run: decoding alone.
2. **passes**: the stream cut into reads of ``--read`` events, as the server's poll would; after
   each read a detection pass if candidate orders changed and the schedule allows (passes start
   at most every 0.25 s, or the last pass's duration if longer). A ring is flagged at most one
   wait plus one pass after the event that makes it detectable (plus the poll, 50 ms), so the
   report gives the pass time p50/p95/max over the day and at its end, with the candidates then,
   and how many orders each pass read (only the groups of buyers touched since the last pass).
3. **quality** of what the stream flagged, against the day's labels (precision, recall, F1 on
   ring buyers; false-positive rate of honest buyers).

All figures are medians over ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from megasale.brushing.stream_runner import StreamRunner
from megasale.domain.orders import (
    OrderStatus,
)
from megasale.services.order_events import (
    OrderStatusChanged,
    decode_order_placed,
    order_placed,
    status_changed,
)
from megasale.services.ports import Event
from megasale.sim.replay import order_of
from megasale.sim.scenario import FAMILIES, generate_day


class _NoLog:
    def read_events(self, after_seq: int, limit: int) -> list[Event]:
        return []

    def last_seq(self) -> int:
        return 0

    def load_checkpoint(self, consumer: str) -> int:
        return 0

    def save_checkpoint(self, consumer: str, seq: int) -> None:
        return None


def day_events(orders: int, seed: int) -> tuple[list[Event], dict[str, str], dict[str, datetime]]:
    day = generate_day(FAMILIES["mixed"], seed=seed, orders=orders)
    timed: list[tuple[datetime, int, str, str, bytes]] = []
    opened: dict[str, datetime] = {}
    for n, row in enumerate(day.orders):
        opened.setdefault(row.buyer_id, row.buyer_registered_at)
        order = order_of(row, "tv", "day")
        timed.append((row.created_at, 2 * n, *order_placed(order)))
        if row.picked_up_at is not None:
            change = OrderStatusChanged(
                order_id=row.order_id,
                buyer_id=row.buyer_id,
                shop_id=row.shop_id,
                status=OrderStatus.COLLECTED.value,
                previous=OrderStatus.READY_FOR_PICKUP.value,
                at=row.picked_up_at.isoformat(),
                amount_fen=row.amount_fen,
            )
            timed.append((row.picked_up_at, 2 * n + 1, *status_changed(change)))
    timed.sort(key=lambda t: (t[0], t[1]))
    events = [
        Event(seq, event_id, kind, payload, at.astimezone(UTC))
        for seq, (at, _, event_id, kind, payload) in enumerate(timed, start=1)
    ]
    labels = {buyer: label for buyer, (label, _) in day.labels.items()}
    return events, labels, opened


def run(events: list[Event], labels: dict[str, str], opened: dict[str, datetime], read: int):
    flagged: list[object] = []
    runner = StreamRunner(_NoLog(), flagged.append, lambda ids: {i: opened[i] for i in ids})
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(events), read):
        runner.fold(events[start : start + read])
        runner.detect()  # as the server's loop: a pass when something changed and it is time
    runner.catch_up()  # the pass the schedule would run next
    total = time.perf_counter() - started
    total_cpu = time.process_time() - cpu
    passes = runner.pass_seconds
    ring_buyers = {b for b, label in labels.items() if label.startswith("ring:")}
    honest = set(labels) - ring_buyers
    found = runner.detector.last_buyers()
    tp = len(found & ring_buyers)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(ring_buyers) if ring_buyers else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {
        "total_s": total,
        "total_cpu_s": total_cpu,
        "pass_orders": list(getattr(runner.detector, "pass_orders_", [])),
        "passes": passes,
        "candidates": runner.detector.candidates_,
        "orders": runner.detector.orders_,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "fpr": len(found & honest) / len(honest),
    }


def ingest_rate(
    events: list[Event], opened: dict[str, datetime], read: int
) -> tuple[float, float, float]:
    """Events per second folded (in reads of ``read`` events, as the server's poll), the CPU
    seconds that took, and events per second decoded alone."""
    runner = StreamRunner(_NoLog(), lambda ring: None, lambda ids: {i: opened[i] for i in ids})
    t, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(events), read):
        runner.fold(events[start : start + read])
    fold = len(events) / (time.perf_counter() - t)
    fold_cpu = time.process_time() - cpu
    t = time.perf_counter()
    for event in events:
        if event.kind == "order.placed":
            decode_order_placed(event.payload)
    decode = len(events) / (time.perf_counter() - t)
    return fold, fold_cpu, decode


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--read", type=int, default=5_000, help="events per read of the log")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    events, labels, opened = day_events(args.orders, args.seed)
    print(
        f"day: {args.orders} orders, {len(events)} events, built in {time.perf_counter() - t:.1f} s"
    )
    folds, fold_cpus, decodes, runs = [], [], [], []
    for _ in range(args.repeats):
        fold, fold_cpu, decode = ingest_rate(events, opened, args.read)
        folds.append(fold)
        fold_cpus.append(fold_cpu)
        decodes.append(decode)
        runs.append(run(events, labels, opened, args.read))
    med = statistics.median
    orders_share = args.orders / len(events)
    print(
        f"ingest: {med(folds):,.0f} events/s folded = {med(folds) * orders_share:,.0f} orders/s "
        f"with their pickups, {med(fold_cpus):.2f} CPU s "
        f"(decode alone {med(decodes):,.0f} events/s)"
    )
    all_passes = [p for r in runs for p in r["passes"]]
    tail = [r["passes"][-1] for r in runs if r["passes"]]
    print(
        f"passes: {med([len(r['passes']) for r in runs]):.0f} per day; duration p50 "
        f"{pct(all_passes, 0.5) * 1000:.0f} ms, p95 {pct(all_passes, 0.95) * 1000:.0f} ms, max "
        f"{max(all_passes) * 1000:.0f} ms; last pass {med(tail) * 1000:.0f} ms over "
        f"{runs[0]['candidates']:,} candidate orders of {runs[0]['orders']:,}"
    )
    sizes = [n for r in runs for n in r["pass_orders"]]
    if sizes:
        print(
            f"orders read per pass: p50 {pct(sizes, 0.5):,.0f}, p95 {pct(sizes, 0.95):,.0f}, "
            f"max {max(sizes):,.0f}"
        )
    print(
        f"whole day streamed in {med([r['total_s'] for r in runs]):.1f} s, "
        f"{med([r['total_cpu_s'] for r in runs]):.1f} CPU s "
        f"({args.orders / med([r['total_s'] for r in runs]):,.0f} orders/s with detection)"
    )
    r = runs[0]
    print(
        f"quality: precision {r['precision']:.3f} recall {r['recall']:.3f} F1 {r['f1']:.3f} "
        f"false-positive rate {r['fpr'] * 100:.3f}% of honest buyers"
    )


if __name__ == "__main__":
    main()
