"""An open-loop HTTP/1.1 load generator for loopback benchmarks.

Request ``i`` of a run at rate ``R`` has the intended send time ``t0 + i / R``. It goes out on the
first free keep-alive connection of a fixed pool at or after that time, and its latency runs from
the intended time to the last byte of the response. A server stall therefore shows in the tail:
requests that queue behind it (in the server, or here waiting for a free connection) are charged
for the wait, so there is no coordinated omission. A request still unsent ``timeout`` seconds after
its intended time is dropped, and one sent but unanswered ``timeout`` seconds after it was sent is
abandoned (its connection closed). Both count as ``timeout`` and enter the latency percentiles at
the moment they were given up, a lower bound on what they would have taken. The in-flight clock
starts at the send so that under overload the server's work is not thrown away: requests sent
late would otherwise be abandoned just before their answer, and throughput would collapse.

Requests are raw bytes made up front by a factory ``make_request(i)``; responses are parsed only as
far as the status line, ``Content-Length`` (or chunked framing) and ``Connection: close``. Bodies of
error responses are read to classify them by their problem ``type`` (RFC 9457). Every run stops by
itself: the request count is capped and a wall-clock bound cancels whatever is left. Only loopback
addresses (127.0.0.0/8) can be targeted.

Run it on its own against one endpoint::

    python bench/loadgen.py --port 8000 --path /v1/noop --body '{}' --rate 2000 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

__all__ = [
    "ExchangeError",
    "HttpConnection",
    "LoadResult",
    "LoadSpec",
    "RequestFactory",
    "Response",
    "ResponseHook",
    "encode_request",
    "error_kind",
    "format_result",
    "percentile",
    "run_load",
    "run_load_async",
]

RequestFactory = Callable[[int], bytes]
"""Builds the full HTTP/1.1 request (head and body) for request number ``i``."""

ResponseHook = Callable[[int, int, bytes], None]
"""Called with ``(i, status, body)`` for every response received."""

_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_CLOCK = time.perf_counter


Response = tuple[int, bytes, bytes]
"""``(status, head, body)``; the head is lower-cased, each header line ending in CRLF."""


class ExchangeError(Exception):
    """The exchange ended without a response; ``kind`` names how, for the error counts."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def encode_request(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    host: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> bytes:
    """The bytes of one HTTP/1.1 keep-alive request; a body without a type is sent as JSON."""
    fields = dict(headers or {})
    if body and not any(name.lower() == "content-type" for name in fields):
        fields["Content-Type"] = "application/json"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in fields.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _dechunk(buffer: bytearray, position: int) -> tuple[bytes, int] | None:
    """The body of a chunked response starting at ``position`` and where it ends, if complete."""
    chunks: list[bytes] = []
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        position = line_end + 2
        if size == 0:
            end = buffer.find(b"\r\n\r\n", position - 2)  # the last CRLF, after any trailers
            return None if end < 0 else (b"".join(chunks), end + 4)
        if len(buffer) < position + size + 2:
            return None
        chunks.append(bytes(buffer[position : position + size]))
        position += size + 2


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Response] | None = None
        self._deadline = math.inf
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is not None:
            try:
                self._parse(at_eof=False)
            except ValueError:
                self._fail("bad-response")
                self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None:
            with contextlib.suppress(ValueError):
                self._parse(at_eof=True)
        self._fail("disconnected")

    def request(self, payload: bytes, deadline: float) -> asyncio.Future[Response]:
        """Send ``payload``; the future fails with ``timeout`` once ``deadline`` has passed."""
        assert self._transport is not None
        self._buffer.clear()
        waiter: asyncio.Future[Response] = self._loop.create_future()
        self._waiter, self._deadline = waiter, deadline
        self._transport.write(payload)
        return waiter

    def expire_if_late(self, now: float) -> None:
        if self._waiter is not None and now > self._deadline:
            self._fail("timeout")
            self.close()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, kind: str) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ExchangeError(kind))

    def _parse(self, *, at_eof: bool) -> None:
        buffer = self._buffer
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = bytes(buffer[: head_end + 2]).lower()
        status, body_start = int(head[9:12]), head_end + 4
        if 100 <= status < 200:  # an interim response: the real one follows
            del buffer[:body_start]
            self._parse(at_eof=at_eof)
            return
        position = head.find(b"\r\ncontent-length:")
        if position >= 0:
            stop = body_start + int(head[position + 17 : head.index(b"\r\n", position + 2)])
            if len(buffer) < stop:
                return
        elif b"\r\ntransfer-encoding: chunked" in head:
            chunked = _dechunk(buffer, body_start)
            if chunked is None:
                return
            self._complete((status, head, chunked[0]), b"\r\nconnection: close" in head)
            return
        elif status in (204, 304):
            stop = body_start
        elif at_eof:  # the body runs to the end of the connection
            stop = len(buffer)
        else:
            return
        self._complete(
            (status, head, bytes(buffer[body_start:stop])), b"\r\nconnection: close" in head
        )

    def _complete(self, response: Response, close: bool) -> None:
        waiter, self._waiter = self._waiter, None
        self._buffer.clear()
        if waiter is not None and not waiter.done():
            waiter.set_result(response)
        if close:
            self.close()


