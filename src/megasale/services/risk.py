"""The analysts' review desk: rings with their evidence, confirmed or cleared."""

from __future__ import annotations

from megasale.domain.errors import InvalidInput
from megasale.domain.risk import Ring, RingStatus, SubsidyFigures
from megasale.services.catalog import require_role
from megasale.services.ports import Account, Clock, Role
from megasale.services.risk_ports import FlaggedRing, RiskStore

__all__ = ["RiskDesk"]

_REVIEWERS = (Role.ANALYST, Role.OPERATOR)


class RiskDesk:
    def __init__(self, store: RiskStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def flag(self, ring: FlaggedRing) -> Ring:
        """What a detector calls: no account, detection is the platform's own."""
        if not ring.order_ids:
            raise InvalidInput("order_ids", "a ring names at least one order")
        return self._store.flag_ring(ring, self._clock.now())

    def known_rings(self) -> dict[str, list[str]]:
        """Every ring's orders (for the detector, on start)."""
        return self._store.ring_orders()

    def rings(self, reviewer: Account, status: RingStatus | None, limit: int) -> list[Ring]:
        require_role(reviewer, *_REVIEWERS)
        if not 1 <= limit <= 500:
            raise InvalidInput("limit", "must be between 1 and 500")
        return self._store.list_rings(status, limit)

    def ring(self, reviewer: Account, ring_id: str) -> Ring:
        require_role(reviewer, *_REVIEWERS)
        return self._store.get_ring(ring_id)

    def confirm(self, reviewer: Account, ring_id: str) -> Ring:
        require_role(reviewer, *_REVIEWERS)
        return self._store.rule_on_ring(
            ring_id, RingStatus.CONFIRMED, reviewer.account_id, self._clock.now()
        )

    def clear(self, reviewer: Account, ring_id: str) -> Ring:
        require_role(reviewer, *_REVIEWERS)
        return self._store.rule_on_ring(
            ring_id, RingStatus.CLEARED, reviewer.account_id, self._clock.now()
        )

    def pay_out(self, operator: Account) -> tuple[int, int]:
        require_role(operator, Role.OPERATOR)
        return self._store.pay_out_subsidies(self._clock.now())

    def subsidies(self, account: Account) -> SubsidyFigures:
        require_role(account, *_REVIEWERS)
        return self._store.subsidy_figures()
