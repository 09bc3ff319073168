"""Rings under review and the subsidies they hold back.

A ring flagged by detection holds the platform subsidy of its orders that is not paid out yet.
An analyst then rules once: *confirmed* forfeits the held subsidy (it goes back to the
promotion's budget, never to the shop), *cleared* releases it for the next payout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from megasale.domain.errors import InvalidTransition

__all__ = ["HoldStatus", "Ring", "RingStatus", "SubsidyFigures", "check_ruling"]


class RingStatus(StrEnum):
    FLAGGED = "flagged"
    CONFIRMED = "confirmed"
    CLEARED = "cleared"


class HoldStatus(StrEnum):
    HELD = "held"
    RELEASED = "released"
    FORFEITED = "forfeited"


def check_ruling(current: RingStatus, ruling: RingStatus) -> RingStatus:
    """An analyst rules once, on a flagged ring, to confirm or clear it."""
    if ruling is RingStatus.FLAGGED:
        raise InvalidTransition("a ruling confirms or clears a ring")
    if current is not RingStatus.FLAGGED:
        raise InvalidTransition(f"this ring was already {current}; a ring is ruled on once")
    return ruling


@dataclass(frozen=True, slots=True)
class Ring:
    """A ring as the review desk keeps it. ``evidence`` is JSON a person can read."""

    ring_id: str
    kind: str
    score: float
    status: RingStatus
    flagged_at: datetime
    order_ids: tuple[str, ...]
    buyer_ids: tuple[str, ...]
    gmv_fen: int
    subsidy_fen: int
    held_fen: int
    evidence: bytes
    ruled_at: datetime | None = None
    ruled_by: str | None = None


@dataclass(frozen=True, slots=True)
class SubsidyFigures:
    """Where the platform's subsidy stands: paid out, held for review, forfeited, owed."""

    paid_fen: int
    held_fen: int
    forfeited_fen: int
    owed_fen: int
