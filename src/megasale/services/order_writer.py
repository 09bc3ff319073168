"""One order writer for all the server processes of ``serve --workers N``.

Each server process used to write its own batches. SQLite admits one writer at a time, so the
processes queued on the file's lock, and a writer holding it also waited for its own process's
interpreter lock after every SQLite call (the event loop beside it had it): every such wait
stalled the other processes' orders too, and at saturation two workers kept only 1.3 of the 2
cores busy. Each batch was also only one process's share of the orders, so there were twice the
commits, each with its fixed cost.

Here one process writes for all: the server processes send their placements over a local
socket to :class:`WriterServer`, which feeds them to one :class:`GroupCommitter` (the same
batching, the same transaction, the same answers) and sends each answer back.
:class:`RemoteCommitter` is the server processes' side: it has the committer's interface, so
the order desk does not know where its orders are written.

The wire: frames of a 4-byte big-endian length and a msgpack body. A server process sends a
list of :class:`WirePlacement` (all that its requests submitted since the last send); the
writer answers with a list of :class:`WireResult`, in any order, matched by ``n``. A batch that
failed answers each of its placements with ``failure`` set: nothing of it was written.

If the writer goes away while placements are on the wire, they fail with
:class:`OrderWriterUnavailable` (the API answers 503: retry with the same Idempotency-Key,
which returns the order if it was in fact written). The next placement connects again.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import struct
from collections.abc import Callable
from typing import cast

import msgspec

from megasale.domain.errors import PlacementRejected
from megasale.domain.orders import ClientContext, Order, OrderLine, OrderStatus, Pickup, Shipping
from megasale.domain.times import from_micros, to_micros
from megasale.services.group_commit import GroupCommitter
from megasale.services.ports import Placement, PlacementResult, StoredResponse

__all__ = [
    "OrderWriterUnavailable",
    "RemoteCommitter",
    "WirePlacement",
    "WireResult",
    "WriterServer",
    "from_wire",
    "socket_path",
    "to_wire",
]

Render = Callable[[Order | PlacementRejected], StoredResponse]

_LENGTH = struct.Struct(">I")
#: the largest frame either side accepts (a batch of 512 orders is well under 1 MiB)
MAX_FRAME_BYTES = 64 * 1024 * 1024


class OrderWriterUnavailable(RuntimeError):
    """The order writer could not be reached, or went away before it answered."""


class WireOrder(msgspec.Struct, array_like=True, frozen=True):
    order_id: str
    buyer_id: str
    shop_id: str
    promotion_id: str
    #: per line: sku, category, quantity, unit price, amount, subsidy
    lines: list[tuple[str, str, int, int, int, int]]
    pickup_store_id: str | None
    ship_address: str | None
    ip: str
    device_id: str | None
    payment_id: str | None
    placed_at_us: int


class WirePlacement(msgspec.Struct, array_like=True, frozen=True):
    n: int  # the sender's number for it, echoed in the answer
    order: WireOrder
    idempotency_key: str
    request_hash: bytes


class WireResult(msgspec.Struct, array_like=True, frozen=True):
    n: int
    status: int | None = None
    body: bytes | None = None
    accepted: bool = False
    replayed: bool = False
    key_reused: bool = False
    failure: str | None = None  # the batch failed: nothing of it was written


def to_wire(n: int, placement: Placement) -> WirePlacement:
    o = placement.order
    if o.status is not OrderStatus.PLACED or o.received_at is not None:
        raise ValueError(f"order {o.order_id} is not a new order")
    f = o.fulfilment
    return WirePlacement(
        n,
        WireOrder(
            o.order_id,
            o.buyer_id,
            o.shop_id,
            o.promotion_id,
            [
                (x.sku_id, x.category, x.quantity, x.unit_price_fen, x.amount_fen, x.subsidy_fen)
                for x in o.lines
            ],
            f.store_id if isinstance(f, Pickup) else None,
            f.address if isinstance(f, Shipping) else None,
            o.client.ip,
            o.client.device_id,
            o.client.payment_id,
            to_micros(o.placed_at),
        ),
        placement.idempotency_key,
        placement.request_hash,
    )


def from_wire(wire: WirePlacement, render: Render) -> Placement:
    w = wire.order
    if w.pickup_store_id is not None:
        fulfilment: Pickup | Shipping = Pickup(w.pickup_store_id)
    elif w.ship_address is not None:
        fulfilment = Shipping(w.ship_address)
    else:
        raise ValueError(f"order {w.order_id} has neither a pickup store nor an address")
    order = Order(
        order_id=w.order_id,
        buyer_id=w.buyer_id,
        shop_id=w.shop_id,
        promotion_id=w.promotion_id,
        lines=tuple(OrderLine(*line) for line in w.lines),
        fulfilment=fulfilment,
        client=ClientContext(w.ip, w.device_id, w.payment_id),
        placed_at=from_micros(w.placed_at_us),
    )
    return Placement(order, wire.idempotency_key, wire.request_hash, render)


def socket_path(address: str) -> str:
    """The ``AF_UNIX`` path of an address: ``@name`` is ``name`` in the abstract namespace."""
    return "\0" + address[1:] if address.startswith("@") else address


async def _connect_unix(address: str, protocol: _Frames) -> asyncio.Transport:
    # connected by hand: uvloop's create_unix_connection refuses abstract addresses (EINVAL)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, socket_path(address))
        transport, _ = await loop.create_unix_connection(lambda: protocol, sock=sock)
    except BaseException:
        sock.close()
        raise
    return transport


class _Frames(asyncio.Protocol):
    """One connection's frames, each handed to ``on_frame`` as soon as it has arrived whole.

    A ``StreamReader`` would wake a reading task instead, and the task runs a turn of the event
    loop later: in a busy server process a turn is 2-3 ms of other requests' work, and each
    answer waited for one more (measured at 30,000/s offered: 10.6-15.4 ms from sending
    placements to reading their answers, of which the writer process accounted for 6-9).
    ``on_frame`` raising ``ValueError`` or a msgpack error closes the connection, and so does
    ``accept`` returning false when the connection is made.
    """

    def __init__(
        self,
        on_frame: Callable[[bytes], None],
        on_lost: Callable[[str], None],
        *,
        accept: Callable[[_Frames], bool] | None = None,
    ) -> None:
        self._on_frame = on_frame
        self._on_lost = on_lost
        self._accept = accept
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._why = "the connection closed before it answered"
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def transport(self) -> asyncio.Transport:
        assert self._transport is not None, "not connected yet"
        return self._transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        if self._accept is not None and not self._accept(self):
            transport.close()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        start = 0
        try:
            while len(buffer) - start >= _LENGTH.size:
                (length,) = _LENGTH.unpack_from(buffer, start)
                if length > MAX_FRAME_BYTES:
                    raise ValueError(
                        f"a frame of {length} bytes is over the limit of {MAX_FRAME_BYTES}"
                    )
                end = start + _LENGTH.size + length
                if len(buffer) < end:
                    break
                self._on_frame(bytes(buffer[start + _LENGTH.size : end]))
                start = end
        except (ValueError, msgspec.DecodeError) as exc:
            self._why = f"the connection broke: {exc}"
            buffer.clear()
            if self._transport is not None:
                self._transport.close()
            return
        del buffer[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._why = f"the connection broke: {exc}"
        elif self._buffer:
            self._why = "the connection closed in the middle of a frame"
        self._on_lost(self._why)
        if not self.closed.done():
            self.closed.set_result(None)


def _result_of(wire: WireResult) -> PlacementResult:
    response = None if wire.status is None else StoredResponse(wire.status, wire.body or b"")
    return PlacementResult(response, wire.accepted, wire.replayed, wire.key_reused)


def _frame(body: bytes) -> bytes:
    return _LENGTH.pack(len(body)) + body


_encode = msgspec.msgpack.Encoder().encode
_decode_placements = msgspec.msgpack.Decoder(list[WirePlacement]).decode
_decode_results = msgspec.msgpack.Decoder(list[WireResult]).decode


class WriterServer:
    """The writer's side: placements from any number of connections into one committer.

    ``address`` is a Unix socket path, or ``@name`` for ``name`` in Linux's abstract
    namespace (no file to leave behind).
    """

    def __init__(self, committer: GroupCommitter, render: Render, address: str) -> None:
        self._committer = committer
        self._render = render
        self.address = address
        self._server: asyncio.AbstractServer | None = None
        self._unanswered: set[asyncio.Future[list[PlacementResult]]] = set()
        self._clients: dict[asyncio.BaseTransport, _Frames] = {}

    async def start(self) -> None:
        await self._committer.start()
        self._server = await asyncio.get_running_loop().create_unix_server(
            self._connected, path=socket_path(self.address)
        )

    async def stop(self) -> None:
        """Stop taking placements; answer those already taken, hang up, stop the committer."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        if self._unanswered:
            await asyncio.wait(set(self._unanswered))
        for transport in list(self._clients):
            transport.close()  # the sender fails what it sends from now on, and connects again
        if self._clients:
            await asyncio.wait([frames.closed for frames in self._clients.values()])
        await self._committer.stop()

    def _connected(self) -> _Frames:
        """A new connection's protocol: its frames are read as they arrive."""
        frames: _Frames

        def placed(body: bytes) -> None:
            self._placed(frames, body)

        def lost(_why: str) -> None:
            # a broken or garbled connection: its sender fails what it sent and reconnects
            self._clients.pop(frames.transport, None)

        frames = _Frames(placed, lost, accept=self._admit)
        return frames

    def _admit(self, frames: _Frames) -> bool:
        if not _same_user(frames.transport):  # placements name any buyer: only our processes
            return False
        self._clients[frames.transport] = frames
        return True

    def _placed(self, frames: _Frames, body: bytes) -> None:
        if self._server is None:  # stopping: its sender fails it when the connection closes
            return
        transport = frames.transport
        wires = _decode_placements(body)
        # answered as their batch commits; meanwhile the next frames are read
        try:
            results = self._committer.enqueue([from_wire(w, self._render) for w in wires])
        except Exception as exc:  # a placement that makes no order, or no committer
            transport.write(_frame(_encode(_failed(wires, exc))))
            return
        self._unanswered.add(results)
        results.add_done_callback(functools.partial(self._answer, transport, wires))

    def _answer(
        self,
        transport: asyncio.WriteTransport,
        wires: list[WirePlacement],
        results: asyncio.Future[list[PlacementResult]],
    ) -> None:
        self._unanswered.discard(results)
        if transport.is_closing():
            return
        if results.cancelled() or results.exception() is not None:
            failure = results.exception() or RuntimeError("the order writer stopped")
            transport.write(_frame(_encode(_failed(wires, failure))))
            return
        answers = []
        for w, r in zip(wires, results.result(), strict=True):
            status = None if r.response is None else r.response.status
            body = None if r.response is None else r.response.body
            answers.append(WireResult(w.n, status, body, r.accepted, r.replayed, r.key_reused))
        transport.write(_frame(_encode(answers)))