@dataclass(frozen=True)
class LoadSpec:
    """What to offer: ``rate`` requests/s for ``duration`` s over ``connections`` connections."""

    host: str
    port: int
    rate: float
    duration: float
    connections: int = 128
    timeout: float = 5.0
    max_requests: int = 1_000_000
    max_wall: float | None = None
    """Hard bound on the whole run in seconds; defaults to the window + 2 x timeout + 5 s."""

    def __post_init__(self) -> None:
        try:
            loopback = ipaddress.ip_address(self.host) in _LOOPBACK
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(
                f"only loopback addresses (127.0.0.0/8) may be targeted: {self.host!r}"
            )
        if not (self.rate > 0 and self.duration > 0 and self.timeout > 0):
            raise ValueError("rate, duration and timeout must be positive")
        if self.connections < 1 or self.max_requests < 1:
            raise ValueError("connections and max_requests must be at least 1")

    @property
    def planned(self) -> int:
        """Requests in the run: the rate times the duration, capped by ``max_requests``."""
        return max(1, min(self.max_requests, round(self.rate * self.duration)))

    @property
    def window(self) -> float:
        """The sending window in seconds: the planned requests at the offered rate."""
        return self.planned / self.rate

    @property
    def wall_bound(self) -> float:
        return self.max_wall if self.max_wall is not None else self.window + 2 * self.timeout + 5


