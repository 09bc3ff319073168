"""Throughput of ``POST /v1/orders`` against the same server's no-op, with wrk as the load.

Run from the repository root (needs Debian's ``wrk``: ``apt-get install wrk``)::

    .venv/bin/python bench/bench_wrk.py                       # 3 pairs of 10 s runs, API only
    .venv/bin/python bench/bench_wrk.py --duration 5 --repeats 5
    .venv/bin/python bench/bench_wrk.py --serve-arg=--consumers=all   # the default serve

The brief's anchors for a bare JSON endpoint ("Litestar 11.3k req/s") were measured with wrk on
the same box, so this measures our two endpoints the same way. wrk is closed-loop: each of its
connections sends the next request when the last one's response is in, so it measures how many
requests per second the server takes at saturation, not latency at a given rate (that is
``bench_orders.py``'s open-loop generator, whose intended send times show a stall in the tail).
wrk is written in C and costs a fraction of the CPU per request of the Python generator, which
on these 2 cores competes with the server for the same cores.

It seeds a fresh database as ``bench_orders.py`` does (20,000 buyers, 50 SKUs, stock, budget and
limits that never bind), serves it with ``megasale serve --consumers=none`` (plus any
``--serve-arg``), and runs the no-op then the orders, ``--repeats`` times, each for
``--duration`` seconds with ``--connections`` connections on ``--threads`` wrk threads. Each
order is a new buyer/SKU pair under a new Idempotency-Key: a Lua script builds the requests of
``bench_orders.order_request``, numbered on from run to run as ``bench_orders.py``'s order stream
is, so no pair repeats within B x S orders. After each orders run it counts the orders in the
SQLite file (read-only), which must be at least the 2xx responses wrk saw, and it fails on any
non-2xx response. It prints each run (requests/s, wrk's latency percentiles, the CPU per
request of each server process and of wrk), then the medians and the ratio orders/no-op.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_orders import (
    HOST,
    NOOP_BODY,
    THROUGHPUT_PLAN,
    Seeded,
    process_roles,
    seed,
    server_cpu_by_process,
    serving,
)

__all__ = ["WrkRun", "last_number", "main", "noop_script", "order_script", "parse_wrk"]


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run reported, and what it cost."""

    label: str
    requests: int
    seconds: float
    rate: float
    non_2xx: int
    socket_errors: str
    latency_ms: dict[str, float]
    wrk_cpu_s: float
    server_cpu_s: dict[str, float]
    output: str = field(repr=False, default="")


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of printable ASCII is a valid Lua string literal


def noop_script() -> str:
    """The Lua script of the no-op runs: the same small POST every time."""
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {_lua_string(NOOP_BODY.decode())}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )


def order_script(seeded: Seeded, first: int, threads: int) -> str:
    """The Lua script of an orders run whose request numbers start at ``first``.

    Request ``n`` is buyer ``n % B`` buying SKU ``(n // B) % S`` under key ``bench-n``, with the
    body, headers and fulfilment of :func:`bench_orders.order_request`. wrk's ``threads``
    threads take every ``threads``-th number each, so a run uses the numbers from ``first`` on
    as ``bench_orders.OrderStream`` does, and prints ``megasale-last <n>`` per thread at the
    end: the next run starts after the highest.
    """
    tokens = ",".join(_lua_string(b["token"]) for b in seeded.buyers)
    skus = ",".join(_lua_string(s["sku_id"]) for s in seeded.skus)
    stores = ",".join(_lua_string(s) for s in seeded.stores)
    return f"""
local tokens = {{{tokens}}}
local skus = {{{skus}}}
local stores = {{{stores}}}
local promotion = {_lua_string(seeded.promotion_id)}
local started = {{}}

setup = function(thread)
  thread:set("n", {first} + #started - {threads})
  table.insert(started, thread)
end

request = function()
  n = n + {threads}
  local buyer = n % #tokens
  local sku = math.floor(n / #tokens) % #skus
  local where
  if buyer % 4 == 0 then
    where = '{{"kind":"pickup","store_id":"' .. stores[buyer % #stores + 1] .. '"}}'
  else
    where = '{{"kind":"shipping","address":"' .. (buyer % 997 + 1) .. ' Renmin Road, Chengdu"}}'
  end
  local body = '{{"promotion_id":"' .. promotion .. '","lines":[{{"sku_id":"' .. skus[sku + 1]
    .. '","quantity":1}}],"fulfilment":' .. where .. ',"payment_id":"pay-' .. n .. '"}}'
  return wrk.format("POST", "/v1/orders", {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[buyer + 1],
    ["Idempotency-Key"] = "bench-" .. n,
    ["X-Device-Id"] = "dev-" .. buyer,
  }}, body)
end

done = function(summary, latency, requests)
  for _, thread in ipairs(started) do
    io.write(string.format("megasale-last %d\\n", thread:get("n")))
  end
end
"""


