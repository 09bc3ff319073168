"""The composition root: the one place that picks adapters and wires the platform."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
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
from megasale.services.platform import Platform
from megasale.services.ports import Clock
from megasale.services.returns import RefundSweeper
from megasale.services.risk import RiskDesk
from megasale.storage.fulfilment_keys import load_key
from megasale.storage.sqlite_fulfilment import SqliteFulfilment
from megasale.storage.sqlite_risk import SqliteRisk
from megasale.storage.sqlite_store import SqliteStore
from megasale.storage.sqlite_trust_wiring import trust_over_sqlite
from megasale.web.app import create_app

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
    store = SqliteStore(settings.db_path)
    platform = Platform.over(store, clock or SystemClock())
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
    wait, and one takes over if the detecting one stops.
    """
    argv = [
        *(sys.executable, "-m", "megasale.cli", "stream-detect"),
        *("--db", str(settings.db_path), "--parent-pid", str(os.getpid())),
    ]
    platform.background.append(ChildProcess(argv))


def detection_runner(settings: Settings) -> tuple[StreamRunner, Path]:
    """The streaming detector over ``settings``' database, and the lock file that elects it."""
    store = SqliteStore(settings.db_path)
    desk = RiskDesk(SqliteRisk(store.db), SystemClock())
    runner = StreamRunner(store, desk.flag, store.opened_at, desk.known_rings)
    return runner, Path(str(settings.db_path) + ".detector.lock")


def _wire_trust(platform: Platform) -> None:
    """Real-name checks, deposits, claims, returns and search (issue 4), with the refund sweeper."""
    assert isinstance(platform.store, SqliteStore)
    platform.trust = trust_over_sqlite(platform.store, platform.catalog, platform.clock)
    platform.background.append(RefundSweeper(platform.trust.returns))


def _wire_fulfilment(platform: Platform, settings: Settings) -> None:
    """Pickup codes, shipments and the backlog (issue 5), with their worker."""
    assert isinstance(platform.store, SqliteStore)
    config = FulfilmentSettings.from_env(os.environ)
    platform.fulfilment = Fulfilment(
        SqliteFulfilment(platform.store.db),
        platform.store,
        platform.clock,
        fulfilment_key=load_key(settings.db_path, "fulfilment"),
        policy=config.policy,
        webhook_tolerance=config.webhook_tolerance,
    )
    platform.background.append(
        FulfilmentWorker(platform.fulfilment, interval_s=config.worker_interval_s)
    )


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
        "MEGASALE_CONSUMERS": "all" if settings.consumers else "none",
    }


def app_from_env() -> Litestar:
    """The app factory each worker process calls when ``serve --workers N`` runs several."""
    proxies = [p for p in os.environ.get("MEGASALE_TRUSTED_PROXIES", "").split(",") if p]
    settings = Settings(
        db_path=Path(os.environ["MEGASALE_DB"]),
        trusted_proxies=parse_networks(proxies),
        max_body_bytes=int(os.environ.get("MEGASALE_MAX_BODY_BYTES", str(64 * 1024))),
        streaming_detection=os.environ.get("MEGASALE_STREAMING_DETECTION", "1") != "0",
        consumers=os.environ.get("MEGASALE_CONSUMERS", "all") != "none",
    )
    return build_app(settings)


def serve(settings: Settings) -> None:
    """Run the HTTP server (uvicorn) until interrupted."""
    import uvicorn

    # The order writer, the event-log consumers and the event loop share one interpreter lock;
    # a thread that waits for it after an SQLite call would wait up to the default 5 ms.
    sys.setswitchinterval(0.0005)

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
    if settings.workers > 1:
        os.environ.update(settings_to_env(settings))
        uvicorn.run(
            "megasale.bootstrap:app_from_env", factory=True, workers=settings.workers, **options
        )
    else:
        uvicorn.run(build_app(settings), **options)
