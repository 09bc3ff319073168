"""The joiners of every lockstep ring's waves at once.

:func:`~megasale.brushing.waves.join_waves` reads one ring's waves; a detection pass of the
streaming detector scores about a hundred rings, and one call per ring cost more than the
waves themselves. :func:`join_all_waves` gives, for each ring, exactly what ``join_waves``
gives it (the same members and orders), with the rings' waves read together: one sort of
every ring's orders, one binary search per shop, one count of the waves each buyer joined.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from megasale.brushing.frame import OrderTable, distinct
from megasale.brushing.waves import ShopIndex

__all__ = ["join_all_waves"]

_MINUTE_US = 60_000_000

Members = npt.NDArray[np.int32]
Rows = npt.NDArray[np.int64]


def join_all_waves(
    table: OrderTable,
    index: ShopIndex,
    rings: Sequence[tuple[Members, Rows]],
    joinable: Rows,
    margin_minutes: float,
    gap_minutes: float,
    purity: float,
) -> list[tuple[Members, Rows]]:
    """Each ring's members and orders with the buyers who joined its waves added.

    ``rings`` are ``(members, orders)`` pairs; the result is what
    :func:`~megasale.brushing.waves.join_waves` returns for each (the very arrays when nobody
    joined). A wave is a burst of a ring's orders in one shop (a gap of more than
    ``gap_minutes`` ends it), widened by ``margin_minutes``; a buyer in no ring who bought from
    that shop within the wave and collected quickly (a row of ``joinable``) joins it; two waves
    of one ring joined, or one in which the ring's orders are at least ``purity`` of the
    shop's orders, make a member of that ring.

    >>> import numpy as np
    >>> minute = 60_000_000
    >>> table = OrderTable(
    ...     order_ids=np.array([f"o{i}" for i in range(6)], dtype=object),
    ...     created=np.array([0, 1, 60, 61, 1, 61]) * minute,
    ...     buyer=np.array([0, 1, 0, 1, 2, 2], dtype=np.int32),
    ...     buyer_names=np.array(["a", "b", "c"], dtype=object),
    ...     shop=np.zeros(6, dtype=np.int32),
    ...     shop_names=np.array(["s"], dtype=object),
    ... )
    >>> index = ShopIndex.of(table)
    >>> ring = (np.array([0, 1], dtype=np.int32), np.array([0, 1, 2, 3]))
    >>> joinable = np.flatnonzero(table.buyer[index.rows] == 2)
    >>> [(m.tolist(), o.tolist()) for m, o in join_all_waves(table, index, [ring], joinable,
    ...                                                       2.0, 10.0, 0.5)]
    [([0, 1, 2], [0, 1, 2, 3, 4, 5])]
    """
    result = list(rings)
    sizes = np.array([orders.size for _, orders in rings], dtype=np.int64)
    if sizes.sum() == 0:
        return result
    margin = int(margin_minutes * _MINUTE_US)
    gap = int(gap_minutes * _MINUTE_US)
    ring_of = np.repeat(np.arange(len(rings)), sizes)
    orders = np.concatenate([orders for _, orders in rings])
    # Every wave of every ring: its orders by ring, shop, then time, cut where one changes or
    # a gap is longer than ``gap`` (a ring's waves come out as ``join_waves`` cuts them).
    ring_shops = table.shop[orders].astype(np.int64)
    ring_times = table.created[orders]
    by_shop = np.lexsort((ring_times, ring_shops, ring_of))
    ring_of, shops, times = ring_of[by_shop], ring_shops[by_shop], ring_times[by_shop]
    cut = np.ones(times.size, dtype=bool)
    cut[1:] = (ring_of[1:] != ring_of[:-1]) | (shops[1:] != shops[:-1]) | (np.diff(times) > gap)
    bounds = np.append(np.flatnonzero(cut), times.size)
    wave_ring, wave_shop = ring_of[bounds[:-1]], shops[bounds[:-1]]
    starts, ends = times[bounds[:-1]], times[bounds[1:] - 1]
    wave_sizes = np.diff(bounds)
    lo, hi = _windows(index, wave_shop, starts - margin, ends + margin + 1)
    # Only the joinable rows of each window are read; its size counts every row.
    joinable_lo, joinable_hi = np.searchsorted(joinable, lo), np.searchsorted(joinable, hi)
    counts = joinable_hi - joinable_lo
    rows = index.rows[joinable[_ranges(joinable_lo, counts)]]
    if rows.size == 0:
        return result
    n_waves = counts.size
    wave = np.repeat(np.arange(n_waves), counts)
    row_ring = wave_ring[wave]
    buyer = table.buyer[rows].astype(np.int64)
    # A joiner is a (ring, buyer) pair: a buyer joins each ring on that ring's waves alone.
    joiners, local = np.unique(row_ring * table.n_buyers + buyer, return_inverse=True)
    joined = np.bincount(distinct(local * n_waves + wave) // n_waves, minlength=joiners.size)
    in_pure = np.zeros(joiners.size, dtype=bool)
    in_pure[local[np.repeat(wave_sizes >= purity * (hi - lo), counts)]] = True
    keep = ((joined >= 2) | in_pure)[local]
    kept_ring, kept_buyer, kept_rows = row_ring[keep], buyer[keep], rows[keep]
    # The rows come in wave order, so by ring.
    cuts = np.searchsorted(kept_ring, np.arange(len(rings) + 1))
    for ring in np.flatnonzero(np.diff(cuts)).tolist():
        members, ring_orders = result[ring]
        part = slice(int(cuts[ring]), int(cuts[ring + 1]))
        result[ring] = (
            np.union1d(members, kept_buyer[part]).astype(np.int32),
            np.union1d(ring_orders, kept_rows[part]),
        )
    return result


def _windows(index: ShopIndex, shop: Rows, lo_time: Rows, hi_time: Rows) -> tuple[Rows, Rows]:
    """Positions in ``index.rows`` of each window ``[lo_time, hi_time)`` of its shop: one
    binary search per shop."""
    lo = np.empty(shop.size, dtype=np.int64)
    hi = np.empty(shop.size, dtype=np.int64)
    by_shop = np.argsort(shop, kind="stable")
    ordered = shop[by_shop]
    cuts = np.append(np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]), ordered.size)
    for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        waves = by_shop[a:b]
        code = int(ordered[a])
        first, last = int(index.bounds[code]), int(index.bounds[code + 1])
        segment = index.times[first:last]
        lo[waves] = np.searchsorted(segment, lo_time[waves]) + first
        hi[waves] = np.searchsorted(segment, hi_time[waves]) + first
    return lo, hi


def _ranges(starts: Rows, lengths: Rows) -> Rows:
    """``np.r_[starts[0] : starts[0] + lengths[0], starts[1] : ...]`` without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)
