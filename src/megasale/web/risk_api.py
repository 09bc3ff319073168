"""Analysts' routes: rings with their evidence, confirm or clear; operators pay out subsidies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.params import FromPath, QueryParameter

from megasale.domain.errors import NotFound
from megasale.domain.risk import Ring, RingStatus
from megasale.services.risk import RiskDesk
from megasale.web.caller import HttpRequest, account_of, platform_of

__all__ = ["ROUTES"]


class RingOut(msgspec.Struct):
    ring_id: str
    kind: str
    score: float
    status: str
    flagged_at: datetime
    orders: int
    buyers: int
    gmv_fen: int
    subsidy_fen: int
    held_fen: int
    evidence: Any
    ruled_at: datetime | None
    ruled_by: str | None
    order_ids: list[str] | None = None
    buyer_ids: list[str] | None = None


class SubsidiesOut(msgspec.Struct):
    paid_fen: int
    held_fen: int
    forfeited_fen: int
    owed_fen: int


class PayoutOut(msgspec.Struct):
    orders: int
    paid_fen: int


def _ring_out(ring: Ring, *, full: bool) -> RingOut:
    try:
        evidence: Any = msgspec.json.decode(ring.evidence)
    except msgspec.DecodeError:
        evidence = ring.evidence.decode("utf-8", "replace")
    return RingOut(
        ring_id=ring.ring_id,
        kind=ring.kind,
        score=ring.score,
        status=ring.status.value,
        flagged_at=ring.flagged_at,
        orders=len(ring.order_ids),
        buyers=len(ring.buyer_ids),
        gmv_fen=ring.gmv_fen,
        subsidy_fen=ring.subsidy_fen,
        held_fen=ring.held_fen,
        evidence=evidence,
        ruled_at=ring.ruled_at,
        ruled_by=ring.ruled_by,
        order_ids=list(ring.order_ids) if full else None,
        buyer_ids=list(ring.buyer_ids) if full else None,
    )


def _desk(request: HttpRequest) -> RiskDesk:
    desk = platform_of(request).risk
    if desk is None:
        raise NotFound("brushing review is not set up on this server")
    return desk


@get("/v1/risk/rings", summary="Rings flagged by detection, highest score first", tags=["risk"])
async def list_rings(
    request: HttpRequest,
    status: Annotated[str | None, QueryParameter(pattern="^(flagged|confirmed|cleared)$")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[RingOut]:
    reviewer = account_of(request)
    rings = _desk(request).rings(reviewer, RingStatus(status) if status else None, limit)
    return [_ring_out(r, full=False) for r in rings]


@get(
    "/v1/risk/rings/{ring_id:str}",
    summary="A ring with its orders, buyers and evidence",
    tags=["risk"],
)
async def get_ring(request: HttpRequest, ring_id: FromPath[str]) -> RingOut:
    reviewer = account_of(request)
    return _ring_out(_desk(request).ring(reviewer, ring_id), full=True)


@post(
    "/v1/risk/rings/{ring_id:str}/confirm",
    summary="Confirm a ring: its held subsidy is forfeited and goes back to the budget",
    status_code=200,
    tags=["risk"],
)
async def confirm_ring(request: HttpRequest, ring_id: FromPath[str]) -> RingOut:
    reviewer = account_of(request)
    return _ring_out(_desk(request).confirm(reviewer, ring_id), full=True)


@post(
    "/v1/risk/rings/{ring_id:str}/clear",
    summary="Clear a ring: its held subsidy is released for payout",
    status_code=200,
    tags=["risk"],
)
async def clear_ring(request: HttpRequest, ring_id: FromPath[str]) -> RingOut:
    reviewer = account_of(request)
    return _ring_out(_desk(request).clear(reviewer, ring_id), full=True)


@get("/v1/risk/subsidies", summary="Subsidy paid, held, forfeited and owed", tags=["risk"])
async def subsidies(request: HttpRequest) -> SubsidiesOut:
    f = _desk(request).subsidies(account_of(request))
    return SubsidiesOut(f.paid_fen, f.held_fen, f.forfeited_fen, f.owed_fen)


@post(
    "/v1/operator/subsidies/payout",
    summary="Pay out the subsidy owed on received orders, except what rings hold",
    status_code=200,
    tags=["operator"],
)
async def pay_out(request: HttpRequest) -> PayoutOut:
    orders, fen = _desk(request).pay_out(account_of(request))
    return PayoutOut(orders, fen)


ROUTES = [list_rings, get_ring, confirm_ring, clear_ring, subsidies, pay_out]
