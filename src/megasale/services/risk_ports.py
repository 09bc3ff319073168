"""The port the review desk needs from storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from megasale.domain.risk import Ring, RingStatus, SubsidyFigures

__all__ = ["FlaggedRing", "RiskStore"]


class FlaggedRing(Protocol):
    """What a detector hands over: enough to hold and to show a person."""

    @property
    def ring_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def order_ids(self) -> Sequence[str]: ...
    @property
    def evidence(self) -> bytes: ...


class RiskStore(Protocol):
    def flag_ring(self, ring: FlaggedRing, at: datetime) -> Ring:
        """Record the ring (or add orders to a ring already flagged), hold the unpaid subsidy
        of its orders, and append ``brushing.ring_flagged``, in one transaction."""
        ...

    def rule_on_ring(self, ring_id: str, ruling: RingStatus, by: str, at: datetime) -> Ring:
        """Confirm (forfeit the holds, subsidy back to the budget) or clear (release them)."""
        ...

    def get_ring(self, ring_id: str) -> Ring: ...

    def list_rings(self, status: RingStatus | None, limit: int) -> list[Ring]: ...

    def pay_out_subsidies(self, at: datetime) -> tuple[int, int]:
        """Pay the subsidy of every settled order not held and not paid: ``(orders, fen)``."""
        ...

    def subsidy_figures(self) -> SubsidyFigures: ...

    def ring_orders(self) -> dict[str, list[str]]:
        """Every ring's orders, so a restarted detector reports rings under the same ids."""
        ...
