"""The batch detector as one streaming pass runs it: the same rings, evidence left for later.

:class:`~megasale.brushing.detect.BrushingDetector` gives each buyer its best ring and, for a
ring that lost members to a better one, computes the evidence of the members left. At the
peak a pass finds some hundred rings again, most of them overlapping (a farm that also buys in
waves is an IP farm and a lockstep ring), and reports the few with new orders: the evidence
of a ring cut down is computed when it is reported (:func:`~megasale.brushing.stream_rings.
new_rings`), not for every ring of every pass. The rings, their members, orders and scores
are the batch detector's (a test holds the two together).
"""

from __future__ import annotations

from megasale.brushing.detect import BrushingDetector, disjoint
from megasale.brushing.frame import OrderTable, small_pages
from megasale.brushing.rings import Ring

__all__ = ["CUT_DOWN", "PassDetector"]

CUT_DOWN = "_cut_down"
"""Key a ring's evidence holds (``True``) when better rings took some of its members: the
rest of its evidence describes the ring before the cut until it is computed again."""


class PassDetector(BrushingDetector):
    """:class:`BrushingDetector` for a streaming pass: only ``rings_`` is learned, and a ring
    that lost members keeps its evidence as it was, marked :data:`CUT_DOWN`.

    Parameters are those of :class:`BrushingDetector`.

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
    >>> [(ring.ring_id, ring.kind.value) for ring in PassDetector().fit(table).rings_]
    [('R0001', 'shop_self')]
    """

    def fit(self, table: OrderTable, y: object = None) -> PassDetector:
        """Fit every detector, keep the rings above ``min_score``, give each buyer one ring."""
        with small_pages():
            rings, _, _ = self._ranked_rings(table)
            self.rings_ = disjoint(rings, table, _mark_cut_down)
        return self


def _mark_cut_down(ring: Ring) -> None:
    ring.evidence[CUT_DOWN] = True
