"""The live screen's figures at one instant, as the page, the operator and Prometheus read them.

Money is integer fen. Times are seconds since the sale opened (``elapsed_s``) or ISO 8601.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from megasale.live.aggregator import SaleFigures
from megasale.live.record import RecordToBeat

__all__ = [
    "Alert",
    "Freshness",
    "Gmv",
    "LiveSnapshot",
    "Milestone",
    "PanelRow",
    "Record",
    "build_snapshot",
]

TOP_N = 8
RECENT_SECONDS = 120


class Gmv(msgspec.Struct, frozen=True):
    gross: int
    net: int
    net_of_brushing: int
    refunded: int
    cancelled: int
    flagged: int


class Milestone(msgspec.Struct, frozen=True):
    fen: int
    elapsed_s: float


class Record(msgspec.Struct, frozen=True):
    """The record to beat; ``ahead_by`` is negative when behind.

    With a curve, ``ahead_by`` compares with the competitor at the same time since opening;
    without, with their final total.
    """

    name: str
    total: int
    minutes: list[float]
    curve: list[int]
    at_now: int | None
    ahead_by: int


class PanelRow(msgspec.Struct, frozen=True, array_like=True):
    name: str
    gmv: int
    count: int


class Alert(msgspec.Struct, frozen=True):
    ring_id: str
    kind: str
    score: float
    orders: int
    buyers: int
    gmv: int
    subsidy: int
    at: str
    evidence: str
    status: str


class Freshness(msgspec.Struct, frozen=True):
    """How far the screen is behind the newest committed event.

    ``lag_s`` runs from the newest committed event's ``recorded_at`` back to the last folded
    one's (0 when caught up); ``behind_events`` counts the events not folded yet.
    """

    newest_seq: int
    folded_seq: int
    behind_events: int
    lag_s: float
    checked_at: str


class LiveSnapshot(msgspec.Struct, frozen=True):
    version: int
    as_of: str
    opens_at: str | None
    elapsed_s: float
    gmv: Gmv
    orders: int
    cancelled_orders: int
    buyers: int
    subsidy_spent: int
    subsidy_budget: int
    gmv_per_s: int
    orders_per_s: int
    recent_start_s: int
    recent_gmv: list[int]
    recent_orders: list[int]
    curve_minutes: list[int]
    curve_gmv: list[int]
    record: Record
    milestones: list[Milestone]
    next_milestone: int
    categories: list[PanelRow]
    shops: list[PanelRow]
    cities: list[PanelRow]
    badged_gmv: int
    pickup: PanelRow
    shipping: PanelRow
    alerts: list[Alert]
    rings_open: int
    flagged_orders: int
    freshness: Freshness
    events_folded: int
    duplicates_ignored: int


def _record(record: RecordToBeat, figures: SaleFigures, elapsed_s: float) -> Record:
    at_now = record.at(elapsed_s / 60) if figures.opens_at is not None else None
    target = at_now if at_now is not None else record.total_fen
    return Record(
        name=record.name,
        total=record.total_fen,
        minutes=[m for m, _ in record.curve],
        curve=[fen for _, fen in record.curve],
        at_now=at_now,
        ahead_by=figures.gross_fen - target,
    )


def _rows(rows: list[tuple[str, int, int]]) -> list[PanelRow]:
    return [PanelRow(*row) for row in rows]


def build_snapshot(
    figures: SaleFigures,
    *,
    now: datetime,
    record: RecordToBeat,
    budget_fen: int,
    freshness: Freshness,
    version: int,
) -> LiveSnapshot:
    """The figures at ``now``: ``version`` grows with every snapshot the runner makes."""
    elapsed = (now - figures.opens_at).total_seconds() if figures.opens_at else 0.0
    elapsed = max(0.0, elapsed)
    start, recent_gmv, recent_orders = figures.recent(now, RECENT_SECONDS)
    last_full = figures.per_second.get(figures.second_now(now) - 1, [0, 0])
    minutes, totals = figures.curve()
    pickup, shipping = figures.fulfilment["pickup"], figures.fulfilment["shipping"]
    return LiveSnapshot(
        version=version,
        as_of=now.isoformat(),
        opens_at=figures.opens_at.isoformat() if figures.opens_at else None,
        elapsed_s=round(elapsed, 3),
        gmv=Gmv(
            gross=figures.gross_fen,
            net=figures.net_fen,
            net_of_brushing=figures.net_of_brushing_fen,
            refunded=figures.refunded_fen,
            cancelled=figures.cancelled_fen,
            flagged=figures.flagged_net_fen,
        ),
        orders=figures.orders,
        cancelled_orders=figures.cancelled_orders,
        buyers=len(figures.buyers),
        subsidy_spent=figures.subsidy_spent_fen,
        subsidy_budget=budget_fen,
        gmv_per_s=last_full[0],
        orders_per_s=last_full[1],
        recent_start_s=start,
        recent_gmv=recent_gmv,
        recent_orders=recent_orders,
        curve_minutes=minutes,
        curve_gmv=totals,
        record=_record(record, figures, elapsed),
        milestones=[Milestone(fen, round(at, 3)) for fen, at in figures.reached],
        next_milestone=figures.next_milestone_fen,
        categories=_rows(figures.top(figures.categories, TOP_N)),
        shops=_rows(figures.top(figures.shops, TOP_N)),
        cities=_rows(figures.top(figures.cities, TOP_N)),
        badged_gmv=figures.badged_fen,
        pickup=PanelRow("pickup", pickup[0], pickup[1]),
        shipping=PanelRow("shipping", shipping[0], shipping[1]),
        alerts=[
            Alert(
                ring_id=r.ring_id,
                kind=r.kind,
                score=r.score,
                orders=len(r.orders),
                buyers=r.buyers,
                gmv=r.gmv_fen,
                subsidy=r.subsidy_fen,
                at=r.flagged_at,
                evidence=r.evidence,
                status=r.status,
            )
            for r in figures.alerts.latest()
        ],
        rings_open=figures.alerts.count("flagged"),
        flagged_orders=figures.flagged_orders,
        freshness=freshness,
        events_folded=figures.events_folded,
        duplicates_ignored=figures.duplicates_ignored,
    )
