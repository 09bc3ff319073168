"""Two builds of the server, compared in alternating bursts of orders: paired ratios.

Run from the repository root, with another build checked out beside this one (a git worktree)::

    git worktree add /tmp/base HEAD~1
    .venv/bin/python bench/bench_ab.py --build base=/tmp/base/src --build new=src
    .venv/bin/python bench/bench_ab.py --build thread=src --build inline=src:MEGASALE_WRITER=inline

On this shared 2-core machine the same build's orders/s moved by 10-25% between runs a minute
apart, so two separate ``bench_orders.py`` runs cannot tell a 5% change. Here both servers run at
once, each on its own database seeded alike (``megasale seed``: 20,000 buyers, 50 SKUs, stock
and budget that never bind), and get ``--rounds`` bursts of ``--duration`` seconds at ``--rate``
(30,000/s: more than either takes, so achieved is throughput), one build then the other, the
order swapped every round; the idle server uses next to no CPU meanwhile. Each round gives the
ratio of the second build's orders/s (201 answers; a burst with refusals stops the run) to the
first's under nearly the same conditions, and both
databases grow alike. It prints every burst, then per build the median orders/s and the median
of the paired ratios. Every third round also measures each server's no-op endpoint.

A build is ``label=PYTHONPATH`` with optional ``:NAME=value`` environment settings for that
server only; the server is ``.venv/bin/megasale serve`` started with that ``PYTHONPATH``, so
it runs that folder's ``megasale`` package (its dependencies come from this virtualenv).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_orders import THROUGHPUT_PLAN, Bench, OrderStream, noop_factory, seed, serving


@dataclass
class Build:
    label: str
    pythonpath: str
    env: dict[str, str]
    orders: list[float] = field(default_factory=list)
    noop: list[float] = field(default_factory=list)


def parse_build(text: str) -> Build:
    """``label=PYTHONPATH[:NAME=value...]``"""
    label, _, rest = text.partition("=")
    if not label or not rest:
        raise argparse.ArgumentTypeError(f"--build {text!r}: expected label=PYTHONPATH")
    path, *settings = rest.split(":")
    env = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"--build {text!r}: {setting!r} is not NAME=value")
        env[name] = value
    return Build(label, str(Path(path).resolve()), env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=parse_build, action="append", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per burst")
    parser.add_argument("--rate", type=float, default=30_000.0)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--skus", type=int, default=50)
    parser.add_argument("--megasale", type=Path, default=Path(sys.executable).parent / "megasale")
    args = parser.parse_args()
    builds: list[Build] = args.build
    if len(builds) != 2:
        parser.error("give exactly two --build")
    benches: dict[str, tuple[Bench, OrderStream]] = {}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="megasale-ab-")))
        for build in builds:
            saved = dict(os.environ)
            os.environ["PYTHONPATH"] = build.pythonpath
            os.environ.update(build.env)
            try:  # the seeding and the server both run this build's package
                seeded = seed(
                    args.megasale,
                    folder,
                    build.label,
                    buyers=args.buyers,
                    skus=args.skus,
                    **THROUGHPUT_PLAN,
                )
                port = stack.enter_context(
                    serving(args.megasale, seeded.db, None, extra=["--consumers=none"])
                )
            finally:
                os.environ.clear()
                os.environ.update(saved)
            bench = Bench(port, args.duration, args.connections, timeout=2.0)
            benches[build.label] = (bench, OrderStream(seeded))
        for n in range(args.rounds):
            for build in builds if n % 2 == 0 else builds[::-1]:
                bench, orders = benches[build.label]
                print(f"round {n + 1}, {build.label}:", flush=True)
                if n % 3 == 0:
                    build.noop.append(bench.run("noop", args.rate, noop_factory()).achieved_rate)
                result = bench.run("orders", args.rate, orders.factory())
                build.orders.append(result.ok_rate)
                if result.ok_rate < 0.99 * result.achieved_rate:
                    raise SystemExit(f"{build.label}: orders were refused: {dict(result.errors)}")
    first, second = builds
    ratios = [b / a for a, b in zip(first.orders, second.orders, strict=True)]
    print()
    for build in builds:
        print(
            f"{build.label:<10} orders/s {' '.join(f'{x:.0f}' for x in build.orders)}; "
            f"median {median(build.orders):.0f} (no-op median {median(build.noop):.0f})"
        )
    print(
        f"{second.label}/{first.label} per round: {' '.join(f'{r:.3f}' for r in ratios)}; "
        f"median {median(ratios):.3f}"
    )


if __name__ == "__main__":
    main()
