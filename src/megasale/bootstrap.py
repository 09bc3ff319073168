"""The composition root: the one place that picks adapters and wires the platform."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar import Litestar

from megasale.config import Settings, parse_networks
from megasale.services.clock import SystemClock
from megasale.services.platform import Platform
from megasale.services.ports import Clock
from megasale.storage.sqlite_store import SqliteStore
from megasale.web.app import create_app

__all__ = ["app_from_env", "build_app", "build_platform", "settings_to_env"]


def build_platform(settings: Settings, *, clock: Clock | None = None) -> Platform:
    """The platform over the embedded default: one SQLite file."""
    return Platform.over(SqliteStore(settings.db_path), clock or SystemClock())


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
    }


def app_from_env() -> Litestar:
    """The app factory each worker process calls when ``serve --workers N`` runs several."""
    proxies = [p for p in os.environ.get("MEGASALE_TRUSTED_PROXIES", "").split(",") if p]
    settings = Settings(
        db_path=Path(os.environ["MEGASALE_DB"]),
        trusted_proxies=parse_networks(proxies),
        max_body_bytes=int(os.environ.get("MEGASALE_MAX_BODY_BYTES", str(64 * 1024))),
    )
    return build_app(settings)


def serve(settings: Settings) -> None:
    """Run the HTTP server (uvicorn) until interrupted."""
    import uvicorn

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
