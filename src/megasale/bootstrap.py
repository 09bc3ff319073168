"""The composition root: the one place that picks adapters and wires the platform."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from litestar import Litestar

from megasale.brushing.stream_runner import StreamRunner
from megasale.config import Settings, parse_networks
from megasale.live.setup import LiveSettings, cached_badges, follow_sale
from megasale.services.child_process import ChildProcess
from megasale.services.clock import SystemClock
from megasale.services.fulfilment import Fulfilment
from megasale.services.fulfilment_config import FulfilmentSettings
from megasale.services.fulfilment_worker import FulfilmentWorker
from megasale.services.group_commit import GroupCommitter
from megasale.services.order_writer import RemoteCommitter, WriterServer, socket_path
from megasale.services.placement import Committer
from megasale.services.platform import Platform, settle_heap
from megasale.services.ports import Clock
from megasale.services.returns import RefundSweeper
from megasale.services.risk import RiskDesk
from megasale.storage.fulfilment_keys import load_key
from megasale.storage.sqlite_fulfilment import SqliteFulfilment
from megasale.storage.sqlite_risk import SqliteRisk
from megasale.storage.sqlite_store import SqliteStore
from megasale.storage.sqlite_trust_wiring import trust_over_sqlite
from megasale.web.app import create_app
from megasale.web.orders_api import render_placement

__all__ = [
    "app_from_env",
    "build_app",
    "build_platform",
    "detection_runner",
    "pseudonym_key",
    "settings_to_env",
]


def build_platform(settings: Settings, *, clock: Clock | None = None) -> Platform:
    """The platform over the embedded default: one SQLite file."""
    address = settings.order_writer_address
    # with an order writer, most writes are its own and so is the WAL's checkpointing: a
    # checkpointer here would copy pages on the serving process's cores
    store = SqliteStore(settings.db_path, checkpoint=not address)
    committer: Committer = (
        RemoteCommitter(address)
        if address
        else GroupCommitter(store.take_orders, batch_wait_s=settings.batch_wait_s)
    )
    platform = Platform.over(store, clock or SystemClock(), committer=committer)
    platform.risk = RiskDesk(SqliteRisk(store.db), platform.clock)
    _wire_fulfilment(platform, settings)
    _wire_trust(platform)
    if not settings.consumers:  # an API-only server: another process consumes the log
        platform.background.clear()
        return platform
    live_settings = LiveSettings.from_env(os.environ)
    if live_settings.enabled:
        assert platform.trust is not None
        platform.live = follow_sale(
            platform.store,
            platform.clock,
            live_settings,
            has_badge=cached_badges(platform.trust.badges_of),
        )
        platform.background.append(platform.live)
    if settings.streaming_detection:
        _wire_detection(platform, store, settings)
    return platform


def _wire_detection(platform: Platform, store: SqliteStore, settings: Settings) -> None:
    """Streaming brushing detection (issue 3): rings to the review desk as orders arrive.

    It runs in a child process (``megasale stream-detect``), so that its detection passes never
    hold this process's interpreter lock while requests wait. Only one process per database
    detects (a lock file beside it decides): with several server processes the others' children
    wait, and one takes over if the detecting one stops. It runs at ``detector_nice``: when the
    cores are short, orders come first and detection lags until the burst has passed.
    """
    platform.background.append(
        _child_command("stream-detect", settings, "--nice", str(settings.detector_nice))
    )


def _child_command(command: str, settings: Settings, *extra: str) -> ChildProcess:
    """``megasale <command>`` over ``settings``' database as a child of this process, which it
    outlives by no more than a moment (``--parent-pid``)."""
    argv = [
        *(sys.executable, "-m", "megasale.cli", command),
        *("--db", str(settings.db_path), "--parent-pid", str(os.getpid())),
        *extra,
    ]
    return ChildProcess(argv)


def detection_runner(settings: Settings, *, checkpoint: bool = True) -> tuple[StreamRunner, Path]:
    """The streaming detector over ``settings``' database, and the lock file that elects it.

    ``checkpoint=False`` (a child of ``serve``, whose writers checkpoint the WAL) runs no
    checkpointer here: it would copy the same pages, and at a lower priority it could be
    preempted while holding the writers' lock for a log restart, stalling the order writer."""
    store = SqliteStore(settings.db_path, checkpoint=checkpoint)
    desk = RiskDesk(SqliteRisk(store.db), SystemClock())
    runner = StreamRunner(store, desk.flag, store.opened_at, desk.known_rings, freeze_state=True)
    return runner, Path(str(settings.db_path) + ".detector.lock")


