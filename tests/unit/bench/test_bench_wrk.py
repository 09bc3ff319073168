"""bench_wrk.py: what wrk prints is read right, and its Lua script sends bench_orders' requests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from bench_orders import Seeded, order_request
from bench_wrk import last_number, noop_script, order_script, parse_wrk

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:41123/v1/orders
  1 threads and 128 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.12ms    6.01ms  98.20ms   80.00%
    Req/Sec     3.19k   210.00     3.50k    70.00%
  Latency Distribution
     50%   39.31ms
     75%   43.00ms
     90%   46.84ms
     99%  1.29s
  15963 requests in 5.00s, 12.34MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   3192.60
Transfer/sec:      2.47MB
"""


def test_parse_wrk_reads_the_count_the_time_the_errors_and_the_percentiles() -> None:
    requests, seconds, non_2xx, errors, latency = parse_wrk(WRK_OUTPUT)
    assert (requests, seconds, non_2xx) == (15963, 5.0, 7)
    assert errors == "connect 0, read 0, write 0, timeout 3"
    assert latency == {"50": 39.31, "90": 46.84, "99": 1290.0}


def test_parse_wrk_without_errors_or_a_request_count() -> None:
    clean = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if "Socket" not in line and "Non-2xx" not in line
    )
    assert parse_wrk(clean)[2:4] == (0, "none")
    with pytest.raises(ValueError, match="no request count"):
        parse_wrk("unable to connect to 127.0.0.1:9 Connection refused")
    no_distribution = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if not line.strip().endswith("ms")
    )
    with pytest.raises(ValueError, match="latency distribution"):
        parse_wrk(no_distribution)


SEEDED = Seeded(
    db=Path("unused.db"),
    promotion_id="promo-1",
    operator_token="op",
    skus=[{"sku_id": f"sku-{i}"} for i in range(3)],
    buyers=[{"buyer_id": f"b-{i}", "token": f"token-{i}"} for i in range(8)],
    stores=["st-1", "st-2"],
    subsidy_fen=500,
    budget_fen=10**9,
    limit_per_buyer=10,
)


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        answer = b"{}"
        self.send_response(201)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[int, list[tuple[str, dict[str, str], bytes]]]]:
    seen: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def _wrk(port: int, path: str, script: Path, threads: int = 1) -> str:
    wrk = shutil.which("wrk")
    assert wrk is not None
    command = [wrk, f"-t{threads}", f"-c{threads}", "-d1s", "--latency", "-s", str(script)]
    done = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _parsed(request: bytes) -> tuple[str, dict[str, str], bytes]:
    head, body = request.split(b"\r\n\r\n", 1)
    start, *lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return start.split()[1], {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.skipif(shutil.which("wrk") is None, reason="Debian's wrk is not installed")
@pytest.mark.parametrize("threads", [1, 2])
def test_the_order_script_sends_bench_orders_requests_numbered_on_from_the_first(
    tmp_path: Path, recorder: tuple[int, list[tuple[str, dict[str, str], bytes]]], threads: int
) -> None:
    port, seen = recorder
    script = tmp_path / "orders.lua"
    first = 1_234
    script.write_text(order_script(SEEDED, first, threads))
    output = _wrk(port, "/v1/orders", script, threads)
    requests = parse_wrk(output)[0]
    assert requests >= 2 and len(seen) >= requests
    numbers = sorted(
        int(headers["idempotency-key"].removeprefix("bench-")) for _, headers, _ in seen
    )
    # the threads share the numbers from ``first`` on, each every ``threads``-th: none is sent
    # twice, none below ``first``, and the run's last is what the next run starts after (wrk may
    # build a request it never sends, so a number can be skipped at the end of a thread)
    assert len(set(numbers)) == len(numbers) and numbers[0] >= first
    assert numbers[-1] <= last_number(output) < numbers[-1] + 2 * threads + 1
    for path, headers, body in seen[:50]:
        n = int(headers["idempotency-key"].removeprefix("bench-"))
        buyer, sku = n % len(SEEDED.buyers), (n // len(SEEDED.buyers)) % len(SEEDED.skus)
        want_path, want_headers, want_body = _parsed(
            order_request(SEEDED, buyer, sku, f"bench-{n}", f"pay-{n}")
        )
        assert (path, body) == (want_path, want_body)
        for name in ("authorization", "idempotency-key", "x-device-id", "content-type"):
            assert headers[name] == want_headers[name]


def test_last_number_needs_the_scripts_line() -> None:
    assert last_number("Requests/sec: 1\nmegasale-last 41\nmegasale-last 42\n") == 42
    with pytest.raises(ValueError, match="megasale-last"):
        last_number("Requests/sec: 1\n")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="Debian's wrk is not installed")
def test_the_noop_script_posts_the_noop_body(
    tmp_path: Path, recorder: tuple[int, list[tuple[str, dict[str, str], bytes]]]
) -> None:
    port, seen = recorder
    script = tmp_path / "noop.lua"
    script.write_text(noop_script())
    _wrk(port, "/v1/noop", script)
    path, headers, body = seen[0]
    assert (path, body, headers["content-type"]) == (
        "/v1/noop",
        b'{"promotion_id":"promo-1","ping":1}',
        "application/json",
    )
