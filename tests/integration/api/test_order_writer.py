"""The shared order writer: server processes hand their placements to one writer over a socket.

Two platforms over one SQLite file stand for two server workers; each places orders through a
``RemoteCommitter`` to a ``WriterServer`` on a real Unix socket (Linux's abstract namespace).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import struct
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.domain.errors import IdempotencyKeyReused
from megasale.domain.orders import (
    ClientContext,
    Order,
    OrderLine,
    OrderRequest,
    Pickup,
    RequestedLine,
    Shipping,
)
from megasale.services.group_commit import GroupCommitter, writer_mode
from megasale.services.order_writer import (
    MAX_FRAME_BYTES,
    OrderWriterUnavailable,
    WriterServer,
    _frame,
    _Frames,
    from_wire,
    socket_path,
    to_wire,
)
from megasale.services.platform import Platform
from megasale.services.ports import Account, Placement, StoredResponse
from megasale.sim.seed import Seeded, SeedPlan, seed_platform
from megasale.web.orders_api import render_placement


def _order(fulfilment: Pickup | Shipping) -> Order:
    return Order(
        order_id="o-1",
        buyer_id="b-1",
        shop_id="shop-01",
        promotion_id="promo-1",
        lines=(
            OrderLine("sku-0001", "tv", 2, 300_000, 600_000, 20_000),
            OrderLine("sku-0002", "fridge", 1, 250_000, 250_000, 0),
        ),
        fulfilment=fulfilment,
        client=ClientContext("10.1.2.3", None, "card-9"),
        placed_at=datetime(2026, 11, 11, 0, 0, 1, 123456, tzinfo=UTC),
    )


@pytest.mark.parametrize("fulfilment", [Pickup("st-bj-01"), Shipping("1 Long St, Beijing")])
def test_a_placement_crosses_the_wire_unchanged(fulfilment: Pickup | Shipping) -> None:
    placement = Placement(_order(fulfilment), "key-1", b"\x00" * 32, render_placement)
    back = from_wire(to_wire(7, placement), render_placement)
    assert back == placement
    assert back.order.amount_fen == 850_000 and back.order.subsidy_fen == 20_000


class Workers:
    """Two platforms over one file (two server workers) and the writer they share."""

    def __init__(self, tmp_path: Path, plan: SeedPlan, *, inline: bool = True) -> None:
        self.inline = inline  # as serve's writer process runs its batches, unless False
        self.db = tmp_path / "shared.db"
        self.address = f"@megasale-test-{secrets.token_hex(6)}"
        seeding = build_platform(Settings(db_path=self.db, consumers=False))
        self.seeded: Seeded = seed_platform(seeding, plan)
        seeding.store.close()
        settings = Settings(db_path=self.db, consumers=False, order_writer_address=self.address)
        self.platforms = [build_platform(settings), build_platform(settings)]
        self.writer_store = build_platform(Settings(db_path=self.db, consumers=False)).store
        self.server = self.new_server()

    def new_server(self) -> WriterServer:
        return WriterServer(
            GroupCommitter(self.writer_store.take_orders, inline=self.inline),
            render_placement,
            self.address,
        )

    def buyer(self, n: int) -> Account:
        token = self.seeded.buyers[n]["token"]
        account = self.platforms[0].accounts.authenticate(token)
        assert account is not None
        return account

    async def place(
        self, worker: int, buyer: int, key: str, sku: str = "sku-0001", qty: int = 1
    ) -> StoredResponse:
        platform = self.platforms[worker]
        account = self.buyer(buyer)
        request = OrderRequest(
            buyer_id=account.account_id,
            promotion_id=self.seeded.promotion_id,
            lines=[RequestedLine(sku, qty)],
            fulfilment=Pickup("st-bj-01"),
            client=ClientContext("10.0.0.1"),
        )
        digest = f"{sku}:{qty}".encode().ljust(32, b".")
        return await platform.desk.place_order(account, key, request, digest, render_placement)

    def close(self) -> None:
        for platform in self.platforms:
            platform.store.close()
        self.writer_store.close()


def _run(
    tmp_path: Path,
    plan: SeedPlan,
    body: Callable[[Workers], Awaitable[None]],
    *,
    inline: bool = True,
) -> None:
    workers = Workers(tmp_path, plan, inline=inline)

    async def main() -> None:
        await workers.server.start()
        for platform in workers.platforms:
            await platform.committer.start()
        try:
            await body(workers)
        finally:
            for platform in workers.platforms:
                await platform.committer.stop()
            await workers.server.stop()

    try:
        asyncio.run(main())
    finally:
        workers.close()


def _sold(platform: Platform, sku: str) -> int:
    conn = platform.store.db.connection()  # type: ignore[attr-defined]
    return int(
        conn.execute(
            "SELECT count(*) FROM order_lines WHERE sku_id = ?",
            (sku,),
        ).fetchone()[0]
    )


@pytest.mark.parametrize("inline", [True, False], ids=["batches-on-the-loop", "writer-thread"])
def test_both_workers_orders_are_written_once_and_replayed_byte_for_byte(
    tmp_path: Path, inline: bool
) -> None:
    async def body(w: Workers) -> None:
        first = await w.place(0, 0, "k-1")
        assert first.status == 201
        # the same key from the other worker: the writer finds the first answer
        again = await w.place(1, 0, "k-1")
        assert again == first
        with pytest.raises(IdempotencyKeyReused):
            await w.place(1, 0, "k-1", qty=2)
        second = await w.place(1, 1, "k-2")
        assert second.status == 201 and second.body != first.body
        assert _sold(w.platforms[0], "sku-0001") == 2

    _run(tmp_path, SeedPlan(buyers=4, skus=2, stock=10), body, inline=inline)


@pytest.mark.parametrize("inline", [True, False], ids=["batches-on-the-loop", "writer-thread"])
def test_concurrent_buyers_on_both_workers_never_oversell(tmp_path: Path, inline: bool) -> None:
    async def body(w: Workers) -> None:
        answers = await asyncio.gather(
            *(w.place(n % 2, n, f"k-{n}") for n in range(24)),
            *(w.place((n + 1) % 2, n, f"k-{n}") for n in range(24)),  # duplicates, other worker
            return_exceptions=True,
        )
        by_key: dict[str, set[tuple[int, bytes]]] = {}
        for n, answer in enumerate(answers):
            if isinstance(answer, StoredResponse):
                by_key.setdefault(f"k-{n % 24}", set()).add((answer.status, answer.body))
            else:  # the duplicate met its first in flight in the same worker: not possible here
                raise AssertionError(answer)
        assert all(len(got) == 1 for got in by_key.values())
        statuses = sorted(next(iter(got))[0] for got in by_key.values())
        assert statuses == [201] * 5 + [409] * 19
        assert _sold(w.platforms[0], "sku-0001") == 5

    _run(tmp_path, SeedPlan(buyers=24, skus=1, stock=5, limit_per_buyer=1), body, inline=inline)


@pytest.mark.parametrize("inline", [True, False], ids=["batches-on-the-loop", "writer-thread"])
def test_a_writer_that_goes_away_fails_what_it_held_and_a_new_one_takes_over(
    tmp_path: Path, inline: bool
) -> None:
    async def body(w: Workers) -> None:
        assert (await w.place(0, 0, "k-1")).status == 201
        await w.server.stop()
        with pytest.raises(OrderWriterUnavailable):
            committer = w.platforms[0].committer
            committer.connect_timeout_s = 0.2  # type: ignore[attr-defined]
            await w.place(0, 1, "k-2")
        w.server = w.new_server()
        await w.server.start()
        # the next placement connects to the new writer; the retry of k-2 is taken once
        assert (await w.place(0, 1, "k-2")).status == 201
        assert (await w.place(1, 1, "k-2")).status == 201
        assert _sold(w.platforms[0], "sku-0001") == 2

    _run(tmp_path, SeedPlan(buyers=4, skus=1, stock=10), body, inline=inline)


def test_a_garbled_connection_does_not_stop_the_writer(tmp_path: Path) -> None:
    async def body(w: Workers) -> None:
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.setblocking(False)
            await loop.sock_connect(raw, socket_path(w.address))
            await loop.sock_sendall(raw, b"\x00\x00\x00\x05hello")  # not msgpack placements
            assert await loop.sock_recv(raw, 16) == b""  # the writer hangs up on it
        assert (await w.place(0, 0, "k-1")).status == 201

    _run(tmp_path, SeedPlan(buyers=4, skus=1, stock=10), body)


def test_the_writer_hangs_up_on_another_users_process(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to run a process as another user")

    async def body(w: Workers) -> None:
        def connect_as_nobody() -> int:
            pid = os.fork()
            if pid == 0:  # the child: another user, sends a well-formed frame
                code = 1
                try:
                    os.setgid(65534)
                    os.setuid(65534)
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                        raw.settimeout(10)
                        raw.connect(socket_path(w.address))
                        try:
                            raw.sendall(b"\x00\x00\x00\x01\x90")  # an empty placement list
                            code = 0 if raw.recv(16) == b"" else 2  # hung up, nothing answered
                        except (BrokenPipeError, ConnectionResetError):  # hung up before it
                            code = 0  # read what was sent, or before anything was sent
                except BaseException as exc:
                    os.write(2, repr(exc).encode())
                finally:
                    os._exit(code)
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

        assert await asyncio.to_thread(connect_as_nobody) == 0
        assert (await w.place(0, 0, "k-1")).status == 201  # our own processes are served

    _run(tmp_path, SeedPlan(buyers=4, skus=1, stock=10), body)


def test_frames_are_read_whole_however_the_bytes_arrive() -> None:
    """Frames split across reads, and several in one read, each reach ``on_frame`` whole; a
    frame announced over the size limit closes the connection."""

    async def body() -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        theirs.setblocking(False)
        got: list[bytes] = []
        lost: list[str] = []
        frames = _Frames(got.append, lost.append)
        await loop.create_unix_connection(lambda: frames, sock=ours)
        stream = b"".join(_frame(part) for part in (b"one", b"", b"three" * 1000, b"four"))
        for i in range(0, 7):  # a byte at a time across the first frame's head and body
            await loop.sock_sendall(theirs, stream[i : i + 1])
            await asyncio.sleep(0.01)
        await loop.sock_sendall(theirs, stream[7:])  # the rest in one go
        for _ in range(200):
            if len(got) == 4:
                break
            await asyncio.sleep(0.01)
        assert got == [b"one", b"", b"three" * 1000, b"four"]
        await loop.sock_sendall(theirs, struct.pack(">I", MAX_FRAME_BYTES + 1))
        await asyncio.wait_for(frames.closed, 5)
        assert lost and "over the limit" in lost[0]
        theirs.close()

    asyncio.run(body())


def test_the_writer_mode_follows_megasale_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEGASALE_WRITER", raising=False)
    assert writer_mode(inline=True) is True and writer_mode(inline=False) is False
    monkeypatch.setenv("MEGASALE_WRITER", "thread")
    assert writer_mode(inline=True) is False
    monkeypatch.setenv("MEGASALE_WRITER", "inline")
    assert writer_mode(inline=False) is True
    monkeypatch.setenv("MEGASALE_WRITER", "threads")
    with pytest.raises(ValueError, match="MEGASALE_WRITER='threads'"):
        writer_mode(inline=True)
