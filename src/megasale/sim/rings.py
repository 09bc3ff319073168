"""The labelled abuse of the day: how many rings of each kind, how big, and their orders.

A day's ring accounts are a share of its buyers (1-3 % by default, drawn per seed), split
between kinds by the family's mix. Every kind in the mix gets at least one ring. Ring sizes are
log-uniform between 5 and 200 accounts, except a merchant brushing its own shop, which has
2 to 6 accounts and needs a quiet shop of its own: at most 12 % of the shops (scaled by the
kind's weight) brush, and the accounts they leave over go to the other kinds in the mix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from megasale.sim.rings_coordinated import lockstep_orders, shop_self_orders
from megasale.sim.rings_ip import ip_farm_orders, ip_rotator_orders
from megasale.sim.scenario_blocks import GroupInfo, OrderBlock
from megasale.sim.scenario_context import DayContext
from megasale.sim.scenario_types import RING_KINDS, RingKind

__all__ = ["RING_SIZE", "RingPlan", "plan_rings", "ring_orders"]

RING_SIZE = (5, 200)
SHOP_SELF_SIZE = (2, 6)
_MOST_BRUSHING_SHOPS = 0.12
"""The share of shops that brush themselves when the mix is all ``shop_self``."""


@dataclass(frozen=True, slots=True)
class RingPlan:
    kind: RingKind
    group_id: str
    size: int
    shop: int = -1
    """The shop a ``shop_self`` ring brushes: its position among the catalog's quiet shops."""


def plan_rings(
    rng: np.random.Generator,
    mix: Mapping[RingKind, float],
    share: float,
    expected_buyers: int,
    shops: int,
) -> list[RingPlan]:
    """Rings whose accounts add up to about ``share`` of ``expected_buyers``."""
    weights = {k: float(mix.get(k, 0.0)) for k in RING_KINDS if mix.get(k, 0.0) > 0}
    if not weights:
        return []
    total = sum(weights.values())
    budget = {k: share * expected_buyers * w / total for k, w in weights.items()}
    sizes: dict[RingKind, list[int]] = {k: [] for k in weights}
    if "shop_self" in budget:
        room = max(1, round(shops * _MOST_BRUSHING_SHOPS * weights["shop_self"] / total))
        count = int(np.clip(round(budget["shop_self"] / 4), 1, room))
        sizes["shop_self"] = rng.integers(SHOP_SELF_SIZE[0], SHOP_SELF_SIZE[1] + 1, count).tolist()
        overflow = budget.pop("shop_self") - sum(sizes["shop_self"])
        rest = sum(weights[k] for k in budget)
        for kind in budget:  # the accounts shop_self could not take go to the other kinds
            budget[kind] += max(0.0, overflow) * weights[kind] / rest
    low, high = np.log(RING_SIZE[0]), np.log(RING_SIZE[1])
    for kind, accounts in budget.items():
        left = accounts
        while left >= RING_SIZE[0] or not sizes[kind]:
            size = round(float(np.exp(rng.uniform(low, high))))
            size = max(RING_SIZE[0], min(size, round(left)))
            sizes[kind].append(size)
            left -= size
    plans: list[RingPlan] = []
    for kind in RING_KINDS:
        for i, size in enumerate(sizes.get(kind, []), start=1):
            shop = i - 1 if kind == "shop_self" else -1
            plans.append(RingPlan(kind, f"ring-{kind}-{i}", int(size), shop))
    return plans


def ring_orders(ctx: DayContext, plan: RingPlan) -> tuple[OrderBlock, GroupInfo]:
    """Generate one planned ring: its accounts and all their orders, camouflage included."""
    before = len(ctx.buyers)
    if plan.kind == "ip_farm":
        block, params = ip_farm_orders(ctx, plan.group_id, plan.size)
    elif plan.kind == "ip_rotator":
        block, params = ip_rotator_orders(ctx, plan.group_id, plan.size)
    elif plan.kind == "lockstep":
        block, params = lockstep_orders(ctx, plan.group_id, plan.size)
    else:
        shop = int(ctx.catalog.quiet_shops[plan.shop])
        block, params = shop_self_orders(ctx, plan.group_id, plan.size, shop)
    info = GroupInfo(
        kind=plan.kind,
        group_id=plan.group_id,
        label=f"ring:{plan.kind}",
        buyers=len(ctx.buyers) - before,
        orders=len(block),
        params=params,
    )
    return block, info