@dataclass(frozen=True)
class LoadResult:
    """The outcome of one run. Rates are per second, latencies in milliseconds."""

    label: str
    offered_rate: float
    achieved_rate: float
    """Responses (any status) per second of the window, or until the last response if later."""
    ok_rate: float
    """The same for 2xx responses only."""
    planned: int
    sent: int
    completed: int
    window_s: float
    elapsed_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    send_lag_p99_ms: float
    """How late the generator itself sent (p99): large values mean it could not keep up."""
    generator_cpu: float
    """CPU seconds of this process per wall second of the run (1.0 is one core)."""
    cut_short: int
    """Requests neither answered nor given up when the wall-clock bound stopped the run."""
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def percentile(sorted_values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of an ascending list; 0.0 if empty."""
    if not sorted_values:
        return 0.0
    rank = math.ceil(p / 100.0 * len(sorted_values))
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


def error_kind(status: int, headers: bytes, body: bytes) -> str:
    """The problem ``type`` of an ``application/problem+json`` body, else ``http-<status>``."""
    if b"problem+json" in headers:
        try:
            problem = json.loads(body)
        except ValueError:
            problem = None
        if isinstance(problem, dict) and isinstance(problem.get("type"), str):
            return str(problem["type"])
    return f"http-{status}"


class _Run:
    """The mutable state of one run, shared by the connection workers."""

    def __init__(self, spec: LoadSpec, requests: list[bytes], hook: ResponseHook | None) -> None:
        self.spec = spec
        self.requests = requests
        self.hook = hook
        self.interval = 1.0 / spec.rate
        self.t0 = 0.0
        self.next_index = 0
        self.sent = 0
        self.failed = 0
        self.last_done = 0.0
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.connections: list[HttpConnection | None] = [None] * spec.connections

    async def connect(self) -> HttpConnection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            lambda: HttpConnection(loop), self.spec.host, self.spec.port
        )
        return conn

    def give_up(self, count: int, waited: float) -> None:
        """Count ``count`` requests as ``timeout``, each having waited ``waited`` seconds so far."""
        self.fail("timeout", count)
        self.latencies.extend([waited] * count)

    def fail(self, kind: str, count: int = 1) -> None:
        """Count requests that ended without a response."""
        self.errors[kind] += count
        self.failed += count

    async def worker(self, slot: int) -> None:
        spec, planned, timeout = self.spec, len(self.requests), self.spec.timeout
        while self.next_index < planned:
            i = self.next_index
            self.next_index = i + 1
            intended = self.t0 + i * self.interval
            now = _CLOCK()
            if intended > now:
                await asyncio.sleep(intended - now)
                now = _CLOCK()
            elif now - intended > timeout:
                # Everything whose intended time is too long ago is given up in one step.
                stale = math.floor((now - timeout - self.t0) * spec.rate)
                last_stale = min(planned - 1, max(i, stale))
                self.next_index = last_stale + 1
                self.give_up(last_stale - i + 1, timeout)
                continue
            await self.exchange(slot, i, intended, now)

    async def exchange(self, slot: int, i: int, intended: float, now: float) -> None:
        conn = self.connections[slot]
        if conn is None or conn.closed:
            try:
                conn = self.connections[slot] = await self.connect()
            except OSError as exc:
                refused = isinstance(exc, ConnectionRefusedError)
                self.fail("connect-refused" if refused else "connect-error")
                return
        self.lags.append(now - intended)
        self.sent += 1
        try:
            status, head, body = await conn.request(self.requests[i], now + self.spec.timeout)
        except ExchangeError as problem:
            if problem.kind == "timeout":
                self.give_up(1, _CLOCK() - intended)
            else:
                self.fail(problem.kind)
            return
        done = _CLOCK()
        self.last_done = done
        self.latencies.append(done - intended)
        self.statuses[status] += 1
        if status >= 400:
            self.errors[error_kind(status, head, body)] += 1
        if self.hook is not None:
            self.hook(i, status, body)

    async def watchdog(self) -> None:
        """Give up on in-flight requests past their deadline."""
        while True:
            await asyncio.sleep(min(0.05, self.spec.timeout / 4))
            now = _CLOCK()
            for conn in self.connections:
                if conn is not None:
                    conn.expire_if_late(now)


async def run_load_async(
    spec: LoadSpec,
    make_request: RequestFactory,
    *,
    label: str = "",
    on_response: ResponseHook | None = None,
) -> LoadResult:
    """Run ``spec`` in the running event loop and return what was offered and achieved."""
    requests = [make_request(i) for i in range(spec.planned)]
    run = _Run(spec, requests, on_response)
    opened = await asyncio.gather(
        *(run.connect() for _ in range(spec.connections)), return_exceptions=True
    )
    connections = [item for item in opened if isinstance(item, HttpConnection)]
    failures = [item for item in opened if isinstance(item, BaseException)]
    if failures:
        # Nothing answers there: fail before the clock starts rather than report a run of errors.
        for conn in connections:
            conn.close()
        raise failures[0]
    run.connections = list(connections)
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a full collection mid-run would show up as a generator stall
    cpu0 = time.process_time()
    run.t0 = _CLOCK() + 0.01
    watchdog = asyncio.ensure_future(run.watchdog())
    workers = [asyncio.ensure_future(run.worker(slot)) for slot in range(spec.connections)]
    try:
        remaining = run.t0 + spec.wall_bound - _CLOCK()
        _, pending = await asyncio.wait(workers, timeout=max(0.0, remaining))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        watchdog.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watchdog
        end = _CLOCK()
        cpu = time.process_time() - cpu0
        for slot in run.connections:
            if slot is not None:
                slot.close()
        if gc_was_enabled:
            gc.enable()
    return _summarise(run, label, cpu, end)


def _summarise(run: _Run, label: str, cpu: float, end: float) -> LoadResult:
    spec = run.spec
    completed = sum(run.statuses.values())
    elapsed = max(spec.window, run.last_done - run.t0)
    ok = sum(n for status, n in run.statuses.items() if 200 <= status < 300)
    latencies = sorted(run.latencies)
    ms = [1000.0 * percentile(latencies, p) for p in (50, 90, 99, 99.9)]
    return LoadResult(
        label=label,
        offered_rate=spec.rate,
        achieved_rate=completed / elapsed,
        ok_rate=ok / elapsed,
        planned=spec.planned,
        sent=run.sent,
        completed=completed,
        window_s=spec.window,
        elapsed_s=end - run.t0,
        p50_ms=ms[0],
        p90_ms=ms[1],
        p99_ms=ms[2],
        p999_ms=ms[3],
        max_ms=1000.0 * latencies[-1] if latencies else 0.0,
        send_lag_p99_ms=1000.0 * percentile(sorted(run.lags), 99),
        generator_cpu=cpu / max(1e-9, end - run.t0),
        cut_short=spec.planned - completed - run.failed,
        statuses=dict(sorted(run.statuses.items())),
        errors=dict(run.errors.most_common()),
    )


def run_load(
    spec: LoadSpec,
    make_request: RequestFactory,
    *,
    label: str = "",
    on_response: ResponseHook | None = None,
) -> LoadResult:
    """Run ``spec`` in a fresh event loop (uvloop when importable)."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency, but stay usable without it
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(run_load_async(spec, make_request, label=label, on_response=on_response))


def format_result(result: LoadResult) -> str:
    """A compact two- or three-line summary of one run."""
    errors = ", ".join(f"{kind}={n}" for kind, n in result.errors.items()) or "none"
    statuses = " ".join(f"{status}={n}" for status, n in result.statuses.items()) or "none"
    cut = f"  cut-short={result.cut_short}" if result.cut_short else ""
    return (
        f"{result.label or 'run':<12} offered {result.offered_rate:8.0f}/s  "
        f"achieved {result.achieved_rate:8.0f}/s  ok {result.ok_rate:8.0f}/s  "
        f"p50 {result.p50_ms:7.2f}  p90 {result.p90_ms:7.2f}  p99 {result.p99_ms:7.2f}  "
        f"p99.9 {result.p999_ms:7.2f}  max {result.max_ms:7.2f} ms\n"
        f"{'':<12} sent {result.sent}/{result.planned}  status {statuses}  errors {errors}{cut}  "
        f"send-lag p99 {result.send_lag_p99_ms:.2f} ms  generator cpu {result.generator_cpu:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Offer one fixed request at a fixed rate.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", default="POST")
    parser.add_argument("--path", default="/v1/noop")
    parser.add_argument("--body", default="{}", help="JSON body sent with every request")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds")
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds")
    args = parser.parse_args(argv)
    headers = dict(tuple(part.strip() for part in h.split(":", 1)) for h in args.header)
    payload = encode_request(
        args.method, args.path, args.body.encode(), host=args.host, headers=headers
    )
    spec = LoadSpec(
        host=args.host,
        port=args.port,
        rate=args.rate,
        duration=args.duration,
        connections=args.connections,
        timeout=args.timeout,
    )
    print(format_result(run_load(spec, lambda _i: payload, label=args.path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
