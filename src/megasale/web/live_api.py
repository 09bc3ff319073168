"""The live sales screen: the page, its server-sent event stream, the snapshot, the metrics.

Who may see what:

- ``GET /live`` is the page's shell: HTML, CSS and the vendored scripts, no figures in it.
- The figures (``/live/stream``, ``/v1/operator/live``, ``/metrics``) are the operator's:
  subsidy spent, brushing alerts and per-shop sales are not for the public. A wall screen opens
  ``/live#token=<operator token>``; the page trades the token for an ``HttpOnly``,
  ``SameSite=Strict`` cookie scoped to ``/live`` (``POST /live/session``) and drops it from the
  address bar, because ``EventSource`` cannot send an ``Authorization`` header.
  Scripts and Prometheus send ``Authorization: Bearer`` instead.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import msgspec
from litestar import MediaType, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import Parameter
from litestar.response import ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from megasale.domain.errors import NotFound
from megasale.live.prometheus import CONTENT_TYPE, render_metrics
from megasale.live.runner import LiveRunner
from megasale.services.catalog import require_role
from megasale.services.ports import Account, Role
from megasale.web.caller import HttpRequest, account_of, platform_of
from megasale.web.problems import Unauthenticated

__all__ = ["COOKIE", "ROUTES"]

COOKIE = "megasale_live"
PUSH_EVERY_S = 0.25  # at least 4 frames a second; more while the figures move
RETRY_MS = 1_000
#: a stream ends after this long and the browser reconnects: a server that is asked to stop
#: waits for open streams, and a load balancer sees connections come and go
STREAM_SECONDS = 60.0


def _runner(request: HttpRequest) -> LiveRunner:
    live = platform_of(request).live
    if not isinstance(live, LiveRunner):
        raise NotFound("the live screen is not running in this process")
    return live


def _operator(request: HttpRequest, *, cookie_ok: bool = False) -> Account:
    """The operator calling, by bearer token or (for the page's stream) by the live cookie."""
    if cookie_ok and "authorization" not in request.headers:
        token = request.cookies.get(COOKIE)
        if token:
            account = platform_of(request).accounts.authenticate(token)
            if account is None:
                raise Unauthenticated("the live screen's session is not valid: sign in again")
            require_role(account, Role.OPERATOR)
            return account
    account = account_of(request)
    require_role(account, Role.OPERATOR)
    return account


@get("/live", summary="The live sales screen (a page)", tags=["live"], include_in_schema=False)
async def live_page(request: HttpRequest) -> Template:
    return Template(template_name="live.html", context={})


@post("/live/session", summary="Open the live screen in this browser", tags=["live"])
async def live_session(request: HttpRequest) -> Response[dict[str, str]]:
    account = _operator(request)
    header = request.headers["authorization"]
    token = header.partition(" ")[2].strip()
    cookie = Cookie(
        key=COOKIE,
        value=token,
        path="/live",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=24 * 3600,
    )
    return Response({"operator": account.account_id}, cookies=[cookie], status_code=200)


@get("/live/stream", summary="The live figures as server-sent events", tags=["live"])
async def live_stream(
    request: HttpRequest,
    frames: int | None = Parameter(default=None, ge=1, description="stop after this many frames"),
) -> ServerSentEvent:
    """A snapshot at least every ``PUSH_EVERY_S`` and whenever the figures move.

    Each frame's ``id`` is the snapshot's version and holds all the figures, so a browser that
    reconnects by itself (``retry``, ``Last-Event-ID``) is whole again with its first frame.
    """
    _operator(request, cookie_ok=True)
    runner = _runner(request)

    async def frames_of() -> AsyncIterator[ServerSentEventMessage]:
        data, sent = runner.snapshot_json(), 0
        ends = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < ends:
            version = runner.snapshot().version
            yield ServerSentEventMessage(
                data=data.decode(), id=version, event="snapshot", retry=RETRY_MS
            )
            sent += 1
            if frames is not None and sent >= frames:
                return
            data = await runner.next_snapshot(PUSH_EVERY_S)

    return ServerSentEvent(frames_of(), headers={"Cache-Control": "no-store"})


@get("/v1/operator/live", summary="The live figures as one JSON snapshot", tags=["operator"])
async def live_snapshot(request: HttpRequest) -> Response[bytes]:
    _operator(request)
    return Response(_runner(request).snapshot_json(), media_type=MediaType.JSON)


class SeriesOut(msgspec.Struct, frozen=True):
    """GMV and orders per second since the sale opened, for every second that had orders."""

    opens_at: str | None
    seconds: list[int]
    gmv: list[int]
    orders: list[int]


@get(
    "/v1/operator/live/series",
    summary="GMV/s and orders/s at one-second resolution for the whole sale",
    tags=["operator"],
)
async def live_series(request: HttpRequest) -> SeriesOut:
    _operator(request)
    figures = _runner(request).figures
    seconds = sorted(figures.per_second)
    rows = [figures.per_second[s] for s in seconds]
    return SeriesOut(
        opens_at=figures.opens_at.isoformat() if figures.opens_at else None,
        seconds=seconds,
        gmv=[r[0] for r in rows],
        orders=[r[1] for r in rows],
    )


@get("/metrics", summary="The live figures for Prometheus", tags=["ops"])
async def metrics(request: HttpRequest) -> Response[str]:
    _operator(request)
    return Response(render_metrics(_runner(request).snapshot()), media_type=CONTENT_TYPE)


ROUTES = [live_page, live_session, live_stream, live_snapshot, live_series, metrics]
