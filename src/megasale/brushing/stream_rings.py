"""Rings as the stream reports them: stable ids, and only the orders not reported before."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FoundRing", "RingLedger"]


@dataclass(frozen=True, slots=True)
class FoundRing:
    """A ring to report: ``new_order_ids`` are the orders not reported under this id before."""

    ring_id: str
    kind: str
    score: float
    order_ids: tuple[str, ...]
    new_order_ids: tuple[str, ...]
    buyer_ids: tuple[str, ...]
    evidence: bytes


class RingLedger:
    """Which orders were reported under which ring id, across passes and restarts.

    A ring found again (sharing orders with a ring already reported) keeps the id most of its
    known orders had; a ring of unknown orders gets the next ``S-<kind>-<number>``.

    >>> ledger = RingLedger()
    >>> ledger.report(["o1", "o2"], "ip_farm")
    ('S-ip_farm-00001', ('o1', 'o2'))
    >>> ledger.report(["o2", "o3"], "ip_farm")
    ('S-ip_farm-00001', ('o3',))
    >>> ledger.report(["o1", "o3"], "ip_farm")
    ('S-ip_farm-00001', ())
    """

    def __init__(self) -> None:
        self._ring_of_order: dict[str, str] = {}
        self._reported: dict[str, set[str]] = {}
        self._next_ring = 1

    def remember(self, rings: dict[str, list[str]]) -> None:
        """Rings reported before a restart: found again, they keep their ids."""
        for ring_id, order_ids in rings.items():
            self._reported.setdefault(ring_id, set()).update(order_ids)
            for order_id in order_ids:
                self._ring_of_order.setdefault(order_id, ring_id)
            number = ring_id.rsplit("-", 1)[-1]
            if ring_id.startswith("S-") and number.isdigit():
                self._next_ring = max(self._next_ring, int(number) + 1)

    def report(self, order_ids: Sequence[str], kind: str) -> tuple[str, tuple[str, ...]]:
        """The ring's id and its orders not reported under it before (now reported)."""
        ring_id = self._ring_id(order_ids, kind)
        reported = self._reported.setdefault(ring_id, set())
        new = tuple(o for o in order_ids if o not in reported)
        reported.update(new)
        for order_id in new:
            self._ring_of_order.setdefault(order_id, ring_id)
        return ring_id, new

    def _ring_id(self, order_ids: Sequence[str], kind: str) -> str:
        """The id of the ring these orders were reported under before, or a new one."""
        votes: dict[str, int] = {}
        for order_id in order_ids:
            known = self._ring_of_order.get(order_id)
            if known is not None:
                votes[known] = votes.get(known, 0) + 1
        if votes:
            return max(sorted(votes), key=lambda r: votes[r])
        self._next_ring += 1
        return f"S-{kind}-{self._next_ring - 1:05d}"
