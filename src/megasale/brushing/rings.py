"""A ring: the buyers a detector flags together, the orders they placed, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Ring", "RingKind", "linked_groups"]


class RingKind(StrEnum):
    """The ring kinds of the labels file and of ``rings.json``."""

    IP_FARM = "ip_farm"
    IP_ROTATOR = "ip_rotator"
    LOCKSTEP = "lockstep"
    SHOP_SELF = "shop_self"


@dataclass(eq=False)
class Ring:
    """Buyers flagged together.

    ``members`` are buyer codes and ``orders`` row indices of the :class:`OrderTable` the
    detector was fitted on, both ascending. ``score`` is in ``[0, 1]``, higher is surer.
    ``evidence`` holds what a person can check: shared identifiers, waves, items, pickup times.
    """

    kind: RingKind
    score: float
    members: npt.NDArray[np.int32]
    orders: npt.NDArray[np.int64]
    reasons: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)
    ring_id: str = ""


def linked_groups(
    n_nodes: int, left: npt.NDArray[np.integer[Any]], right: npt.NDArray[np.integer[Any]]
) -> npt.NDArray[np.int64]:
    """The connected group of every node of an undirected graph given by its edges.

    Groups are numbered in the order of their smallest node, as
    ``scipy.sparse.csgraph.connected_components`` numbers them (whose import, with the
    sparse linear algebra it pulls in, costs a tenth of a second). Each round hooks the
    larger root of every edge under the smaller and then follows parents to the roots, so
    every node ends under the smallest node of its group.

    >>> linked_groups(6, np.array([4, 1, 3]), np.array([2, 5, 2])).tolist()
    [0, 1, 2, 2, 2, 1]
    """
    parent = np.arange(n_nodes, dtype=np.int64)
    left, right = left.astype(np.int64), right.astype(np.int64)
    while True:
        low = np.minimum(parent[left], parent[right])
        high = np.maximum(parent[left], parent[right])
        apart = low != high
        if not apart.any():
            break
        left, right = left[apart], right[apart]  # edges within one group are done
        np.minimum.at(parent, high[apart], low[apart])
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    starts = np.zeros(n_nodes, dtype=bool)
    starts[parent] = True  # the roots: each group's smallest node
    labels: npt.NDArray[np.int64] = (np.cumsum(starts) - 1)[parent]
    return labels
