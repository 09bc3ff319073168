"""Brushing rings as the live screen sees them: which orders are out, and the latest alerts."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from megasale.services.brushing_events import (
    RING_CLEARED,
    RING_CONFIRMED,
    RING_FLAGGED,
    decode_ring_flagged,
    decode_ring_ruling,
)

__all__ = ["Ring", "RingAlerts"]

FLAGGED = "flagged"
CLEARED = "cleared"
CONFIRMED = "confirmed"


@dataclass(slots=True)
class Ring:
    ring_id: str
    kind: str
    score: float
    gmv_fen: int
    subsidy_fen: int
    buyers: int
    flagged_at: str
    evidence: str
    status: str = FLAGGED
    ruled_at: str | None = None
    orders: set[str] = field(default_factory=set)


class RingAlerts:
    """Every ring seen, newest flag last; :meth:`fold` says which orders went out or came back.

    An order counts as out while at least one ring naming it is flagged or confirmed; the
    caller keeps that count per order (:class:`~megasale.live.aggregator.SaleFigures`).
    """

    KINDS = frozenset({RING_FLAGGED, RING_CLEARED, RING_CONFIRMED})

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.rings: OrderedDict[str, Ring] = OrderedDict()

    def fold(self, kind: str, payload: bytes) -> tuple[list[str], list[str]]:
        """``(orders a ring now names, orders it no longer names)`` after one event."""
        if kind == RING_FLAGGED:
            return self._flagged(payload), []
        ruling = decode_ring_ruling(payload)
        ring = self.rings.get(ruling.ring_id)
        if ring is None:  # a ruling on a ring this log never flagged
            return [], []
        was = ring.status
        ring.status = CLEARED if kind == RING_CLEARED else CONFIRMED
        ring.ruled_at = ruling.at
        if ring.status == CLEARED and was != CLEARED:
            return [], list(ring.orders)
        if ring.status == CONFIRMED and was == CLEARED:
            return list(ring.orders), []
        return [], []

    def _flagged(self, payload: bytes) -> list[str]:
        e = decode_ring_flagged(payload)
        named = set(e.order_ids)
        ring = self.rings.get(e.ring_id)
        if ring is None:
            ring = Ring(
                e.ring_id,
                e.kind,
                e.score,
                e.gmv_fen,
                e.subsidy_fen,
                len(set(e.buyer_ids)),
                e.at,
                e.evidence,
                orders=named,
            )
            self.rings[e.ring_id] = ring
            return list(named)
        # the same ring flagged again: it grew, or came back after being cleared
        new = named - ring.orders
        ring.orders |= new
        ring.score, ring.gmv_fen, ring.subsidy_fen = e.score, e.gmv_fen, e.subsidy_fen
        ring.buyers = max(ring.buyers, len(set(e.buyer_ids)))
        ring.flagged_at, ring.evidence = e.at, e.evidence or ring.evidence
        self.rings.move_to_end(e.ring_id)
        if ring.status == CLEARED:
            ring.status, ring.ruled_at = FLAGGED, None
            return list(ring.orders)
        return list(new)

    def latest(self) -> list[Ring]:
        """The most recently flagged rings, newest first, at most ``kept``."""
        out: list[Ring] = []
        for ring in reversed(self.rings.values()):
            if len(out) == self.kept:
                break
            out.append(ring)
        return out

    def count(self, status: str) -> int:
        return sum(1 for ring in self.rings.values() if ring.status == status)