def _wire_trust(platform: Platform) -> None:
    """Real-name checks, deposits, claims, returns and search (issue 4), with the refund sweeper."""
    assert isinstance(platform.store, SqliteStore)
    platform.trust = trust_over_sqlite(platform.store, platform.catalog, platform.clock)
    platform.background.append(RefundSweeper(platform.trust.returns))


def _wire_fulfilment(platform: Platform, settings: Settings) -> None:
    """Pickup codes, shipments and the backlog (issue 5), with their worker: a thread of this
    process, or with ``fulfilment_process`` a child process (``megasale fulfilment-worker``)."""
    assert isinstance(platform.store, SqliteStore)
    config = FulfilmentSettings.from_env(os.environ)
    platform.fulfilment = _fulfilment_over(platform.store, platform.clock, settings, config)
    if settings.fulfilment_process:
        platform.background.append(_child_command("fulfilment-worker", settings))
    else:
        worker = FulfilmentWorker(platform.fulfilment, interval_s=config.worker_interval_s)
        platform.background.append(worker)


def _fulfilment_over(
    store: SqliteStore, clock: Clock, settings: Settings, config: FulfilmentSettings
) -> Fulfilment:
    return Fulfilment(
        SqliteFulfilment(store.db),
        store,
        clock,
        fulfilment_key=load_key(settings.db_path, "fulfilment"),
        policy=config.policy,
        webhook_tolerance=config.webhook_tolerance,
    )


def fulfilment_worker(
    settings: Settings, *, checkpoint: bool = True
) -> tuple[FulfilmentWorker, SqliteStore, Path]:
    """For ``megasale fulfilment-worker``: the worker over ``settings``' database, its store,
    and the lock file that elects one such process per database.

    ``checkpoint=False`` (a child of ``serve``) runs no checkpointer here: the process that
    writes the orders does (the order writer, or each server process that writes its own).
    Run alone, the worker checkpoints its own writes, or the WAL would grow without bound.
    """
    store = SqliteStore(settings.db_path, checkpoint=checkpoint)
    config = FulfilmentSettings.from_env(os.environ)
    fulfilment = _fulfilment_over(store, SystemClock(), settings, config)
    worker = FulfilmentWorker(fulfilment, interval_s=config.worker_interval_s)
    return worker, store, Path(str(settings.db_path) + ".fulfilment.lock")


def pseudonym_key(settings: Settings) -> bytes:
    """The key of ``export-orders``' pseudonyms: ``MEGASALE_PSEUDONYM_KEY`` or a key file."""
    return load_key(settings.db_path, "pseudonym")


def build_app(settings: Settings, *, clock: Clock | None = None) -> Litestar:
    platform = build_platform(settings, clock=clock)
    app = create_app(platform, settings)
    app.on_shutdown.append(_closer(platform))
    return app


def _closer(platform: Platform) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        platform.store.close()

    return close


def settings_to_env(settings: Settings) -> dict[str, str]:
    """What :func:`app_from_env` needs, for server processes started by uvicorn's supervisor."""
    return {
        "MEGASALE_DB": str(settings.db_path),
        "MEGASALE_TRUSTED_PROXIES": ",".join(str(n) for n in settings.trusted_proxies),
        "MEGASALE_MAX_BODY_BYTES": str(settings.max_body_bytes),
        "MEGASALE_STREAMING_DETECTION": "1" if settings.streaming_detection else "0",
        "MEGASALE_DETECTOR_NICE": str(settings.detector_nice),
        "MEGASALE_CONSUMERS": "all" if settings.consumers else "none",
        "MEGASALE_FULFILMENT_PROCESS": "1" if settings.fulfilment_process else "0",
        "MEGASALE_ORDER_WRITER_ADDRESS": settings.order_writer_address or "",
        "MEGASALE_BATCH_WAIT_S": repr(settings.batch_wait_s),
    }


#: A worker that dies sooner than this after it started is a configuration error, not a crash.
WORKER_MIN_LIFE_S = 5.0
#: How long a worker may take to shut down gracefully before it is killed.
WORKER_STOP_S = 15.0
#: The order writer, the event-log consumers and the event loop share one interpreter lock; a
#: thread that waits for it after an SQLite call would wait up to the default 5 ms. The writer
#: holds the database's write lock while it waits, so every wait also stalls the other server
#: processes' writers: with two workers at saturation, 0.5 ms gave 4,355-4,440 orders/s and
#: 0.1 ms 4,824-5,202 (bench_orders.py --workers 2 --rate 12000, alternated).
SWITCH_INTERVAL_S = float(os.environ.get("MEGASALE_SWITCH_INTERVAL_S", "0.0001"))


