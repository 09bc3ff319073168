"""End-to-end batch detection on a 1M-order day: time and peak memory, beside reading alone.

Each measurement runs in a fresh process (so peak RSS is that run's own): ``read`` is the
order-log reader alone, the baseline; ``detect`` is read, detect and write the four files, as
``megasale detect`` does. Prints the median of ``--runs`` runs and the ratio to the baseline,
with the CPU time (user + system) of each run and the load average: on a shared machine the
wall time follows the load, the CPU time much less.

    .venv/bin/python bench/bench_detect.py --orders 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from megasale.sim.scenario import FAMILIES, generate_day

_READ = """
import json, resource, sys, time
started = time.perf_counter()
from megasale.brushing.orderlog import read_order_log
table = read_order_log(sys.argv[1])
elapsed = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
rss, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
print(json.dumps({"seconds": elapsed, "cpu": cpu, "rss_mib": rss, "orders": table.n_orders}))
"""

_DETECT = """
import json, resource, sys, time
from pathlib import Path
started = time.perf_counter()
from megasale.brushing.detect import BrushingDetector
from megasale.brushing.orderlog import read_order_log
from megasale.brushing.output import write_outputs
table = read_order_log(sys.argv[1])
read = time.perf_counter() - started
detector = BrushingDetector().fit(table)
fitted = time.perf_counter() - started
write_outputs(table, detector, Path(sys.argv[2]))
elapsed = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
rss, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
print(json.dumps({"seconds": elapsed, "read": read, "detect": fitted - read, "cpu": cpu,
                  "write": elapsed - fitted, "rss_mib": rss, "rings": len(detector.rings_)}))
"""


def measure(script: str, *argv: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/megasale-eval"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    log = args.cache / f"bench-mixed-{args.seed}-{args.orders}.csv"
    if not log.exists():
        generate_day(FAMILIES["mixed"], seed=args.seed, orders=args.orders).write_orders(log)
    size_mib = log.stat().st_size / 2**20
    print(f"order log: {log} ({args.orders} orders, {size_mib:.0f} MiB)")
    print(f"machine: {_cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    reads, detects = [], []
    with tempfile.TemporaryDirectory() as out:
        for run in range(args.runs):
            reads.append(measure(_READ, str(log)))
            detects.append(measure(_DETECT, str(log), out))
            r, d = reads[-1], detects[-1]
            print(
                f"run {run + 1} (load {os.getloadavg()[0]:.1f}): read {r['seconds']:.2f} s "
                f"(cpu {r['cpu']:.2f} s, {r['rss_mib']:.0f} MiB); end to end {d['seconds']:.2f} s "
                f"= read {d['read']:.2f} + detect {d['detect']:.2f} + write {d['write']:.2f} "
                f"(cpu {d['cpu']:.2f} s, {d['rss_mib']:.0f} MiB, {d['rings']:.0f} rings)"
            )
    read_s = statistics.median(r["seconds"] for r in reads)
    total_s = statistics.median(d["seconds"] for d in detects)
    read_cpu = statistics.median(r["cpu"] for r in reads)
    total_cpu = statistics.median(d["cpu"] for d in detects)
    read_rss = max(r["rss_mib"] for r in reads)
    total_rss = max(d["rss_mib"] for d in detects)
    print(f"median read only      {read_s:.2f} s (cpu {read_cpu:.2f} s), peak {read_rss:.0f} MiB")
    print(
        f"median end to end     {total_s:.2f} s (cpu {total_cpu:.2f} s), peak {total_rss:.0f} MiB"
    )
    print(f"  detect stage median {statistics.median(d['detect'] for d in detects):.2f} s")
    print(f"end to end / read     {total_s / read_s:.2f}x")


if __name__ == "__main__":
    main()
