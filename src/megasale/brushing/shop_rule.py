"""The shop-side brushing rule of the brief, exactly.

A shop brushes in a closed interval ``[a, a + 1 h]``, ``a`` any real time, when the interval
holds at least one of its orders and ``orders / distinct buyers >= 3``. Its brushing orders are
the union of the contents of all such intervals; its suspicious buyers hold the largest share of
them (all of them on a tie). A shop that never brushes gets ``0``.

Why it is exact: the contents of a closed window are a run ``l..r`` of the shop's orders in time
order, whole groups of equal times. Such a run is the content of some window if and only if
``t[r] - t[l] <= 1 h`` and ``t[r + 1] - t[l - 1] > 1 h`` (the orders around it do not both fit;
missing neighbours count as infinitely far). So the rule is checked on those runs only, and a
cheap bound (every order whose buyer has no earlier order within the hour counts ``-2``, the
others ``+1``; brushing needs a sum of at least 0) skips the runs that cannot qualify.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megasale.brushing.frame import (
    Codes,
    IntArray,
    OrderTable,
    TimeArray,
    by_shop_and_time,
    distinct,
    sort_integers,
)

__all__ = ["HOUR_US", "brushing_orders", "shop_brushing", "sort_ids", "suspicious_buyers"]

HOUR_US = 3_600_000_000
_FAR = np.int64(2**61)
#: window starts checked against one running sum (``_within_block_bound``): coarse blocks first
#: (a cheap cut of most starts), then fine ones (a close one)
_BLOCKS = (4096, 64)
BoolArray = npt.NDArray[np.bool_]


def brushing_orders(
    shop: Codes, buyer: Codes, created: TimeArray, window_us: int = HOUR_US
) -> BoolArray:
    """Mask of the rows that are brushing orders of their shop.

    >>> import numpy as np
    >>> hour = 3_600_000_000
    >>> shop = np.zeros(4, dtype=np.int32)
    >>> buyer = np.array([7, 7, 7, 8], dtype=np.int32)
    >>> created = np.array([0, 1, 2, hour + 3]) * 1_000_000
    >>> brushing_orders(shop, buyer, created).tolist()
    [True, True, True, False]
    """
    n = created.shape[0]
    result = np.zeros(n, dtype=bool)
    if n == 0:
        return result
    order = by_shop_and_time(shop, created)
    s, t, b = shop[order], created[order].astype(np.int64), buyer[order]
    new_shop = np.r_[True, s[1:] != s[:-1]]
    # Previous order of the same buyer in the same shop, as a position in ``order``.
    by_buyer = _by_shop_buyer_position(s, b)
    same = np.r_[
        False, (s[by_buyer][1:] == s[by_buyer][:-1]) & (b[by_buyer][1:] == b[by_buyer][:-1])
    ]
    prev = np.full(n, -1, dtype=np.int64)
    prev[by_buyer[same]] = by_buyer[np.flatnonzero(same) - 1]
    prev2 = np.full(n, -1, dtype=np.int64)
    has_prev = prev >= 0
    prev2[has_prev] = prev[prev[has_prev]]
    # A window needs a buyer with three orders in it (the mean is at least 3).
    triple = (prev2 >= 0) & (t - t[np.maximum(prev2, 0)] <= window_us)
    shop_id = np.cumsum(new_shop) - 1
    hot_shop = np.zeros(shop_id[-1] + 1, dtype=bool)
    hot_shop[shop_id[triple]] = True
    keep = np.flatnonzero(hot_shop[shop_id])
    if keep.size == 0:
        return result
    covered = _covered(t[keep], s[keep], prev[keep], keep, window_us)
    result[order[keep[covered]]] = True
    return result


def _covered(
    t: TimeArray, s: Codes, prev_global: IntArray, positions: IntArray, window_us: int
) -> BoolArray:
    """Brushing mask over the orders of the shops that may brush (sorted by shop, time)."""
    m = t.shape[0]
    local = np.full(positions[-1] + 1, -1, dtype=np.int64)
    local[positions] = np.arange(m)
    prev = np.where(prev_global >= 0, local[np.maximum(prev_global, 0)], -1)
    first = np.r_[True, s[1:] != s[:-1]]
    last = np.r_[s[1:] != s[:-1], True]
    t_before = np.where(first, -_FAR, np.r_[-_FAR, t[:-1]])
    t_after = np.where(last, _FAR, np.r_[t[1:], _FAR])
    group_start = first | (t != np.r_[t[0], t[:-1]])
    group_end = last | (t != np.r_[t[1:], t[-1]])
    # Windows never cross shops: shift each shop onto its own stretch of the time axis.
    shop_rank = np.cumsum(first) - 1
    span = int(t.max() - t.min()) + 2 * window_us + 1
    axis = (t - t.min()) + shop_rank.astype(np.int64) * span
    r_hi = np.searchsorted(axis, axis + window_us, side="right") - 1
    # Upper bound: g = +1 when the buyer has an earlier order within the hour, else -2.
    repeat = (prev >= 0) & (t - t[np.maximum(prev, 0)] <= window_us)
    g = np.where(repeat, 1, -2).astype(np.int64)
    prefix = np.r_[0, np.cumsum(g)]
    best = _range_max(prefix, np.arange(1, m + 1), r_hi + 1)
    # The first order of a window always brings a new buyer (-2), whatever ``g`` says.
    first_fix = np.where(repeat, 3, 0)
    candidates = np.flatnonzero(group_start & (best - prefix[:-1] - first_fix >= 0))
    for block in _BLOCKS:
        candidates = _within_block_bound(candidates, prev, r_hi, block)
    cover = np.zeros(m + 1, dtype=np.int64)
    covered_to = -1
    for left in candidates.tolist():
        if r_hi[left] <= covered_to:
            continue  # every window from here ends inside what is already covered
        rows = np.arange(left, r_hi[left] + 1)
        f = np.cumsum(np.where(prev[rows] >= left, 1, -2))
        ok = (f >= 0) & group_end[rows] & (t_after[rows] - t_before[left] > window_us)
        if ok.any():
            right = int(rows[np.flatnonzero(ok)[-1]])
            cover[left] += 1
            cover[right + 1] -= 1
            covered_to = max(covered_to, right) if left <= covered_to + 1 else right
    return np.cumsum(cover[:-1]) > 0


def _within_block_bound(
    candidates: IntArray, prev: IntArray, r_hi: IntArray, block: int
) -> IntArray:
    """The window starts of ``candidates`` that a tighter bound leaves in, in order.

    The first bound counts an order ``+1`` when its buyer ordered within the hour before; the
    exact count, only when that earlier order is inside the window. Where most buyers come
    back (a crowd over a few shops) the first bound passes nearly every start and the exact
    check then fails them one by one, each over the whole window. Here the starts are taken in
    blocks of positions: every start ``left`` of a block is at or after its first position
    ``L0``, so an earlier order inside the window is at or after ``L0``, and counting ``+1``
    only then is still an upper bound (the start's own order counts ``-2`` exactly). One
    running sum per block, instead of one per start.
    """
    if candidates.shape[0] <= 1:
        return candidates
    kept: list[IntArray] = []
    blocks = candidates // block
    edges = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1], True])
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        lefts = candidates[lo:hi]
        first = int(blocks[lo]) * block
        end = int(r_hi[lefts].max()) + 1
        running = np.cumsum(np.where(prev[first:end] >= first, 1, -2))
        reach = np.maximum.accumulate(running[::-1])[::-1]  # the best sum from here on
        at = lefts - first
        before = np.where(at > 0, running[np.maximum(at - 1, 0)], 0)
        own = np.where(prev[lefts] >= first, 3, 0)  # a start's own order counts -2
        kept.append(lefts[reach[at] - before - own >= 0])
    return np.concatenate(kept)


def _by_shop_buyer_position(s: Codes, b: Codes) -> IntArray:
    """``np.lexsort((np.arange(n), b, s))``: one plain sort of packed keys when they fit in
    63 bits (the position, in the low bits, breaks ties and is read back from them), else
    the lexsort."""
    n = s.shape[0]
    n_buyers = int(b.max()) + 1
    position_bits = max(n - 1, 1).bit_length()
    fits = (int(s.max()) + 1) * n_buyers < 1 << (63 - position_bits)
    if fits and int(b.min()) >= 0 and int(s.min()) >= 0:
        key = (s.astype(np.int64) * n_buyers + b) << position_bits | np.arange(n)
        position: IntArray = sort_integers(key) & ((1 << position_bits) - 1)
        return position
    return np.lexsort((np.arange(n), b, s))


def _range_max(values: IntArray, lo: IntArray, hi: IntArray) -> IntArray:
    """``max(values[lo[i] : hi[i] + 1])`` for every ``i`` (a sparse table; ``lo <= hi``)."""
    levels = [values]
    width = 1
    # Only the levels the longest range needs: each level is a full copy of ``values``.
    longest = int((hi - lo).max()) + 1 if lo.shape[0] else 1
    while 2 * width <= min(values.shape[0], longest):
        prior = levels[-1]
        levels.append(np.maximum(prior[:-width], prior[width:]))
        width *= 2
    length = hi - lo + 1
    k = np.floor(np.log2(length)).astype(np.int64)
    out = np.empty(lo.shape[0], dtype=values.dtype)
    for level in distinct(k).tolist():
        sel = k == level
        table = levels[level]
        out[sel] = np.maximum(table[lo[sel]], table[hi[sel] - (1 << level) + 1])
    return out


def suspicious_buyers(table: OrderTable, mask: BoolArray | None = None) -> dict[int, list[int]]:
    """Shop code -> buyer codes with the largest share of its brushing orders (brushing shops)."""
    if mask is None:
        mask = brushing_orders(table.shop, table.buyer, table.created)
    rows = np.flatnonzero(mask)
    pairs, counts = np.unique(
        np.stack([table.shop[rows], table.buyer[rows]], axis=1), axis=0, return_counts=True
    )
    result: dict[int, list[int]] = {}
    if pairs.shape[0] == 0:
        return result
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    for start, stop in zip(starts.tolist(), [*starts[1:].tolist(), pairs.shape[0]], strict=True):
        top = counts[start:stop].max()
        chosen = pairs[start:stop][counts[start:stop] == top, 1]
        result[int(pairs[start, 0])] = [int(b) for b in chosen]
    return result


def sort_ids(ids: list[str]) -> list[str]:
    """Ascending, numerically when every identifier is an integer.

    >>> sort_ids(["10", "9", "100"])
    ['9', '10', '100']
    >>> sort_ids(["b", "a10", "a9"])
    ['a10', 'a9', 'b']
    """
    try:
        return sorted(ids, key=int)
    except ValueError:
        return sorted(ids)


def shop_brushing(table: OrderTable, mask: BoolArray | None = None) -> list[tuple[str, str]]:
    """One ``(shopid, userid)`` row per shop, shops ascending; ``"0"`` when it never brushes."""
    chosen = suspicious_buyers(table, mask)
    rows = []
    for code, name in enumerate(table.shop_names.tolist()):
        buyers = chosen.get(code)
        text = "&".join(sort_ids([str(table.buyer_names[b]) for b in buyers])) if buyers else "0"
        rows.append((str(name), text))
    order = sort_ids([shop for shop, _ in rows])
    by_shop = dict(rows)
    return [(shop, by_shop[shop]) for shop in order]
