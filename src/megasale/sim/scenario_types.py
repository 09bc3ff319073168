"""Array aliases and the label vocabulary shared by the scenario modules."""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "CROWD_KINDS",
    "DAY_MS",
    "F64",
    "HOUR_MS",
    "I64",
    "MINUTE_MS",
    "RING_KINDS",
    "SECOND_MS",
    "CrowdKind",
    "RingKind",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

RingKind = Literal["ip_farm", "ip_rotator", "lockstep", "shop_self"]
CrowdKind = Literal["campus", "office", "household", "cgnat", "bulk_buyer"]
RING_KINDS: Final[tuple[RingKind, ...]] = ("ip_farm", "ip_rotator", "lockstep", "shop_self")
CROWD_KINDS: Final[tuple[CrowdKind, ...]] = (
    "campus",
    "office",
    "household",
    "cgnat",
    "bulk_buyer",
)

SECOND_MS: Final = 1_000
MINUTE_MS: Final = 60 * SECOND_MS
HOUR_MS: Final = 60 * MINUTE_MS
DAY_MS: Final = 24 * HOUR_MS