def app_from_env() -> Litestar:
    """The app factory each worker process calls when ``serve --workers N`` runs several."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # each worker is a fresh interpreter
    proxies = [p for p in os.environ.get("MEGASALE_TRUSTED_PROXIES", "").split(",") if p]
    settings = Settings(
        db_path=Path(os.environ["MEGASALE_DB"]),
        trusted_proxies=parse_networks(proxies),
        max_body_bytes=int(os.environ.get("MEGASALE_MAX_BODY_BYTES", str(64 * 1024))),
        streaming_detection=os.environ.get("MEGASALE_STREAMING_DETECTION", "1") != "0",
        detector_nice=int(os.environ.get("MEGASALE_DETECTOR_NICE", str(Settings.detector_nice))),
        consumers=os.environ.get("MEGASALE_CONSUMERS", "all") != "none",
        fulfilment_process=os.environ.get("MEGASALE_FULFILMENT_PROCESS", "0") == "1",
        order_writer_address=os.environ.get("MEGASALE_ORDER_WRITER_ADDRESS") or None,
        batch_wait_s=float(os.environ.get("MEGASALE_BATCH_WAIT_S", repr(Settings.batch_wait_s))),
    )
    return build_app(settings)


def serve(settings: Settings) -> None:
    """Run the HTTP server (uvicorn) until interrupted."""
    import uvicorn

    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # fulfilment in a process of its own, not in a thread of the server processes
    settings = replace(settings, fulfilment_process=True)

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": False,  # the client IP rule lives in megasale.web.caller
        "server_header": False,
        "access_log": False,
        "log_level": "warning",
        "backlog": 4096,
        "http": "httptools",
        "loop": "uvloop",
    }
    # The orders go to a writer process of their own (the default, even beside one server
    # process): a server process that also wrote them shared its interpreter lock between
    # serving requests and the writer thread's Python. One server process with the writer
    # beside it took 9,600-11,800 orders/s where the same process writing its own took
    # 6,900-7,400, and two server processes with the writer 9,400-10,500 (bench_orders.py at
    # 30,000/s offered; docs/benchmarks.md).
    if settings.workers > 1 or settings.order_writer == "shared":
        with contextlib.ExitStack() as stack:
            writer = None
            if settings.order_writer == "shared":
                writer = stack.enter_context(_writer_address())
                settings = replace(settings, order_writer_address=writer)
            os.environ.update(settings_to_env(settings))
            db_path = settings.db_path if writer else None
            _supervise(settings.workers, options, db_path, writer, settings.batch_wait_s)
    else:
        uvicorn.run(build_app(settings), **options)


def _listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket of its own for one worker, sharing the port with the others.

    With ``SO_REUSEPORT`` the kernel spreads new connections over the workers' sockets by a
    hash of the connection; with one socket shared by all (uvicorn's ``--workers``) whichever
    worker wakes first takes the connection, and a load generator's 128 keep-alive
    connections were seen split 90 to 38, so one worker saturated while the other idled.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def _die_with(supervisor: int, signo: int) -> None:
    """Have the kernel send this process ``signo`` when its supervisor dies, however it dies
    (Linux): killed with SIGKILL, the supervisor cannot stop its processes, and an orphaned
    worker would go on taking connections on the port beside its successor's, an orphaned
    writer on holding the database."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signo)
    if os.getppid() != supervisor:  # it died before the request was made
        os.kill(os.getpid(), signo)


_PR_SET_PDEATHSIG = 1


