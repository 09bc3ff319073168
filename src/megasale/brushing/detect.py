"""The batch detector: every ring detector over one order table, rings merged and numbered."""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from megasale.brushing.behaviour import buyer_behaviour
from megasale.brushing.evidence import ring_evidence
from megasale.brushing.frame import OrderTable, small_pages
from megasale.brushing.identity import SharedIdentifierDetector
from megasale.brushing.lockstep import LockstepDetector
from megasale.brushing.rings import Ring
from megasale.brushing.shop_self import ShopSelfBrushingDetector
from megasale.brushing.waves import wave_list

__all__ = ["BrushingDetector", "disjoint"]

_NONE = -1


class BrushingDetector:
    """Run the shared-identifier, lockstep and shop self-brushing detectors and merge their rings.

    Parameters
    ----------
    identity, lockstep, shop_self : detector, optional
        Unfitted detectors to use (copies are fitted); ``None`` means the defaults.
    min_score : float
        Rings scoring below this are dropped.

    Attributes
    ----------
    rings_ : list of Ring
        Rings kept, highest score first, ids ``R0001``, ``R0002``, ...
    buyer_ring_ : ndarray of int
        Per buyer code, the index in ``rings_`` of its best ring, or -1.
    order_ring_ : ndarray of int
        Per order row, the index in ``rings_`` of the ring that flags it, or -1.
    brushing_ : ndarray of bool
        Per order row, whether the shop-side rule counts it as a brushing order.

    Examples
    --------
    >>> import numpy as np
    >>> from megasale.brushing.frame import OrderTable
    >>> table = OrderTable(
    ...     order_ids=np.array([f"o{i}" for i in range(7)], dtype=object),
    ...     created=np.arange(7) * 60_000_000,
    ...     buyer=np.array([0, 0, 0, 1, 1, 1, 2], dtype=np.int32),
    ...     buyer_names=np.array(["a", "b", "c"], dtype=object),
    ...     shop=np.zeros(7, dtype=np.int32),
    ...     shop_names=np.array(["s"], dtype=object),
    ... )
    >>> detector = BrushingDetector().fit(table)
    >>> [(ring.ring_id, ring.kind.value) for ring in detector.rings_]
    [('R0001', 'shop_self')]
    >>> detector.buyer_ring_.tolist()
    [0, 0, -1]
    """

    def __init__(
        self,
        identity: SharedIdentifierDetector | None = None,
        lockstep: LockstepDetector | None = None,
        shop_self: ShopSelfBrushingDetector | None = None,
        min_score: float = 0.5,
    ) -> None:
        self.identity = identity
        self.lockstep = lockstep
        self.shop_self = shop_self
        self.min_score = min_score

    def fit(self, table: OrderTable, y: object = None) -> BrushingDetector:
        """Fit every detector, keep the rings above ``min_score``, give each buyer one ring."""
        with small_pages():  # many short-lived large arrays: see :func:`small_pages`
            return self._fit(table)

    def _fit(self, table: OrderTable) -> BrushingDetector:
        rings, lockstep, shop_self = self._ranked_rings(table)
        wave_minutes = lockstep.wave_minutes

        def describe_rest(ring: Ring) -> None:
            # Better rings took some members: the evidence must describe the ones left.
            ring.evidence.update(ring_evidence(table, ring.orders))
            if "waves" in ring.evidence:
                ring.evidence["waves"] = wave_list(table, ring.orders, wave_minutes)

        self.rings_ = disjoint(rings, table, describe_rest)
        self.brushing_ = shop_self.brushing_
        self.buyer_ring_ = np.full(table.n_buyers, _NONE, dtype=np.int64)
        self.order_ring_ = np.full(table.n_orders, _NONE, dtype=np.int64)
        for index, ring in enumerate(self.rings_):
            self.buyer_ring_[ring.members] = index
            self.order_ring_[ring.orders] = index
        return self

    def _ranked_rings(
        self, table: OrderTable
    ) -> tuple[list[Ring], LockstepDetector, ShopSelfBrushingDetector]:
        """Every detector's rings at or above ``min_score``, best first, with the fitted
        lockstep and shop self-brushing detectors."""
        identity = copy.deepcopy(self.identity) or SharedIdentifierDetector()
        lockstep = copy.deepcopy(self.lockstep) or LockstepDetector()
        shop_self = copy.deepcopy(self.shop_self) or ShopSelfBrushingDetector()
        rings: list[Ring] = []
        # The detectors only read the table and their numpy and scipy work mostly releases
        # the GIL: side by side on two cores they take about a quarter less time than in
        # turn. The buyers' behaviour is computed once, for the two detectors that use it.
        with ThreadPoolExecutor(max_workers=2) as pool:
            shop_done = pool.submit(shop_self.fit, table)
            behaviour = buyer_behaviour(table)
            identity_done = pool.submit(identity.fit, table, None, behaviour)
            lockstep.fit(table, None, behaviour)
            identity_done.result()
            shop_done.result()
        for found in (identity.rings_, lockstep.rings_, shop_self.rings_):
            rings.extend(ring for ring in found if ring.score >= self.min_score)
        rings.sort(key=lambda ring: (-ring.score, ring.kind.value, int(ring.members[0])))
        return rings, lockstep, shop_self

    def flagged_buyers(self) -> npt.NDArray[np.int64]:
        """Codes of the flagged buyers, ascending."""
        return np.flatnonzero(self.buyer_ring_ != _NONE)

    def flagged_orders(self) -> npt.NDArray[np.int64]:
        """Rows of the flagged orders, ascending."""
        return np.flatnonzero(self.order_ring_ != _NONE)


def disjoint(rings: list[Ring], table: OrderTable, cut_down: Callable[[Ring], None]) -> list[Ring]:
    """Give each buyer to its best ring (rings come best first) and number the rings left.

    A ring keeps the members no better ring took and their orders, and ``cut_down`` is called
    on it if it lost some; a ring left with fewer than two members is dropped.
    """
    taken = np.zeros(table.n_buyers, dtype=bool)
    kept: list[Ring] = []
    for ring in rings:
        members = ring.members[~taken[ring.members]]
        if members.size < 2:
            continue
        taken[members] = True
        if members.size < ring.members.size:
            ring.members = members
            ring.orders = ring.orders[np.isin(table.buyer[ring.orders], members)]
            cut_down(ring)
        ring.ring_id = f"R{len(kept) + 1:04d}"
        kept.append(ring)
    return kept
