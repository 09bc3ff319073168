"""Evidence a person can check for a ring: shared identifiers, waves, items, pickup times."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from megasale.brushing.frame import MISSING, OrderTable, distinct

__all__ = ["IDENTIFIER_VIEWS", "ring_evidence", "shared_values"]

IDENTIFIER_VIEWS = (
    "payment",
    "device",
    "device_family",
    "phone",
    "phone_block",
    "building",
    "subnet",
    "ip",
)
_MINUTE_US = 60_000_000
_DAY_US = 86_400_000_000
_SHOWN = 10


def _iso(us: int) -> str:
    return str(np.datetime64(int(us), "us")) + "Z"


def shared_values(
    table: OrderTable, view: str, orders: npt.NDArray[np.int64], limit: int = _SHOWN
) -> list[dict[str, Any]]:
    """Values of ``view`` used by two or more buyers on the rows ``orders``, most shared first."""
    codes = getattr(table, view)
    if codes is None:
        return []
    rows = orders[codes[orders] != MISSING]
    if rows.size == 0:
        return []
    pairs = distinct(codes[rows].astype(np.int64) * table.n_buyers + table.buyer[rows])
    # The pairs are sorted, so their values too: buyers per value by run lengths (what
    # ``np.unique(return_counts=True)`` gives, without its sort and overhead, 2,500 calls).
    by_value = pairs // table.n_buyers
    starts = np.flatnonzero(np.r_[True, by_value[1:] != by_value[:-1]])
    values, counts = by_value[starts], np.diff(np.r_[starts, by_value.size])
    top = np.argsort(-counts, kind="stable")
    names = table.names[view]
    return [
        {"value": str(names[values[i]]), "buyers": int(counts[i])}
        for i in top[:limit].tolist()
        if counts[i] >= 2
    ]


def ring_evidence(table: OrderTable, orders: npt.NDArray[np.int64]) -> dict[str, Any]:
    """Shared identifiers, items, time span, pickup delays and account ages of a ring."""
    evidence: dict[str, Any] = {}
    shared = {view: shared_values(table, view, orders) for view in IDENTIFIER_VIEWS}
    evidence["shared"] = {view: values for view, values in shared.items() if values}
    for view in ("ip", "subnet", "device"):
        codes = getattr(table, view)
        if codes is not None:
            used = codes[orders]
            evidence[f"distinct_{view}s"] = int(distinct(used[used != MISSING]).size)
    created = table.created[orders]
    evidence["first_order"] = _iso(int(created.min()))
    evidence["last_order"] = _iso(int(created.max()))
    if table.sku is not None and table.sku_names is not None:
        skus, counts = np.unique(table.sku[orders], return_counts=True)
        top = np.argsort(-counts, kind="stable")[:_SHOWN]
        evidence["items"] = [
            {"sku_id": str(table.sku_names[skus[i]]), "orders": int(counts[i])}
            for i in top.tolist()
            if skus[i] != MISSING
        ]
    shops, counts = np.unique(table.shop[orders], return_counts=True)
    top = np.argsort(-counts, kind="stable")[:_SHOWN]
    evidence["shops"] = [
        {"shop_id": str(table.shop_names[shops[i]]), "orders": int(counts[i])} for i in top.tolist()
    ]
    if table.picked_up is not None:
        picked = table.picked_up[orders]
        done = picked != MISSING
        evidence["picked_up_orders"] = int(done.sum())
        if done.any():
            delay = (picked[done] - created[done]) / _MINUTE_US
            evidence["pickup_minutes_median"] = round(float(np.median(delay)), 1)
    if table.registered is not None:
        registered = table.registered[orders]
        known = registered != MISSING
        if known.any():
            age = (created[known] - registered[known]) / _DAY_US
            evidence["account_age_days_median"] = round(float(np.median(age)), 1)
    return evidence
