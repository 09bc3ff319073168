"""A ring: the buyers a detector flags together, the orders they placed, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Ring", "RingKind"]


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
