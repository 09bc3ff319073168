"""The open-loop load generator, driven against a tiny HTTP server started in the test.

The server runs in its own thread and event loop on 127.0.0.1 with an ephemeral port; the path of
each request picks its behaviour (answer, stall, fail, hang, close), so every figure the engine
reports can be worked out by hand from the schedule.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from loadgen import LoadSpec, encode_request, percentile, run_load


class TinyServer:
    """HTTP/1.1 keep-alive server; the first path segment chooses the response."""

    def __init__(self, *, stall_at: int | None = None, stall_seconds: float = 0.0) -> None:
        self.stall_at = stall_at
        self.stall_seconds = stall_seconds
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: set[asyncio.Task[None]] = set()

    def __enter__(self) -> TinyServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> None:
        self._gate = asyncio.Event()
        self._gate.set()
        self._one_at_a_time = asyncio.Lock()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.lower().split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                path = head.split(b" ", 2)[1].decode()
                if not await self._respond(path, writer):
                    return
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _respond(self, path: str, writer: asyncio.StreamWriter) -> bool:
        """Write the response for ``path``; False closes the connection."""
        kind, _, argument = path.strip("/").partition("/")
        if kind == "ok":
            index = int(argument)
            if index == self.stall_at:
                self._gate.clear()
                asyncio.get_running_loop().call_later(self.stall_seconds, self._gate.set)
            await self._gate.wait()
            writer.write(_response(200, "application/json", b'{"i":%d}' % index))
        elif kind == "slow":
            async with self._one_at_a_time:
                await asyncio.sleep(0.01)
                writer.write(_response(200, "application/json", b"{}"))
        elif kind == "sold-out":
            problem = {"type": "/problems/sold-out", "title": "Sold out", "status": 409}
            writer.write(_response(409, "application/problem+json", json.dumps(problem).encode()))
        elif kind == "not-a-problem":
            writer.write(_response(409, "application/json", b'{"type": "/problems/ignored"}'))
        elif kind == "boom":
            writer.write(_response(500, "text/plain", b"Internal Server Error"))
        elif kind == "drop":
            return False
        elif kind == "hang":
            await asyncio.Event().wait()
        elif kind == "close":
            writer.write(_response(200, "application/json", b"{}", b"connection: close\r\n"))
            return False
        elif kind == "chunked":
            writer.write(
                b"HTTP/1.1 409 Conflict\r\ncontent-type: application/problem+json\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
                b'9\r\n{"type": \r\n14;ext=1\r\n"/problems/chunked"}\r\n0\r\n\r\n'
            )
        return True


def _response(status: int, content_type: str, body: bytes, extra: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + extra + b"\r\n" + body


@pytest.fixture
def server() -> Iterator[TinyServer]:
    with TinyServer() as tiny:
        yield tiny


def _spec(port: int, **overrides: float) -> LoadSpec:
    options: dict[str, float] = {"rate": 500, "duration": 0.4, "connections": 8, "timeout": 5.0}
    options.update(overrides)
    return LoadSpec(
        host="127.0.0.1",
        port=port,
        rate=options["rate"],
        duration=options["duration"],
        connections=int(options["connections"]),
        timeout=options["timeout"],
        max_requests=int(options.get("max_requests", 1_000_000)),
        max_wall=options.get("max_wall"),
    )


def _post(path: str) -> bytes:
    return encode_request("POST", path, b"{}")


def test_a_server_stall_shows_in_the_tail_as_latency_runs_from_the_intended_time() -> None:
    # 500 requests over 1 s; the server holds every response for 0.3 s from request 200 (t = 0.4 s).
    # Requests meant for [0.4, 0.7] wait 300 ms down to 0, most of them here for one of the two
    # connections, so 30% of all requests are late: p90 ~ 200 ms, p99 ~ 290 ms. Timed from the
    # actual send, only the two requests inside the server would have seen the stall.
    with TinyServer(stall_at=200, stall_seconds=0.3) as tiny:
        result = run_load(
            _spec(tiny.port, duration=1.0, connections=2), lambda i: _post(f"/ok/{i}")
        )
    assert result.completed == 500
    assert result.p99_ms >= 250
    assert result.p90_ms >= 150
    assert result.max_ms >= 280
    assert result.p50_ms < result.p90_ms / 2
    assert result.send_lag_p99_ms >= 150


def test_offered_and_achieved_agree_when_the_server_keeps_up(server: TinyServer) -> None:
    result = run_load(_spec(server.port, rate=400, duration=1.0), lambda i: _post(f"/ok/{i}"))
    assert result.offered_rate == 400
    assert result.planned == result.sent == result.completed == 400
    assert 0.8 * 400 <= result.achieved_rate <= 400
    assert result.ok_rate == result.achieved_rate
    assert result.statuses == {200: 400}
    assert result.errors == {}
    assert result.cut_short == 0


def test_achieved_falls_to_what_the_server_can_do_when_offered_more(server: TinyServer) -> None:
    # One request at a time, 10 ms each: at most 100/s however much is offered.
    result = run_load(_spec(server.port, rate=300, duration=0.5), lambda _i: _post("/slow"))
    assert result.offered_rate == 300
    assert result.completed == 150
    assert result.achieved_rate <= 101
    assert result.max_ms >= 900  # the last request, meant for 0.5 s, is answered after 1.5 s


def test_under_overload_requests_sent_late_still_get_their_answer(server: TinyServer) -> None:
    # 400/s offered to a 100/s server: those left waiting here past the timeout are dropped
    # unsent, but each one sent gets the whole timeout, so none of the server's work is wasted.
    spec = _spec(server.port, rate=400, duration=1.0, timeout=0.5)
    result = run_load(spec, lambda _i: _post("/slow"))
    assert result.completed == result.sent
    assert result.errors["timeout"] == result.planned - result.sent > 0
    assert 70 <= result.achieved_rate <= 101


def test_errors_are_counted_by_kind_and_statuses_by_code(server: TinyServer) -> None:
    paths = ["/ok/0", "/sold-out", "/not-a-problem", "/boom", "/drop"]
    result = run_load(_spec(server.port, duration=0.2), lambda i: _post(paths[i % 5]))
    assert result.planned == 100
    assert result.statuses == {200: 20, 409: 40, 500: 20}
    assert result.errors == {
        "/problems/sold-out": 20,
        "http-409": 20,
        "http-500": 20,
        "disconnected": 20,
    }
    assert result.completed == 80
    assert result.ok_rate < result.achieved_rate


def test_a_chunked_problem_body_is_read_whole_to_classify_it(server: TinyServer) -> None:
    result = run_load(_spec(server.port, duration=0.1), lambda _i: _post("/chunked"))
    assert result.errors == {"/problems/chunked": 50}


def test_requests_unanswered_past_the_timeout_are_given_up_and_the_run_ends(
    server: TinyServer,
) -> None:
    started = time.monotonic()
    spec = _spec(server.port, rate=100, duration=0.5, connections=4, timeout=0.3)
    result = run_load(spec, lambda _i: _post("/hang"))
    assert time.monotonic() - started < 0.5 + 2 * 0.3 + 2.0
    assert result.errors == {"timeout": 50}
    assert result.completed == 0
    assert 4 <= result.sent < 50  # four go out at once; most others wait past the timeout unsent
    assert result.p50_ms >= 300  # given-up requests count at least the timeout
    assert result.cut_short == 0


def test_the_wall_clock_bound_stops_a_run_that_would_go_on(server: TinyServer) -> None:
    started = time.monotonic()
    result = run_load(
        _spec(server.port, rate=10, duration=10, max_wall=0.5), lambda i: _post("/ok/1")
    )
    assert time.monotonic() - started < 2.0
    assert result.planned == 100
    assert 1 <= result.completed <= 7
    assert result.cut_short == result.planned - result.completed


def test_the_request_cap_bounds_the_run(server: TinyServer) -> None:
    spec = _spec(server.port, rate=1000, duration=100, max_requests=50)
    result = run_load(spec, lambda i: _post(f"/ok/{i}"))
    assert result.planned == result.completed == 50
    assert result.window_s == pytest.approx(0.05)


def test_every_response_reaches_the_hook_with_its_index_and_body(server: TinyServer) -> None:
    seen: dict[int, tuple[int, bytes]] = {}
    run_load(
        _spec(server.port, duration=0.2),
        lambda i: _post(f"/ok/{i}"),
        on_response=lambda i, status, body: seen.__setitem__(i, (status, body)),
    )
    assert seen == {i: (200, b'{"i":%d}' % i) for i in range(100)}


def test_a_connection_the_server_closes_is_reopened_for_the_next_request(
    server: TinyServer,
) -> None:
    result = run_load(_spec(server.port, duration=0.2, connections=2), lambda _i: _post("/close"))
    assert result.statuses == {200: 100}
    assert result.errors == {}


def test_a_port_with_nothing_listening_fails_before_the_run() -> None:
    with TinyServer() as tiny:
        port = tiny.port
    with pytest.raises(ConnectionError):
        run_load(_spec(port, duration=0.1), lambda _i: _post("/ok/0"))


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "192.168.1.1", "0.0.0.0", "::1", "localhost", "example.com"]
)
def test_only_loopback_addresses_may_be_targeted(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LoadSpec(host=host, port=80, rate=1, duration=1)


def test_any_address_in_127_slash_8_may_be_targeted() -> None:
    assert LoadSpec(host="127.1.2.3", port=80, rate=1, duration=1).host == "127.1.2.3"


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert [percentile(values, p) for p in (10, 50, 90, 99, 99.9, 100)] == [1, 5, 9, 10, 10, 10]
    assert percentile([], 99) == 0.0


@given(st.lists(st.floats(0, 1e6), min_size=1), st.floats(0.1, 100), st.floats(0.1, 100))
def test_a_percentile_is_a_sample_and_grows_with_p(values: list[float], p: float, q: float) -> None:
    ordered = sorted(values)
    low, high = sorted((p, q))
    assert percentile(ordered, low) in ordered
    assert percentile(ordered, low) <= percentile(ordered, high)


def test_an_encoded_post_carries_its_length_type_and_headers() -> None:
    request = encode_request("POST", "/v1/orders", b'{"a":1}', headers={"Idempotency-Key": "k1"})
    head, body = request.split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/orders HTTP/1.1"
    assert set(lines[1:]) == {
        b"Host: 127.0.0.1",
        b"Idempotency-Key: k1",
        b"Content-Type: application/json",
        b"Content-Length: 7",
    }
    assert body == b'{"a":1}'
