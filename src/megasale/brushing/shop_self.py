"""Shop self-brushing as a ring detector, on top of the exact shop-side rule.

The rule (:mod:`megasale.brushing.shop_rule`) marks each shop's brushing orders. A shop's
ring is the accounts that placed at least ``min_orders`` of those orders; it needs
``min_members`` such accounts, so one owner legitimately buying many units on one account is
not a ring (the rule's ``shop_brushing.csv`` still names that buyer, as the brief defines it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megasale.brushing.evidence import ring_evidence
from megasale.brushing.frame import OrderTable, distinct
from megasale.brushing.rings import Ring, RingKind
from megasale.brushing.shop_rule import brushing_orders

__all__ = ["ShopSelfBrushingDetector"]


class ShopSelfBrushingDetector:
    """Rings of accounts that inflate one shop's sales.

    Parameters
    ----------
    min_orders : int
        Brushing orders an account needs in the shop to be a member.
    min_members : int
        Smallest ring.

    Attributes
    ----------
    brushing_ : ndarray of bool
        The rule's brushing orders, per row of the fitted table.
    rings_ : list of Ring
        One ring per shop that qualifies, highest score first.

    Examples
    --------
    >>> import numpy as np
    >>> from megasale.brushing.frame import OrderTable, distinct
    >>> table = OrderTable(
    ...     order_ids=np.array([f"o{i}" for i in range(7)], dtype=object),
    ...     created=np.arange(7) * 60_000_000,
    ...     buyer=np.array([0, 0, 0, 1, 1, 1, 2], dtype=np.int32),
    ...     buyer_names=np.array(["a", "b", "c"], dtype=object),
    ...     shop=np.zeros(7, dtype=np.int32),
    ...     shop_names=np.array(["s"], dtype=object),
    ... )
    >>> [ring.members.tolist() for ring in ShopSelfBrushingDetector().fit(table).rings_]
    [[0, 1]]
    """

    def __init__(self, min_orders: int = 3, min_members: int = 2) -> None:
        self.min_orders = min_orders
        self.min_members = min_members

    def fit(self, table: OrderTable, y: object = None) -> ShopSelfBrushingDetector:
        """Apply the rule, then group each brushing shop's heavy accounts."""
        self.brushing_ = brushing_orders(table.shop, table.buyer, table.created)
        self.rings_: list[Ring] = []
        rows = np.flatnonzero(self.brushing_)
        if rows.size == 0:
            return self
        n_buyers = table.n_buyers
        key = table.shop[rows].astype(np.int64) * n_buyers + table.buyer[rows]
        pairs, counts = np.unique(key, return_counts=True)
        heavy = pairs[counts >= self.min_orders]
        shops = heavy // n_buyers
        shop_orders = np.bincount(table.shop, minlength=table.n_shops)
        for shop in distinct(shops).tolist():
            members = np.sort(heavy[shops == shop] % n_buyers).astype(np.int32)
            if members.size < self.min_members:
                continue
            in_shop = rows[table.shop[rows] == shop]
            orders = in_shop[np.isin(table.buyer[in_shop], members)]
            self.rings_.append(self._ring(table, shop, members, orders, int(shop_orders[shop])))
        self.rings_.sort(key=lambda ring: -ring.score)
        return self

    def _ring(
        self,
        table: OrderTable,
        shop: int,
        members: npt.NDArray[np.int32],
        orders: npt.NDArray[np.int64],
        shop_orders: int,
    ) -> Ring:
        evidence = ring_evidence(table, orders)
        share = orders.size / max(shop_orders, 1)
        evidence["shop_id"] = str(table.shop_names[shop])
        evidence["share_of_shop_orders"] = round(share, 3)
        evidence["brushing_orders"] = int(orders.size)
        score = round((1.0 - 1.0 / (members.size + 1)) * (0.5 + 0.5 * min(share * 2, 1.0)), 4)
        reasons = [f"brushes shop {table.shop_names[shop]} (orders / buyers >= 3 within an hour)"]
        return Ring(RingKind.SHOP_SELF, score, members, orders, reasons, evidence)
