"""The baselines the detectors are measured against: the per-IP rule and FRAUDAR-style peeling."""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

from megasale.brushing.frame import MISSING, OrderTable, distinct

__all__ = ["FraudarPeeling", "PerIpRule"]


class PerIpRule:
    """Flag every buyer who used an IP address shared by ``min_accounts`` or more accounts.

    Attributes
    ----------
    flagged_ : ndarray of bool
        Per buyer code.

    Examples
    --------
    >>> import numpy as np
    >>> from megasale.brushing.frame import OrderTable
    >>> table = OrderTable(
    ...     order_ids=np.array(["o1", "o2", "o3"], dtype=object),
    ...     created=np.zeros(3, dtype=np.int64),
    ...     buyer=np.array([0, 1, 2], dtype=np.int32),
    ...     buyer_names=np.array(["a", "b", "c"], dtype=object),
    ...     shop=np.zeros(3, dtype=np.int32),
    ...     shop_names=np.array(["s"], dtype=object),
    ...     ip=np.array([0, 0, 1], dtype=np.int32),
    ... )
    >>> PerIpRule(min_accounts=2).fit(table).flagged_.tolist()
    [True, True, False]
    """

    def __init__(self, min_accounts: int = 5) -> None:
        self.min_accounts = min_accounts

    def fit(self, table: OrderTable, y: object = None) -> PerIpRule:
        """Count the accounts behind each IP and flag the buyers of the crowded ones."""
        self.flagged_ = np.zeros(table.n_buyers, dtype=bool)
        if table.ip is None:
            return self
        rows = table.ip != MISSING
        key = distinct(table.ip[rows].astype(np.int64) * table.n_buyers + table.buyer[rows])
        ip, buyer = key // table.n_buyers, key % table.n_buyers
        accounts = np.bincount(ip)
        self.flagged_[buyer[accounts[ip] >= self.min_accounts]] = True
        return self


class FraudarPeeling:
    """Greedy peeling of the buyer x SKU graph for its densest block, FRAUDAR style.

    Edges are weighted ``1 / log(degree of the SKU + c)`` so popular items count less; nodes
    are removed one at a time, least weighted degree first, and the subset with the highest
    total weight per node is a block. Its buyers are flagged and removed, ``n_blocks`` times.

    Attributes
    ----------
    flagged_ : ndarray of bool
        Per buyer code.

    Examples
    --------
    >>> import numpy as np
    >>> from megasale.brushing.frame import OrderTable
    >>> buyer = np.array([0, 0, 1, 1, 2, 2, 3, 4], dtype=np.int32)
    >>> sku = np.array([0, 1, 0, 1, 0, 1, 2, 3], dtype=np.int32)
    >>> table = OrderTable(
    ...     order_ids=np.array([f"o{i}" for i in range(8)], dtype=object),
    ...     created=np.zeros(8, dtype=np.int64),
    ...     buyer=buyer,
    ...     buyer_names=np.array(list("abcde"), dtype=object),
    ...     shop=np.zeros(8, dtype=np.int32),
    ...     shop_names=np.array(["s"], dtype=object),
    ...     sku=sku,
    ... )
    >>> FraudarPeeling(n_blocks=1).fit(table).flagged_.tolist()
    [True, True, True, False, False]
    """

    def __init__(self, n_blocks: int = 3, c: float = 5.0) -> None:
        self.n_blocks = n_blocks
        self.c = c

    def fit(self, table: OrderTable, y: object = None) -> FraudarPeeling:
        """Peel ``n_blocks`` dense blocks off the buyer x SKU graph."""
        self.flagged_ = np.zeros(table.n_buyers, dtype=bool)
        if table.sku is None or table.n_orders == 0:
            return self
        n_buyers = table.n_buyers
        key = distinct(table.buyer.astype(np.int64) * (int(table.sku.max()) + 1) + table.sku)
        buyer = key // (int(table.sku.max()) + 1)
        sku = key % (int(table.sku.max()) + 1)
        weight = 1.0 / np.log(np.bincount(sku)[sku] + self.c)
        alive = np.ones(buyer.size, dtype=bool)
        for _ in range(self.n_blocks):
            block = _densest(buyer[alive], sku[alive] + n_buyers, weight[alive], n_buyers)
            if block.size == 0:
                break
            self.flagged_[block] = True
            alive &= ~np.isin(buyer, block)
        return self


def _densest(
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    n_left: int,
) -> npt.NDArray[np.int64]:
    """Buyers of the peeled subset with the highest weight per node (left nodes < n_left)."""
    if left.size == 0:
        return np.zeros(0, dtype=np.int64)
    nodes, index = np.unique(np.concatenate([left, right]), return_inverse=True)
    a, b = index[: left.size], index[left.size :]
    degree = np.bincount(a, weights=weight, minlength=nodes.size)
    degree += np.bincount(b, weights=weight, minlength=nodes.size)
    order = np.argsort(np.r_[a, b], kind="stable")
    other = np.r_[b, a][order]
    edge_weight = np.r_[weight, weight][order]
    starts = np.r_[0, np.cumsum(np.bincount(np.r_[a, b], minlength=nodes.size))]
    heap = [(float(d), int(v)) for v, d in enumerate(degree.tolist())]
    heapq.heapify(heap)
    removed = np.zeros(nodes.size, dtype=bool)
    total = float(weight.sum())
    size = nodes.size
    best, best_step = total / size, 0
    peeled: list[int] = []
    current = degree.copy()
    while heap:
        d, v = heapq.heappop(heap)
        if removed[v] or d != current[v]:
            continue
        removed[v] = True
        peeled.append(v)
        total -= current[v]
        size -= 1
        for u, w in zip(
            other[starts[v] : starts[v + 1]].tolist(),
            edge_weight[starts[v] : starts[v + 1]].tolist(),
            strict=True,
        ):
            if not removed[u]:
                current[u] -= w
                heapq.heappush(heap, (float(current[u]), u))
        if size and total / size > best:
            best, best_step = total / size, len(peeled)
    keep = np.ones(nodes.size, dtype=bool)
    keep[peeled[:best_step]] = False
    chosen = nodes[keep]
    return chosen[chosen < n_left]
