"""Rings as the stream reports them: stable ids, and only the orders not reported before."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from megasale.brushing.detect import BrushingDetector
from megasale.brushing.evidence import ring_evidence
from megasale.brushing.frame import OrderTable
from megasale.brushing.lockstep import DEFAULT_WAVE_MINUTES, LockstepDetector
from megasale.brushing.rings import RingKind
from megasale.brushing.stream_pass import CUT_DOWN, PassDetector
from megasale.brushing.waves import wave_list

__all__ = [
    "ATTACHED_KINDS",
    "Attachments",
    "FoundRing",
    "RingLedger",
    "new_rings",
    "pass_detector",
]

ATTACHED_KINDS = frozenset({RingKind.IP_FARM.value, RingKind.IP_ROTATOR.value})
"""Ring kinds whose members' every order is a flagged order (the batch outputs' rule): the
stream attaches a member's new order to its ring as soon as it is folded."""


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
        if reported.issuperset(order_ids):  # at the peak, most rings a pass finds again
            return ring_id, ()
        new = tuple(o for o in order_ids if o not in reported)
        reported.update(new)
        ring_of = self._ring_of_order
        for order_id in new:
            ring_of.setdefault(order_id, ring_id)
        return ring_id, new

    def attach(self, ring_id: str, order_ids: Sequence[str]) -> tuple[str, ...]:
        """Report orders under a known ring without a pass; those not reported under it before.

        >>> ledger = RingLedger()
        >>> ledger.report(["o1", "o2"], "ip_farm")
        ('S-ip_farm-00001', ('o1', 'o2'))
        >>> ledger.attach("S-ip_farm-00001", ["o2", "o3"])
        ('o3',)
        >>> ledger.report(["o1", "o2", "o3"], "ip_farm")  # found again by a pass: nothing new
        ('S-ip_farm-00001', ())
        """
        reported = self._reported.setdefault(ring_id, set())
        new = tuple(o for o in order_ids if o not in reported)
        reported.update(new)
        for order_id in new:
            self._ring_of_order.setdefault(order_id, ring_id)
        return new

    def _ring_id(self, order_ids: Sequence[str], kind: str) -> str:
        """The id of the ring these orders were reported under before, or a new one."""
        votes = Counter(map(self._ring_of_order.get, order_ids))
        known = sorted(r for r in votes if r is not None)
        if known:
            return max(known, key=votes.__getitem__)
        self._next_ring += 1
        return f"S-{kind}-{self._next_ring - 1:05d}"


def pass_detector(detector: BrushingDetector | None) -> PassDetector:
    """A fresh copy of the batch detector for one pass (:class:`~megasale.brushing.
    stream_pass.PassDetector`), its lockstep detector leaving a ring's evidence out:
    :func:`new_rings` computes what a ring reported lacks (at the peak most of the rings a
    pass scores have no new order)."""
    base = copy.deepcopy(detector) if detector is not None else BrushingDetector()
    lockstep = base.lockstep or LockstepDetector()
    lockstep.evidence = False
    return PassDetector(base.identity, lockstep, base.shop_self, base.min_score)


def new_rings(
    ledger: RingLedger,
    fitted: BrushingDetector,
    table: OrderTable,
    ours: npt.NDArray[np.bool_],
) -> list[FoundRing]:
    """The rings of a pass with orders not reported before, each with its evidence.

    ``ours`` says per buyer of ``table`` whether it is in the groups the pass was run for: a
    ring of none of them was read for context only (its own groups' passes report it).
    """
    wave_minutes = fitted.lockstep.wave_minutes if fitted.lockstep else DEFAULT_WAVE_MINUTES
    # The names as Python lists once: picking a few out of the table's columns per ring cost
    # more than the whole report.
    order_names: list[str] = table.order_ids.tolist()
    buyer_names: list[str] = table.buyer_names.tolist()
    found = []
    for ring in fitted.rings_:
        if not ours[ring.members].any():
            continue
        order_ids = tuple(map(order_names.__getitem__, ring.orders.tolist()))
        ring_id, new = ledger.report(order_ids, ring.kind.value)
        if not new:
            continue
        lean = ring.kind is RingKind.LOCKSTEP and "waves" not in ring.evidence
        if ring.evidence.pop(CUT_DOWN, False) or lean:
            # as the batch detector computes it (for a ring cut down: of the members left)
            ring.evidence.update(ring_evidence(table, ring.orders))
            if "waves" in ring.evidence or lean:
                ring.evidence["waves"] = wave_list(table, ring.orders, wave_minutes)
        evidence: dict[str, Any] = {"reasons": ring.reasons, **ring.evidence}
        found.append(
            FoundRing(
                ring_id=ring_id,
                kind=ring.kind.value,
                score=float(ring.score),
                order_ids=order_ids,
                new_order_ids=new,
                buyer_ids=tuple(map(buyer_names.__getitem__, ring.members.tolist())),
                evidence=json.dumps(evidence, default=str, sort_keys=True).encode(),
            )
        )
    return found


class Attachments:
    """New orders of the members of reported IP farms and rotators, attached to their rings
    on arrival (for those kinds every order of a member is a flagged order).

    >>> ledger = RingLedger()
    >>> ring_id, new = ledger.report(["o1", "o2"], "ip_farm")
    >>> attach = Attachments()
    >>> attach.reported(FoundRing(ring_id, "ip_farm", 0.9, new, new, ("a", "b"), b"{}"), [0, 1])
    >>> attach.orders.setdefault(attach.member_ring[1], []).append("o3")  # as the stream does
    >>> [(ring.ring_id, ring.new_order_ids) for ring in attach.flush(ledger)]
    [('S-ip_farm-00001', ('o3',))]
    """

    def __init__(self) -> None:
        self.member_ring: dict[int, str] = {}  # buyer code -> its ring's id
        self.orders: dict[str, list[str]] = {}  # ring id -> order ids attached since the flush
        self._last: dict[str, FoundRing] = {}  # ring id -> its latest report

    def reported(self, ring: FoundRing, buyers: Sequence[int]) -> None:
        """A pass reported ``ring``, whose buyers' codes are ``buyers``."""
        self._last[ring.ring_id] = ring
        for buyer in buyers:
            if ring.kind in ATTACHED_KINDS:
                self.member_ring[buyer] = ring.ring_id
            else:  # its best ring is of another kind now
                self.member_ring.pop(buyer, None)

    def flush(self, ledger: RingLedger) -> list[FoundRing]:
        """The attached orders not reported before, as their rings' latest reports with these
        orders added (the ledger records them under the ring)."""
        attached, self.orders = self.orders, {}
        found = []
        for ring_id, order_ids in attached.items():
            new = ledger.attach(ring_id, order_ids)
            if new:
                ring = self._last[ring_id]
                found.append(replace(ring, order_ids=ring.order_ids + new, new_order_ids=new))
        return found
