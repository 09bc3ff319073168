"""When the day's orders arrive: the reference day's front-loaded curve.

The brief's reference day (T0 at 20:00): GMV passes 80M yuan within the first few minutes,
200M by minute 7, 290M by minute 10 and 600M after 24 hours. Orders carry about the same average
amount all day, so the share of orders placed by a time follows the share of GMV. The curve is
piecewise linear in that cumulative share: steep for ten minutes, then an evening tail, a
quiet night and a second, smaller daytime wave.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from megasale.sim.scenario_types import DAY_MS, I64, MINUTE_MS

__all__ = [
    "REFERENCE_MILESTONES",
    "sample_order_times",
    "sample_order_times_around",
]

REFERENCE_MILESTONES: Final[tuple[tuple[int, int], ...]] = (
    (3, 80_000_000),
    (7, 200_000_000),
    (10, 290_000_000),
    (1_440, 600_000_000),
)
"""(minutes after T0, cumulative GMV in yuan) on the reference day."""

_KNOT_MINUTES = np.array(
    [0, 1, 3, 7, 10, 15, 30, 60, 120, 240, 480, 720, 960, 1_200, 1_380, 1_440], dtype=np.float64
)
_KNOT_SHARE = np.array(
    [
        0.0, 0.055, 80 / 600, 200 / 600, 290 / 600, 0.515, 0.56, 0.60, 0.64, 0.67, 0.68, 0.70,
        0.78, 0.86, 0.95, 1.0,
    ],
    dtype=np.float64,
)  # fmt: skip


def sample_order_times(rng: np.random.Generator, n: int) -> I64:
    """``n`` order times in milliseconds after T0, drawn from the reference curve."""
    minutes = np.interp(rng.random(n), _KNOT_SHARE, _KNOT_MINUTES)
    return np.minimum((minutes * MINUTE_MS).astype(np.int64), DAY_MS - 1)


def sample_order_times_around(
    rng: np.random.Generator, n: int, placed_ms: I64, placed_fen: I64, mean_fen: float
) -> I64:
    """``n`` order times worth ``mean_fen`` each on average, placed so that together with the
    orders already placed (at ``placed_ms``, worth ``placed_fen``) the day's GMV follows the
    reference curve: the honest bulk fills in around the rings' and crowds' bursts.

    The curve is linear between its knots, so each stretch between two knots gets what it is
    still owed, spread evenly over the stretch.
    """
    edges = (_KNOT_MINUTES * MINUTE_MS).astype(np.int64)
    expected = (float(placed_fen.sum()) + n * mean_fen) * np.diff(_KNOT_SHARE)
    owed = np.maximum(expected - np.histogram(placed_ms, edges, weights=placed_fen)[0], 0.0)
    stretch = rng.choice(len(owed), size=n, p=owed / owed.sum())
    width = np.diff(edges)[stretch]
    return edges[stretch] + (rng.random(n) * width).astype(np.int64)
