"""Order placement against the same server's no-op endpoint, and the oversell check.

Run from the repository root (the server is ``.venv/bin/megasale``, started here as a subprocess)::

    .venv/bin/python bench/bench_orders.py              # 5,000/s and 30,000/s, 10 s, 3 repeats
    .venv/bin/python bench/bench_orders.py --rate 3000 --duration 5 --repeats 1
    .venv/bin/python bench/bench_orders.py --find-max   # the sustainable rate of each endpoint
    .venv/bin/python bench/bench_orders.py --workers 2  # passed to ``megasale serve``
    .venv/bin/python bench/bench_orders.py --serve-arg=--no-detection  # any other serve option

It seeds a fresh database in a temporary folder (20,000 buyers, 50 SKUs with ample stock and
budget), serves it on a free loopback port, then for each rate and repeat offers ``POST /v1/noop``
and then ``POST /v1/orders`` (each order a new buyer/SKU pair and a new Idempotency-Key) at that
rate, open loop (see loadgen.py). It prints each run, then per rate the medians over the repeats of
the offered and achieved rates, p50/p99/p99.9 in ms, the errors by kind summed over the repeats,
and the ratio orders/noop of the achieved rates. A rate above what the server can take (the default
30,000/s) measures each endpoint's throughput, so its ratio is the throughput ratio; where the
no-op kept up with the offered rate, the summary says so, as its throughput is then higher and the
ratio overstated.

Then the oversell check, on two more fresh databases: a hot SKU with small stock, and a subsidy
budget that runs out first. Many buyers send each order twice at once (a concurrent duplicate),
again with a second key (the buyer limit is 1), and once more later (a retry with the first key).
It verifies through the API and by reading the SQLite file read-only that units sold equal the
initial stock minus stock left and never exceed it, that the subsidy spent stays within the budget,
that each idempotency key has at most one order and each buyer at most its limit, and prints the
verdict (exit status 1 if any check fails).

``--find-max`` steps the offered rate up from ``--start-rate`` (x1.25; down if the start did not
hold) until the rate no longer holds (p99 > 50 ms, or 2xx responses below 95% of the offered
rate), then bisects twice, for each endpoint, and prints the last rate that held and their ratio.
A step that misses is run once more before it counts, so one burst of noise does not decide.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import LoadResult, LoadSpec, RequestFactory, encode_request, format_result, run_load

__all__ = [
    "HOST",
    "THROUGHPUT_PLAN",
    "OrderStream",
    "Seeded",
    "get_json",
    "main",
    "order_request",
    "seed",
    "server_cpu_seconds",
    "serving",
]

HOST = "127.0.0.1"
NOOP_BODY = b'{"promotion_id":"promo-1","ping":1}'
P99_TARGET_MS = 50.0


@dataclass(frozen=True)
class Seeded:
    """What ``megasale seed`` wrote: the promotion, SKUs, buyers and stores with their tokens."""

    db: Path
    promotion_id: str
    operator_token: str
    skus: list[dict[str, Any]]
    buyers: list[dict[str, str]]
    stores: list[str]
    subsidy_fen: int
    budget_fen: int
    limit_per_buyer: int


#: Stock, budget and limits that never bind, for throughput runs: every order is accepted.
THROUGHPUT_PLAN = {"stock": 10**7, "subsidy_fen": 500, "budget_fen": 10**12, "limit_per_buyer": 10}


def seed(megasale: Path, folder: Path, name: str, **plan: int) -> Seeded:
    """Seed a fresh database ``folder/name.db`` with ``megasale seed`` and read its tokens."""
    db, tokens = folder / f"{name}.db", folder / f"{name}.json"
    options = [f"--{key.replace('_', '-')}={value}" for key, value in plan.items()]
    command = [str(megasale), "seed", "--db", str(db), *options, "--tokens-out", str(tokens)]
    done = subprocess.run(command, capture_output=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"megasale seed failed:\n{done.stderr.decode(errors='replace')}")
    data = json.loads(tokens.read_text())
    return Seeded(
        db=db,
        promotion_id=data["promotion_id"],
        operator_token=data["operator_token"],
        skus=data["skus"],
        buyers=data["buyers"],
        stores=[store["store_id"] for store in data["stores"]],
        subsidy_fen=plan["subsidy_fen"],
        budget_fen=plan["budget_fen"],
        limit_per_buyer=plan["limit_per_buyer"],
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    megasale: Path, db: Path, workers: int | None, *, extra: Sequence[str] = ()
) -> Iterator[int]:
    """Run ``megasale serve`` (with ``extra`` options) on a free loopback port until the block
    ends; yield the port."""
    port = _free_port()
    command = [str(megasale), "serve", "--db", str(db), "--host", HOST, "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    command += extra
    log_path = db.with_suffix(".log")
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _SERVERS[port] = server.pid
        try:
            deadline = time.monotonic() + 30
            while not _answers(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"megasale serve did not come up:\n{tail}")
                time.sleep(0.2)
            yield port
        finally:
            _SERVERS.pop(port, None)
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


_SERVERS: dict[int, int] = {}
"""The pid of the server process serving on each port (while its ``serving`` block runs)."""


def server_cpu_seconds(port: int) -> float:
    """User + system CPU seconds so far of the server on ``port`` and all its descendants
    (worker processes, the order writer, the detection child), from /proc; 0.0 where /proc is
    missing."""
    return sum(server_cpu_by_process(port).values())


def server_cpu_by_process(port: int) -> dict[int, float]:
    """:func:`server_cpu_seconds` per process id."""
    root = _SERVERS.get(port)
    if root is None:
        return {}
    processes = _processes()
    parents = {pid: parent for pid, (parent, _) in processes.items()}
    ticks = {pid: used for pid, (_, used) in processes.items()}
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return {pid: ticks.get(pid, 0) / os.sysconf("SC_CLK_TCK") for pid in tree}


def process_roles(pids: Iterable[int]) -> dict[int, str]:
    """What each process of the server's tree is: ``writer`` (it holds the order writer's
    socket), ``server`` (serving HTTP: a worker, or the only process), ``supervisor``,
    ``detector`` (``stream-detect``), ``fulfilment`` (``fulfilment-worker``), ``tracker``
    (multiprocessing's), or ``?`` once it has ended. ``/proc`` is read once for them all."""
    parents = {pid: parent for pid, (parent, _) in _processes().items()}
    writer_inodes = _writer_socket_inodes()
    roles = {}
    for pid in pids:
        cmdline = _cmdline(pid)
        if cmdline is None:
            roles[pid] = "?"
        elif b"stream-detect" in cmdline:
            roles[pid] = "detector"
        elif b"fulfilment-worker" in cmdline:
            roles[pid] = "fulfilment"
        elif b"resource_tracker" in cmdline:
            roles[pid] = "tracker"
        elif b"spawn_main" not in cmdline:  # `megasale serve` itself
            children = [p for p, parent in parents.items() if parent == pid]
            spawned = any(b"spawn_main" in (_cmdline(p) or b"") for p in children)
            roles[pid] = "supervisor" if spawned else "server"
        else:
            roles[pid] = "writer" if _holds_socket(pid, writer_inodes) else "server"
    return roles


def _processes() -> dict[int, tuple[int, int]]:
    """Every process's parent id and CPU clock ticks so far (user + system), from ``/proc``."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        found[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def _writer_socket_inodes() -> set[str]:
    """The inodes of the Unix sockets bound under a ``megasale-writer-`` folder (the writer's
    listening socket and the ends it accepted; a worker's connecting end has no path)."""
    try:
        rows = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return set()
    return {row.split()[6] for row in rows if "megasale-writer-" in row}


def _holds_socket(pid: int, inodes: set[str]) -> bool:
    """Whether ``pid`` has one of the sockets ``inodes`` open."""
    try:
        links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:
        return False
    return any(f"socket:[{inode}]" in links for inode in inodes)


def _answers(port: int) -> bool:
    try:
        get_json(port, "/v1/noop", method="POST", body=b"{}")
    except (OSError, http.client.HTTPException, ValueError):
        return False
    return True


def get_json(
    port: int, path: str, *, token: str | None = None, method: str = "GET", body: bytes = b""
) -> Any:
    """One request with the standard library; the decoded JSON body of a 2xx response."""
    headers = {"Content-Type": "application/json"} if body else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise ValueError(f"{method} {path}: {response.status} {content[:300]!r}")
    return json.loads(content)


def order_request(seeded: Seeded, buyer: int, sku: int, key: str, payment: str) -> bytes:
    """``POST /v1/orders`` for one unit; every fourth order is picked up in a partner store."""
    if buyer % 4 == 0:
        where = f'{{"kind":"pickup","store_id":"{seeded.stores[buyer % len(seeded.stores)]}"}}'
    else:
        where = f'{{"kind":"shipping","address":"{buyer % 997 + 1} Renmin Road, Chengdu"}}'
    body = (
        f'{{"promotion_id":"{seeded.promotion_id}","lines":[{{"sku_id":'
        f'"{seeded.skus[sku]["sku_id"]}","quantity":1}}],"fulfilment":{where},'
        f'"payment_id":"{payment}"}}'
    ).encode()
    headers = {
        "Authorization": f"Bearer {seeded.buyers[buyer]['token']}",
        "Idempotency-Key": key,
        "X-Device-Id": f"dev-{buyer}",
    }
    return encode_request("POST", "/v1/orders", body, host=HOST, headers=headers)


class OrderStream:
    """Orders for the throughput runs: request ``n`` of the whole session is buyer ``n % B``
    buying SKU ``(n // B) % S`` with key ``bench-n``, so no pair repeats within B x S orders."""

    def __init__(self, seeded: Seeded) -> None:
        self._seeded = seeded
        self._next = 0

    def factory(self) -> RequestFactory:
        offset, buyers, skus = self._next, len(self._seeded.buyers), len(self._seeded.skus)

        def make(i: int) -> bytes:
            n = offset + i
            self._next = max(self._next, n + 1)
            buyer, sku = n % buyers, (n // buyers) % skus
            return order_request(self._seeded, buyer, sku, f"bench-{n}", f"pay-{n}")

        return make


@dataclass
class Bench:
    """Options of one session against one running server."""

    port: int
    duration: float
    connections: int
    timeout: float

    def run(self, label: str, rate: float, make: RequestFactory) -> LoadResult:
        spec = LoadSpec(
            host=HOST,
            port=self.port,
            rate=rate,
            duration=self.duration,
            connections=self.connections,
            timeout=self.timeout,
        )
        before = server_cpu_by_process(self.port)
        result = run_load(spec, make, label=label)
        used = {
            pid: seconds - before.get(pid, 0.0)
            for pid, seconds in server_cpu_by_process(self.port).items()
        }
        cpu = sum(used.values())
        print(format_result(result), flush=True)
        if result.completed:
            # per process, busiest first, each named by its role
            busiest = sorted(used.items(), key=lambda item: -item[1])
            roles = process_roles(used)
            each = ", ".join(
                f"{roles[pid]} {1e6 * s / result.completed:.0f}" for pid, s in busiest if s
            )
            print(
                f"{'':<12} server cpu {cpu / max(1e-9, result.elapsed_s):.2f} cores, "
                f"{1e6 * cpu / result.completed:.0f} us per response (by process: {each})",
                flush=True,
            )
        return result


def summarise(label: str, runs: list[LoadResult]) -> str:
    """One line of medians over the repeats, the errors summed, and whether the rate held."""
    errors: Counter[str] = Counter()
    for run in runs:
        errors.update(run.errors)
    error_text = ", ".join(f"{kind}={n}" for kind, n in errors.most_common()) or "none"
    offered = median(r.offered_rate for r in runs)
    ok = median(r.ok_rate for r in runs)
    p99 = median(r.p99_ms for r in runs)
    held = "held" if ok >= 0.95 * offered and p99 <= P99_TARGET_MS else "NOT held"
    return (
        f"  {label:<7} {offered:>8.0f} {median(r.achieved_rate for r in runs):>9.0f} {ok:>8.0f} "
        f"{median(r.p50_ms for r in runs):>7.2f} {p99:>7.2f} "
        f"{median(r.p999_ms for r in runs):>7.2f}  {held:<8}  {error_text}"
    )


def noop_factory() -> RequestFactory:
    """``POST /v1/noop``: the same small request every time."""
    request = encode_request("POST", "/v1/noop", NOOP_BODY, host=HOST)
    return lambda _i: request


def fixed_rates(bench: Bench, rates: list[float], repeats: int, orders: OrderStream) -> None:
    """Noop then orders at each rate, ``repeats`` times; print the runs, then the medians."""
    table: list[str] = []
    for rate in rates:
        noop_runs: list[LoadResult] = []
        order_runs: list[LoadResult] = []
        for _ in range(repeats):
            noop_runs.append(bench.run("noop", rate, noop_factory()))
            order_runs.append(bench.run("orders", rate, orders.factory()))
        ratio = median(r.achieved_rate for r in order_runs) / median(
            r.achieved_rate for r in noop_runs
        )
        table += [
            f"rate {rate:.0f}/s, medians of {repeats}: endpoint, offered/s, achieved/s, ok/s, "
            f"p50, p99, p99.9 ms, held (2xx >= 95% offered, p99 <= {P99_TARGET_MS:.0f} ms), "
            "errors (all repeats)",
            summarise("noop", noop_runs),
            summarise("orders", order_runs),
            f"  ratio orders/noop achieved: {ratio:.2f}"
            + (
                "  (the no-op kept up with this rate: its throughput is higher, the ratio lower)"
                if median(r.achieved_rate for r in noop_runs) >= 0.95 * rate
                and median(r.achieved_rate for r in order_runs) < 0.95 * rate
                else ""
            ),
        ]
    print("\n" + "\n".join(table))


def sustainable(result: LoadResult) -> bool:
    """The rate held: 2xx responses at >= 95% of the offered rate, p99 within the target."""
    return result.p99_ms <= P99_TARGET_MS and result.ok_rate >= 0.95 * result.offered_rate


def holds(bench: Bench, label: str, rate: float, make: Callable[[], RequestFactory]) -> bool:
    """Whether ``rate`` held; a miss is run once more, so one burst of noise does not decide."""
    return any(sustainable(bench.run(label, rate, make())) for _ in range(2))


def find_max(bench: Bench, label: str, make: Callable[[], RequestFactory], start: float) -> float:
    """The highest offered rate that held: x1.25 steps up from ``start`` (or down, at most ten
    steps, if it did not hold there) to the first change, then two bisection steps; 0 if none
    held."""
    held = holds(bench, label, start, make)
    factor = 1.25 if held else 1 / 1.25
    rate = start * factor
    for _ in range(20 if held else 9):
        if holds(bench, label, rate, make) != held:
            break
        rate *= factor
    else:
        if not held:
            return 0.0
    passed, failed = (rate / factor, rate) if held else (rate, rate / factor)
    for _ in range(2):
        middle = (passed + failed) / 2
        if holds(bench, label, middle, make):
            passed = middle
        else:
            failed = middle
    return passed


class Hammer:
    """The oversell scenario: ``H`` buyers after one SKU, each order sent in four requests.

    Requests ``[0, 2H)`` are buyer ``i // 2``'s order with its first key, twice back to back (a
    concurrent duplicate); ``[2H, 3H)`` the same order under a second key (the buyer limit is 1);
    ``[3H, 4H)`` the first key again (a client retry: it must replay the first answer).
    """

    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded
        self.buyers = len(seeded.buyers)
        self.answers: dict[tuple[int, str], list[tuple[int, str | None, int]]] = {}

    @property
    def requests(self) -> int:
        return 4 * self.buyers

    def _of(self, i: int) -> tuple[int, str]:
        if i < 2 * self.buyers:
            return i // 2, "first"
        if i < 3 * self.buyers:
            return i - 2 * self.buyers, "second"
        return i - 3 * self.buyers, "first"

    def make(self, i: int) -> bytes:
        buyer, key = self._of(i)
        return order_request(self.seeded, buyer, 0, f"hot-{buyer}-{key}", f"pay-{buyer}-{key}")

    def record(self, i: int, status: int, body: bytes) -> None:
        order_id, subsidy = None, 0
        if status in (200, 201):
            order = json.loads(body)
            order_id, subsidy = order["order_id"], order["subsidy_fen"]
        self.answers.setdefault(self._of(i), []).append((status, order_id, subsidy))


def check_oversell(
    bench: Bench, hammer: Hammer, rate: float, label: str
) -> list[tuple[str, bool, str]]:
    """Hammer one SKU, then verify stock, budget, keys and limits through the API and SQLite."""
    seeded = hammer.seeded
    spec = LoadSpec(
        host=HOST,
        port=bench.port,
        rate=rate,
        duration=hammer.requests / rate,
        connections=bench.connections,
        timeout=bench.timeout * 5,
    )
    print(format_result(run_load(spec, hammer.make, label=label, on_response=hammer.record)))
    sku = seeded.skus[0]
    initial = int(sku["stock"])
    orders: dict[str, int] = {}
    keys_with_two_orders = 0
    for answers in hammer.answers.values():
        seen = {order_id: subsidy for _, order_id, subsidy in answers if order_id is not None}
        keys_with_two_orders += len(seen) > 1
        orders.update(seen)
    stock_left = get_json(bench.port, f"/v1/skus/{sku['sku_id']}")["stock_left"]
    promotion = get_json(
        bench.port, f"/v1/operator/promotions/{seeded.promotion_id}", token=seeded.operator_token
    )
    sold = initial - stock_left
    spent = promotion["subsidy_spent_fen"]
    checks = [
        ("api: units sold <= initial stock", sold <= initial, f"{sold} <= {initial}"),
        ("api: units sold == orders answered", sold == len(orders), f"{sold} == {len(orders)}"),
        (
            "api: subsidy spent <= budget",
            spent <= seeded.budget_fen,
            f"{spent} <= {seeded.budget_fen}",
        ),
        ("api: subsidy spent == answered", spent == sum(orders.values()), f"{spent}"),
        (
            "api: one order per key",
            keys_with_two_orders == 0,
            f"{keys_with_two_orders} keys with 2+",
        ),
    ]
    return checks + read_database(seeded, sold, len(orders))


def read_database(seeded: Seeded, sold_by_api: int, answered: int) -> list[tuple[str, bool, str]]:
    """The same invariants read straight from the SQLite file, opened read-only."""
    sku_id, initial = seeded.skus[0]["sku_id"], int(seeded.skus[0]["stock"])
    try:
        db = sqlite3.connect(f"file:{seeded.db}?mode=ro", uri=True)
        try:
            (stock_left,) = db.execute(
                "SELECT stock_left FROM skus WHERE sku_id = ?", (sku_id,)
            ).fetchone()
            (sold,) = db.execute(
                "SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE sku_id = ?", (sku_id,)
            ).fetchone()
            budget, budget_left, spent, orders = db.execute(
                "SELECT p.budget_fen, p.budget_left_fen, COALESCE(SUM(o.subsidy_fen), 0), "
                "COUNT(o.order_id) FROM promotions p LEFT JOIN orders o "
                "ON o.promotion_id = p.promotion_id WHERE p.promotion_id = ?",
                (seeded.promotion_id,),
            ).fetchone()
            (twice,) = db.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM orders GROUP BY buyer_id, idempotency_key "
                "HAVING COUNT(*) > 1)"
            ).fetchone()
            (over_limit,) = db.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM orders o JOIN order_lines l "
                "ON l.order_id = o.order_id WHERE o.promotion_id = ? "
                "GROUP BY o.buyer_id, l.sku_id HAVING SUM(l.quantity) > ?)",
                (seeded.promotion_id, seeded.limit_per_buyer),
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return [("sqlite: read the database", False, str(exc))]
    return [
        ("sqlite: sold == initial - left", sold == initial - stock_left, f"{sold}, {stock_left}"),
        ("sqlite: sold <= initial stock", sold <= initial, f"{sold} <= {initial}"),
        ("sqlite: sold == api", sold == sold_by_api == orders == answered, f"{sold}, {orders}"),
        ("sqlite: subsidy spent <= budget", spent <= budget, f"{spent} <= {budget}"),
        ("sqlite: spent == budget - left", spent == budget - budget_left, f"{budget_left} left"),
        ("sqlite: one order per key", twice == 0, f"{twice} keys with 2+"),
        ("sqlite: buyer limit held", over_limit == 0, f"{over_limit} buyers over"),
    ]


def oversell(
    megasale: Path,
    folder: Path,
    bench: Bench,
    workers: int | None,
    rate: float,
    extra: Sequence[str] = (),
) -> bool:
    """The two scenarios, each on its own fresh database and server; True if every check holds."""
    scenarios = {
        "hot-stock": {"stock": 100, "budget_fen": 10**9},
        "tight-budget": {"stock": 100_000, "budget_fen": 500 * 100 + 250},
    }
    verdict = True
    for name, plan in scenarios.items():
        seeded = seed(
            megasale, folder, name, buyers=1_500, skus=1, subsidy_fen=500, limit_per_buyer=1, **plan
        )
        with serving(megasale, seeded.db, workers, extra=extra) as port:
            scenario = Bench(port, bench.duration, bench.connections, bench.timeout)
            checks = check_oversell(scenario, Hammer(seeded), rate, name)
        print(f"oversell check, {name} (stock {plan['stock']}, budget {plan['budget_fen']} fen):")
        for label, ok, detail in checks:
            print(f"  {'ok  ' if ok else 'FAIL'} {label:<36} {detail}")
            verdict = verdict and ok
    print(f"oversell verdict: {'PASS' if verdict else 'FAIL'}")
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rate", default="5000,30000", help="offered rates, comma-separated")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=2.0, help="give up after (s)")
    parser.add_argument("--workers", type=int, default=None, help="megasale serve --workers")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="another option for megasale serve, e.g. --serve-arg=--no-detection (repeatable)",
    )
    parser.add_argument("--find-max", action="store_true", help="find each sustainable rate")
    parser.add_argument("--start-rate", type=float, default=2000.0, help="--find-max from here")
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--skus", type=int, default=50)
    parser.add_argument("--hammer-rate", type=float, default=3000.0, help="oversell check rate")
    parser.add_argument("--no-oversell", action="store_true", help="skip the oversell check")
    parser.add_argument("--megasale", type=Path, default=Path(sys.executable).parent / "megasale")
    args = parser.parse_args(argv)
    rates = [float(rate) for rate in args.rate.split(",")]
    serve = " ".join(
        [str(args.megasale), "serve", f"--workers {args.workers or 1}", *args.serve_arg]
    )
    print(f"megasale bench_orders: {serve}")
    with tempfile.TemporaryDirectory(prefix="megasale-bench-") as tmp:
        folder = Path(tmp)
        seeded = seed(
            args.megasale,
            folder,
            "throughput",
            buyers=args.buyers,
            skus=args.skus,
            **THROUGHPUT_PLAN,
        )
        with serving(args.megasale, seeded.db, args.workers, extra=args.serve_arg) as port:
            bench = Bench(port, args.duration, args.connections, args.timeout)
            orders = OrderStream(seeded)
            if args.find_max:
                best_noop = find_max(bench, "noop", noop_factory, args.start_rate)
                best_orders = find_max(bench, "orders", orders.factory, args.start_rate)
                lowest = args.start_rate / 1.25**9
                found = [
                    f"{label} {best:.0f}/s"
                    if best
                    else f"{label} none held (tried down to {lowest:.0f}/s)"
                    for label, best in (("noop", best_noop), ("orders", best_orders))
                ]
                ratio = f"{best_orders / best_noop:.2f}" if best_noop and best_orders else "n/a"
                print(
                    f"\nsustainable (p99 <= {P99_TARGET_MS:.0f} ms, 2xx >= 95% of offered): "
                    f"{', '.join(found)}, ratio orders/noop {ratio}"
                )
            else:
                fixed_rates(bench, rates, args.repeats, orders)
        if args.no_oversell:
            return 0
        held = oversell(
            args.megasale, folder, bench, args.workers, args.hammer_rate, args.serve_arg
        )
        return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