def last_number(output: str) -> int:
    """The highest request number an orders run's threads took (``megasale-last``)."""
    found = [int(n) for n in re.findall(r"^megasale-last (-?\d+)$", output, re.MULTILINE)]
    if not found:
        raise ValueError(f"the orders script printed no megasale-last line:\n{output}")
    return max(found)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_wrk(output: str) -> tuple[int, float, int, str, dict[str, float]]:
    """Requests, seconds, non-2xx responses, socket errors and latency percentiles (ms) from
    what ``wrk --latency`` printed; ``ValueError`` naming what is missing."""
    done = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", output, re.MULTILINE)
    if done is None:
        raise ValueError(f"wrk printed no request count:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    latency = {
        p: _ms(v) for p, v in re.findall(r"^\s+(50|90|99)(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
    }
    if set(latency) != {"50", "90", "99"}:
        raise ValueError(f"wrk printed no latency distribution (run it with --latency):\n{output}")
    return (
        int(done.group(1)),
        _ms(done.group(2) + done.group(3)) / 1e3,
        int(non_2xx.group(1)) if non_2xx else 0,
        errors.group(1).strip() if errors else "none",
        latency,
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    wrk: str, port: int, path: str, script: Path, label: str, args: argparse.Namespace
) -> WrkRun:
    """One wrk run against ``path``; the CPU of each server process and of wrk over it."""
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://{HOST}:{port}{path}",
    ]
    before, cpu0 = server_cpu_by_process(port), _children_cpu()
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60)
    wrk_cpu = _children_cpu() - cpu0  # the server is a child too, but not waited for yet
    used = {pid: s - before.get(pid, 0.0) for pid, s in server_cpu_by_process(port).items()}
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stderr}")
    requests, seconds, non_2xx, errors, latency = parse_wrk(done.stdout)
    by_role: dict[str, float] = {}
    for pid, role in process_roles(used).items():
        by_role[role] = by_role.get(role, 0.0) + used[pid]
    if requests == 0:
        raise RuntimeError(f"wrk got no answer at all from {path}:\n{done.stdout}")
    return WrkRun(
        label,
        requests,
        seconds,
        requests / seconds,
        non_2xx,
        errors,
        latency,
        wrk_cpu,
        by_role,
        done.stdout,
    )


def describe(run: WrkRun) -> str:
    per = 1e6 / max(1, run.requests)
    processes = ", ".join(
        f"{role} {s * per:.0f}" for role, s in sorted(run.server_cpu_s.items(), key=lambda i: -i[1])
    )
    server = sum(run.server_cpu_s.values())
    latency = "  ".join(f"p{p} {ms:.2f}" for p, ms in run.latency_ms.items())
    return (
        f"{run.label:<7} {run.rate:8.0f}/s  {run.requests} in {run.seconds:.1f} s  {latency} ms  "
        f"non-2xx {run.non_2xx}  socket errors {run.socket_errors}\n"
        f"{'':<7} server {server / run.seconds:.2f} cores, {server * per:.0f} us per request "
        f"(by process: {processes}); wrk {run.wrk_cpu_s / run.seconds:.2f} cores, "
        f"{run.wrk_cpu_s * per:.0f} us per request"
    )


def _orders_in(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--skus", type=int, default=50)
    parser.add_argument("--megasale", type=Path, default=Path(sys.executable).parent / "megasale")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="another option for megasale serve (repeatable; API only unless one says otherwise)",
    )
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench_wrk: wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    extra = list(args.serve_arg)
    if not any(a.startswith("--consumers") for a in extra):
        extra.append("--consumers=none")
    with tempfile.TemporaryDirectory(prefix="megasale-bench-wrk-") as tmp:
        folder = Path(tmp)
        plan = dict(THROUGHPUT_PLAN, buyers=args.buyers, skus=args.skus)
        seeded = seed(args.megasale, folder, "wrk", **plan)
        noop_lua = folder / "noop.lua"
        noop_lua.write_text(noop_script())
        runs: dict[str, list[WrkRun]] = {"noop": [], "orders": []}
        print(
            f"megasale bench_wrk: {args.megasale} serve {' '.join(extra)}; wrk {args.threads} "
            f"thread(s), {args.connections} connections, {args.duration} s per run",
            flush=True,
        )
        with serving(args.megasale, seeded.db, None, extra=extra) as port:
            next_number = 0  # the order requests' numbers go on from run to run
            for repeat in range(args.repeats):
                noop = run_wrk(wrk, port, "/v1/noop", noop_lua, "noop", args)
                print(describe(noop), flush=True)
                orders_lua = folder / f"orders-{repeat}.lua"
                orders_lua.write_text(order_script(seeded, next_number, args.threads))
                before = _orders_in(seeded.db)
                orders = run_wrk(wrk, port, "/v1/orders", orders_lua, "orders", args)
                written = _orders_in(seeded.db) - before
                next_number = last_number(orders.output) + 1
                print(describe(orders), flush=True)
                print(f"{'':<7} orders in the database: +{written}", flush=True)
                if orders.non_2xx or noop.non_2xx:
                    print("bench_wrk: non-2xx responses: not a clean run", file=sys.stderr)
                    return 1
                if written < orders.requests:
                    print(
                        f"bench_wrk: {orders.requests} orders answered but {written} written",
                        file=sys.stderr,
                    )
                    return 1
                runs["noop"].append(noop)
                runs["orders"].append(orders)
    rates = {label: median(r.rate for r in rs) for label, rs in runs.items()}
    pairs = [o.rate / n.rate for n, o in zip(runs["noop"], runs["orders"], strict=True)]
    print(
        f"\nmedians of {args.repeats}: noop {rates['noop']:.0f}/s, orders {rates['orders']:.0f}/s, "
        f"ratio {rates['orders'] / rates['noop']:.2f} (per pair: "
        f"{', '.join(f'{p:.2f}' for p in pairs)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
