"""What a generated day is made of, and the named families of days.

A :class:`ScenarioConfig` only fixes the shape of a day; everything it leaves open (ring sizes,
densities, camouflage, rotation rates, waves, crowd sizes) is drawn from the seed. Each family
emphasises one ring kind, ``mixed`` has all four in equal measure, and every family holds all
the honest crowds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Final

from megasale.sim.scenario_types import RING_KINDS, RingKind

__all__ = ["CHINA_STANDARD_TIME", "FAMILIES", "REFERENCE_T0", "ScenarioConfig"]

CHINA_STANDARD_TIME: Final = timezone(timedelta(hours=8), "CST")
REFERENCE_T0: Final = datetime(2026, 11, 10, 20, 0, tzinfo=CHINA_STANDARD_TIME)
"""The sale opens at 20:00 the evening before the big day, as the large platforms' do."""


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    """The shape of one promotion day."""

    name: str
    ring_mix: Mapping[RingKind, float]
    """Relative share of the ring accounts that each ring kind gets; kinds left out get none."""
    ring_buyer_share: tuple[float, float] = (0.01, 0.03)
    """The share of buyers in rings is drawn uniformly from this range."""
    t0: datetime = REFERENCE_T0
    shops: int = 320
    skus: int = 2_400
    big_box_stores: int = 300
    small_stores: int = 2_000
    average_order_fen: int = 150_000
    pickup_share: float = 0.35
    """The share of honest orders collected at a partner store rather than shipped."""
    popularity_exponent: float = 1.05
    """Zipf exponent of SKU popularity: higher, and the hot SKUs take more."""
    decoy_quiet_shops: int = 3
    """Quiet shops that sell almost nothing and do not brush: they look like brushing shops."""

    def __post_init__(self) -> None:
        if self.t0.utcoffset() is None:
            raise ValueError("t0 must be an aware datetime")
        unknown = set(self.ring_mix) - set(RING_KINDS)
        if unknown:
            raise ValueError(f"unknown ring kinds: {sorted(unknown)}")
        if any(w < 0 for w in self.ring_mix.values()):
            raise ValueError("ring_mix weights must not be negative")
        low, high = self.ring_buyer_share
        if not 0 <= low <= high < 0.5:
            raise ValueError("ring_buyer_share must be a range within [0, 0.5)")


def _emphasis(kind: RingKind) -> dict[RingKind, float]:
    return {k: (0.85 if k == kind else 0.05) for k in RING_KINDS}


FAMILIES: Final[Mapping[str, ScenarioConfig]] = MappingProxyType(
    {
        "ip_farm": ScenarioConfig("ip_farm", _emphasis("ip_farm")),
        "ip_rotator": ScenarioConfig("ip_rotator", _emphasis("ip_rotator")),
        "lockstep": ScenarioConfig("lockstep", _emphasis("lockstep")),
        "shop_self": ScenarioConfig("shop_self", _emphasis("shop_self")),
        "mixed": ScenarioConfig("mixed", dict.fromkeys(RING_KINDS, 0.25)),
    }
)
"""The named families: each emphasises its ring kind (85 % of ring accounts, 5 % for each other
kind); ``mixed`` splits evenly."""
