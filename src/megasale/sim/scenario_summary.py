"""A generated day in a few numbers: size, GMV against the reference curve, rings and crowds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from megasale.sim.scenario import Scenario
from megasale.sim.scenario_curve import REFERENCE_MILESTONES
from megasale.sim.scenario_types import MINUTE_MS

__all__ = ["DaySummary", "GroupTally", "summarise"]


@dataclass(frozen=True, slots=True)
class GroupTally:
    """All groups of one kind: how many, and their buyers and orders together."""

    label: str
    groups: int
    buyers: int
    orders: int


@dataclass(frozen=True, slots=True)
class DaySummary:
    family: str
    seed: int
    orders: int
    buyers: int
    gmv_fen: int
    subsidy_fen: int
    gmv_share_by_minute: tuple[tuple[int, float, float], ...]
    """(minute, share of the day's GMV by then, the reference day's share)."""
    tallies: tuple[GroupTally, ...]
    """Rings first, then crowds, in order of label."""

    @property
    def ring_buyers(self) -> int:
        return sum(t.buyers for t in self.tallies if t.label.startswith("ring:"))

    def lines(self) -> list[str]:
        """The summary as printed by ``megasale generate-day``."""
        out = [
            f"family {self.family}, seed {self.seed}: {self.orders:,} orders, "
            f"{self.buyers:,} buyers, GMV {self.gmv_fen // 100:,} yuan, "
            f"subsidy {self.subsidy_fen // 100:,} yuan",
            "GMV by minute (share of day, reference): "
            + ", ".join(f"{m}: {got:.0%} ({ref:.0%})" for m, got, ref in self.gmv_share_by_minute),
            f"ring buyers: {self.ring_buyers:,} ({self.ring_buyers / max(self.buyers, 1):.1%})",
        ]
        for t in self.tallies:
            out.append(
                f"  {t.label:<18} {t.groups:>5} groups {t.buyers:>7,} buyers {t.orders:>8,} orders"
            )
        return out


def summarise(scenario: Scenario) -> DaySummary:
    columns = scenario.orders.columns
    gmv = int(columns.amount_fen.sum())
    total_by_reference = REFERENCE_MILESTONES[-1][1]
    shares = tuple(
        (
            minute,
            float(columns.amount_fen[columns.t_ms < minute * MINUTE_MS].sum()) / max(gmv, 1),
            yuan / total_by_reference,
        )
        for minute, yuan in REFERENCE_MILESTONES[:-1]
    )
    tallies: dict[str, list[int]] = {}
    for group in scenario.groups:
        tally = tallies.setdefault(group.label, [0, 0, 0])
        tally[0] += 1
        tally[1] += group.buyers
        tally[2] += group.orders
    ordered = sorted(tallies, key=lambda label: (not label.startswith("ring:"), label))
    return DaySummary(
        family=scenario.config.name,
        seed=scenario.seed,
        orders=len(scenario.orders),
        buyers=len(np.unique(columns.buyer)),
        gmv_fen=gmv,
        subsidy_fen=int(columns.subsidy_fen.sum()),
        gmv_share_by_minute=shares,
        tallies=tuple(GroupTally(label, *tallies[label]) for label in ordered),
    )