def _same_user(transport: asyncio.BaseTransport) -> bool:
    """Whether the peer of a Unix connection runs as this process's user (Linux; elsewhere the
    socket's folder, which only this user can enter, is the guard)."""
    sock = transport.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return True
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
    _pid, uid, _gid = _CREDENTIALS.unpack(creds)
    return bool(uid == os.getuid())


_CREDENTIALS = struct.Struct("3i")


def _failed(wires: list[WirePlacement], exc: BaseException) -> list[WireResult]:
    """Each placement's answer when their batch failed: nothing of it was written."""
    message = f"{type(exc).__name__}: {exc}"
    return [WireResult(w.n, failure=message) for w in wires]


class RemoteCommitter:
    """A server process's committer whose placements the writer process writes.

    Placements submitted in one turn of the event loop go in one frame; answers resolve their
    callers as they arrive. ``connect_timeout_s`` bounds how long a placement waits for the
    writer to accept a connection (at start, or while a new writer takes over).
    """

    def __init__(self, address: str, *, connect_timeout_s: float = 10.0) -> None:
        self.address = address
        self.connect_timeout_s = connect_timeout_s
        self._transport: asyncio.Transport | None = None
        self._frames: _Frames | None = None
        self._on_wire: set[int] = set()  # sent on the current connection, not answered yet
        self._connecting: asyncio.Lock | None = None
        self._waiting: dict[int, asyncio.Future[PlacementResult]] = {}
        self._outbox: list[WirePlacement] = []
        self._flush_due = False
        self._next = 0

    async def start(self) -> None:
        self._connecting = asyncio.Lock()
        await self._connect()

    async def stop(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None and self._frames is not None:
            transport.close()
            await self._frames.closed
        self._fail_all("the order writer connection was closed")

    async def submit(self, placement: Placement) -> PlacementResult:
        if self._transport is None or self._transport.is_closing():
            await self._connect()
        loop = asyncio.get_running_loop()
        self._next += 1
        future: asyncio.Future[PlacementResult] = loop.create_future()
        self._waiting[self._next] = future
        self._outbox.append(to_wire(self._next, placement))
        if not self._flush_due:  # sent once this turn of the loop has submitted all it will
            self._flush_due = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_due = False
        outbox, self._outbox = self._outbox, []
        if not outbox:
            return
        transport = self._transport
        if transport is None or transport.is_closing():
            self._fail([w.n for w in outbox], "the order writer went away")
            return
        self._on_wire.update(w.n for w in outbox)
        transport.write(_frame(_encode(outbox)))

    async def _connect(self) -> None:
        assert self._connecting is not None, "RemoteCommitter.start() was not awaited"
        async with self._connecting:
            if self._transport is not None and not self._transport.is_closing():
                return
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.connect_timeout_s
            on_wire: set[int] = set()
            frames = _Frames(
                functools.partial(self._answered, on_wire), functools.partial(self._lost, on_wire)
            )
            while True:
                try:
                    transport = await _connect_unix(self.address, frames)
                    break
                except OSError as exc:
                    if loop.time() >= deadline:
                        raise OrderWriterUnavailable(
                            f"no order writer at {self.address!r}: {exc}"
                        ) from exc
                    await asyncio.sleep(0.05)
            self._transport, self._frames, self._on_wire = transport, frames, on_wire

    def _answered(self, on_wire: set[int], body: bytes) -> None:
        """Resolve the answers of one frame."""
        for answer in _decode_results(body):
            on_wire.discard(answer.n)
            future = self._waiting.pop(answer.n, None)
            if future is None or future.done():
                continue
            if answer.failure is not None:
                future.set_exception(RuntimeError(answer.failure))
            else:
                future.set_result(_result_of(answer))

    def _lost(self, on_wire: set[int], why: str) -> None:
        """A connection ended: fail what it left unanswered."""
        if self._on_wire is on_wire:
            self._transport = None
        self._fail(list(on_wire), f"the order writer connection ended: {why}")

    def _fail(self, numbers: list[int], why: str) -> None:
        for n in numbers:
            future = self._waiting.pop(n, None)
            if future is not None and not future.done():
                future.set_exception(OrderWriterUnavailable(why))

    def _fail_all(self, why: str) -> None:
        self._fail(list(self._waiting), why)