def _worker(options: dict[str, Any], supervisor: int) -> None:
    """One server process of ``serve`` under its supervisor (a fresh interpreter: spawned)."""
    import uvicorn

    # A worker goes the way of its supervisor: killed with it. Shutting down gracefully, it
    # kept a live screen's event stream open for as long as the page stayed (uvicorn waits for
    # open responses), so the page never went over to the server started in its place.
    _die_with(supervisor, signal.SIGKILL)

    sock = _listening_socket(options["host"], options["port"], options["backlog"])
    config = uvicorn.Config("megasale.bootstrap:app_from_env", factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def _writer_address() -> Iterator[str]:
    """A fresh socket path for the shared order writer, in a directory only this user can
    enter (an abstract socket would take connections from any local user), removed after."""
    folder = tempfile.mkdtemp(prefix="megasale-writer-")  # mode 0700
    try:
        yield str(Path(folder) / "orders.sock")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _order_writer(db_path: str, address: str, supervisor: int, batch_wait_s: float) -> None:
    """The order writer of ``serve``'s server processes (a fresh interpreter: spawned)."""
    import uvloop

    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # Ctrl-C reaches the whole process group: the writer goes on until the workers have
    # answered their last requests, and the supervisor then stops it with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if uvloop.run(_write_orders_until_stopped(Path(db_path), address, supervisor, batch_wait_s)):
        shutil.rmtree(Path(address).parent, ignore_errors=True)  # nobody else will now


#: the signal the order writer gets when its supervisor dies (SIGTERM when it stops it)
_ORPHANED = signal.SIGHUP


async def _write_orders_until_stopped(
    db_path: Path, address: str, supervisor: int, batch_wait_s: float
) -> bool:
    """Write orders until SIGTERM (the supervisor stops it) or the supervisor dies; ``True``
    in the second case."""
    store = SqliteStore(db_path)
    # the loop of this process only reads placements and sends answers: batches run on it
    committer = GroupCommitter(store.take_orders, inline=True, batch_wait_s=batch_wait_s)
    server = WriterServer(committer, render_placement, address)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    orphaned = False

    def stop(signo: int, _frame: object) -> None:
        nonlocal orphaned
        orphaned = orphaned or signo == _ORPHANED
        # left in place after the loop ends: a second signal must not end the process
        # mid-cleanup, as the default action would
        with contextlib.suppress(RuntimeError):  # the loop closed: stopping already
            loop.call_soon_threadsafe(stopped.set)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(_ORPHANED, stop)
    _die_with(supervisor, _ORPHANED)
    settle_heap()
    await server.start()
    try:
        await stopped.wait()
    finally:
        await server.stop()
        store.close()
    return orphaned


def _wait_for_writer(process: BaseProcess, address: str, timeout_s: float = 30.0) -> None:
    """Return once the writer at ``address`` takes connections; exit if it died first."""
    deadline = time.monotonic() + timeout_s
    while True:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(socket_path(address))
                return
            except OSError:
                pass
        if not process.is_alive():
            raise SystemExit(
                f"the order writer exited with status {process.exitcode} right after it "
                "started; see its error above"
            )
        if time.monotonic() > deadline:
            raise SystemExit(f"the order writer did not listen within {timeout_s:.0f} s")
        time.sleep(0.05)


def _supervise(
    workers: int,
    options: dict[str, Any],
    db_path: Path | None = None,
    writer_address: str | None = None,
    batch_wait_s: float = Settings.batch_wait_s,
) -> None:
    """Run ``workers`` server processes (and with ``writer_address``, the order writer they
    share, letting its batches fill for ``batch_wait_s``) until SIGINT or SIGTERM; replace any
    process that dies.

    A process that dies within its first seconds (the port is taken, the database cannot be
    opened) stops the whole server instead of being restarted in a loop. At the end the
    workers stop first, then the writer, so that every order they took is answered.
    """
    # fail here, before any worker starts, if the port is not ours to share
    _listening_socket(options["host"], options["port"], options["backlog"]).close()
    spawn = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signal: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started: dict[str, tuple[BaseProcess, float]] = {}

    def start(slot: str) -> None:
        if slot == "writer":
            process = spawn.Process(
                target=_order_writer,
                args=(str(db_path), writer_address, os.getpid(), batch_wait_s),
                name="megasale-order-writer",
            )
        else:
            process = spawn.Process(
                target=_worker, args=(options, os.getpid()), name=f"megasale-{slot}"
            )
        process.start()
        started[slot] = (process, time.monotonic())

    try:
        if writer_address is not None:
            start("writer")
        for n in range(workers):  # they start beside the writer; each waits to connect to it
            start(f"worker-{n}")
        if writer_address is not None:
            _wait_for_writer(started["writer"][0], writer_address)
        while not stopping:
            time.sleep(0.2)
            for slot, (process, since) in list(started.items()):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - since < WORKER_MIN_LIFE_S:
                    raise SystemExit(
                        f"server {slot} exited with status {process.exitcode} right "
                        "after it started; see its error above"
                    )
                print(
                    f"megasale: {slot} exited with status {process.exitcode}; starting another",
                    file=sys.stderr,
                )
                start(slot)
    finally:
        writer = started.pop("writer", None)
        _stop_all([process for process, _ in started.values()])
        if writer is not None:
            _stop_all([writer[0]])
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_all(processes: list[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: each shuts down gracefully
    for process in processes:
        process.join(WORKER_STOP_S)
        if process.is_alive():
            process.kill()
            process.join()
