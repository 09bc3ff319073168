"""A ring's waves: bursts of its orders in one shop, and the buyers who joined them.

Pure functions over an :class:`OrderTable`, shared by the lockstep detector and usable by a
streaming one: an index of rows by shop and time answers "who bought in this shop between
these two times" by binary search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megasale.brushing.frame import MISSING, OrderTable, by_shop_and_time, distinct

__all__ = [
    "QUICK_PICKUP_MINUTES",
    "ShopIndex",
    "join_waves",
    "joinable_rows",
    "quick_rows_of",
    "wave_list",
]

QUICK_PICKUP_MINUTES = 90
_MINUTE_US = 60_000_000


def quick_rows_of(table: OrderTable) -> npt.NDArray[np.bool_] | None:
    """Per row, whether the order was collected within 90 minutes; ``None`` without pickups."""
    if table.picked_up is None:
        return None
    delay = table.picked_up - table.created
    quick: npt.NDArray[np.bool_] = (table.picked_up != MISSING) & (delay >= 0)
    return quick & (delay <= QUICK_PICKUP_MINUTES * _MINUTE_US)


@dataclass(frozen=True)
class ShopIndex:
    """Rows sorted by shop then time, with each shop's slice: windows by binary search."""

    rows: npt.NDArray[np.int64]
    times: npt.NDArray[np.int64]
    bounds: npt.NDArray[np.int64]

    @staticmethod
    def of(table: OrderTable) -> ShopIndex:
        rows = by_shop_and_time(table.shop, table.created)
        counts = np.bincount(table.shop, minlength=table.n_shops)
        return ShopIndex(rows, table.created[rows], np.r_[0, np.cumsum(counts)])

    def window(self, shop: int, lo: int, hi: int) -> npt.NDArray[np.int64]:
        """Rows of ``shop`` created within ``[lo, hi]``."""
        start, stop = int(self.bounds[shop]), int(self.bounds[shop + 1])
        first, last = np.searchsorted(self.times[start:stop], [lo, hi + 1])
        return self.rows[start + first : start + last]


def joinable_rows(
    index: ShopIndex,
    table: OrderTable,
    quick_rows: npt.NDArray[np.bool_],
    ring_of: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Positions in ``index.rows`` of the orders collected quickly by buyers in no ring
    (``ring_of`` is -1): the orders that may join a ring's waves, ascending."""
    rows = index.rows
    return np.flatnonzero(quick_rows[rows] & (ring_of[table.buyer[rows]] == -1))


def join_waves(
    table: OrderTable,
    index: ShopIndex,
    members: npt.NDArray[np.int32],
    orders: npt.NDArray[np.int64],
    joinable: npt.NDArray[np.int64],
    margin_minutes: float,
    gap_minutes: float,
    purity: float,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Add the buyers who joined a ring's waves too few times to be linked by pairs.

    A wave is a burst of the ring's ``orders`` in one shop (a gap of more than ``gap_minutes``
    ends it), widened by ``margin_minutes``. A buyer in no ring who bought from that shop
    within the wave and collected quickly (a row of ``joinable``, see :func:`joinable_rows`)
    joins it; two waves joined, or one in which the ring's orders are at least ``purity`` of
    the shop's orders, make a member. Returns the members and orders, joiners and their wave
    orders added.
    """
    margin = int(margin_minutes * _MINUTE_US)
    gap = int(gap_minutes * _MINUTE_US)
    if orders.size == 0:
        return members, orders
    # Every wave of every shop at once: the ring's orders by shop then time, cut where the
    # shop changes or a gap is longer than ``gap``.
    ring_shops = table.shop[orders].astype(np.int64)
    ring_times = table.created[orders]
    by_shop = np.lexsort((ring_times, ring_shops))
    shops, times = ring_shops[by_shop], ring_times[by_shop]
    cut = np.ones(times.size, dtype=bool)
    cut[1:] = (shops[1:] != shops[:-1]) | (np.diff(times) > gap)
    bounds = np.append(np.flatnonzero(cut), times.size)
    wave_shop = shops[bounds[:-1]]
    starts, ends = times[bounds[:-1]], times[bounds[1:] - 1]
    sizes = np.diff(bounds)
    # Each wave's window in its shop's slice of the index, one binary search per shop.
    lo = np.empty(sizes.size, dtype=np.int64)
    hi = np.empty(sizes.size, dtype=np.int64)
    shop_cuts = np.append(np.flatnonzero(np.r_[True, wave_shop[1:] != wave_shop[:-1]]), sizes.size)
    for a, b in zip(shop_cuts[:-1].tolist(), shop_cuts[1:].tolist(), strict=True):
        shop = int(wave_shop[a])
        first, last = int(index.bounds[shop]), int(index.bounds[shop + 1])
        segment = index.times[first:last]
        lo[a:b] = np.searchsorted(segment, starts[a:b] - margin) + first
        hi[a:b] = np.searchsorted(segment, ends[a:b] + margin + 1) + first
    # Only the joinable rows of each window are read; its size counts every row.
    joinable_lo, joinable_hi = np.searchsorted(joinable, lo), np.searchsorted(joinable, hi)
    counts = joinable_hi - joinable_lo
    rows = index.rows[joinable[_ranges(joinable_lo, counts)]]
    if rows.size == 0:
        return members, orders
    wave = np.repeat(np.arange(counts.size), counts)
    buyer = table.buyer[rows].astype(np.int64)
    # Count per buyer of these rows only: arrays over every buyer of the log cost more than
    # the waves themselves when a ring is small.
    joiners, local = np.unique(buyer, return_inverse=True)
    n_waves = counts.size
    joined = np.bincount(distinct(local * n_waves + wave) // n_waves, minlength=joiners.size)
    in_pure = np.zeros(joiners.size, dtype=bool)
    in_pure[local[np.repeat(sizes >= purity * (hi - lo), counts)]] = True
    keep = ((joined >= 2) | in_pure)[local]
    if not keep.any():
        return members, orders
    return np.union1d(members, buyer[keep]).astype(np.int32), np.union1d(orders, rows[keep])


def _ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.r_[starts[0] : starts[0] + lengths[0], starts[1] : ...]`` without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)


def wave_list(
    table: OrderTable, orders: npt.NDArray[np.int64], wave_minutes: float
) -> list[dict[str, object]]:
    """A ring's waves for the evidence: start time, orders and buyers, in time order (20 at most).

    Orders more than ``wave_minutes`` apart belong to different waves.
    """
    by_time = orders[np.argsort(table.created[orders], kind="stable")]
    created = table.created[by_time]
    cuts = np.flatnonzero(np.diff(created) > wave_minutes * _MINUTE_US) + 1
    waves: list[dict[str, object]] = []
    for chunk in np.split(np.arange(created.size), cuts)[:20]:
        waves.append(
            {
                "start": str(np.datetime64(int(created[chunk[0]]), "us")) + "Z",
                "orders": int(chunk.size),
                "buyers": int(distinct(table.buyer[by_time[chunk]]).size),
            }
        )
    return waves
