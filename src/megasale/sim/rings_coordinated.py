"""Rings seen only by what they do together: lockstep buyers and a shop brushing itself.

- ``lockstep``: hired people on their own phones, cards, devices, IPs and addresses; nothing
  is shared. They buy the same few SKUs of the same one or two mid-ranked shops in waves (minutes to
  hours apart, each within a few minutes), collect quickly, and shop ordinarily besides.
- ``shop_self``: a merchant's own few accounts placing many orders on its own quiet shop
  within an hour, so that orders / distinct buyers reaches 3 in that hour (the brief's
  shop-side rule). They ship to the merchant's own addresses from the merchant's office.
"""

from __future__ import annotations

import numpy as np

from megasale.sim.rings_common import Members, bursts, camouflage, pooled, ring_block
from megasale.sim.scenario_blocks import SHIPPED, OrderBlock
from megasale.sim.scenario_context import DayContext
from megasale.sim.scenario_identity import (
    device_ids,
    neighbouring_ips,
    payment_ids,
    phones,
    public_ips,
)
from megasale.sim.scenario_types import DAY_MS, HOUR_MS, I64, MINUTE_MS

__all__ = [
    "BRUSHING_WINDOW_MS",
    "clear_brushing_windows",
    "lockstep_orders",
    "shop_self_orders",
]

Params = dict[str, int | float | str]
_MID_RANKS = (100, 600)
BRUSHING_WINDOW_MS = HOUR_MS
"""The window of the shop-side rule: a shop's self-orders all fall in one such hour."""


def _own_identities(ctx: DayContext, buyer: I64, city: I64) -> Members:
    rng, n = ctx.rng, len(buyer)
    return Members(
        buyer=buyer,
        city=city,
        ip=public_ips(rng, n),
        device=device_ids(rng, n),
        payment=payment_ids(rng, n),
        phone=phones(rng, n),
        address=ctx.addresses.homes(rng, city),
    )


def lockstep_orders(ctx: DayContext, group_id: str, size: int) -> tuple[OrderBlock, Params]:
    rng, catalog = ctx.rng, ctx.catalog
    cities = ctx.home_cities(int(rng.integers(1, 4)))
    buyer = ctx.buyers.enrol(ctx.registrations(size), "ring:lockstep", group_id)
    members = _own_identities(ctx, buyer, cities[rng.integers(0, len(cities), size)])
    # Shops that sell but do not lead: the ones that hire buyers to climb the rankings.
    shops = np.unique(catalog.sku_shop[ctx.top_skus(_MID_RANKS[1])[_MID_RANKS[0] :]])
    shops = rng.choice(shops, size=min(len(shops), int(rng.integers(1, 3))), replace=False)
    shop_skus = np.flatnonzero(np.isin(catalog.sku_shop, shops))
    targets = rng.choice(
        shop_skus, size=min(len(shop_skus), int(rng.integers(1, 4))), replace=False
    )
    waves = int(rng.integers(3, 9))
    gaps = rng.integers(10 * MINUTE_MS, 3 * HOUR_MS, waves - 1)
    starts = np.concatenate([[0], np.cumsum(gaps)]) + int(ctx.times(1)[0])
    starts -= max(0, int(starts[-1]) - (DAY_MS - 5 * MINUTE_MS))  # keep every wave in the day
    participation = float(rng.uniform(0.6, 0.95))
    member, t_ms = bursts(
        rng, size, starts, rng.integers(MINUTE_MS, 4 * MINUTE_MS, waves), participation, (1, 1)
    )
    n = len(member)
    pickup = rng.random(n) < 0.9
    own = ring_block(
        members,
        member,
        t_ms,
        sku=targets[rng.integers(0, len(targets), n)],
        quantity=np.ones(n, dtype=np.int64),
        store=np.where(pickup, catalog.stores_for(rng, members.city[member]), SHIPPED),
        delay_ms=np.where(pickup, ctx.quick_delays(n, 10, 90), -1),
    )
    share = float(rng.uniform(0.1, 0.5))
    params: Params = {
        "shops": len(shops),
        "target_skus": len(targets),
        "waves": waves,
        "participation": round(participation, 3),
        "camouflage": round(share, 3),
        "cities": len(np.unique(cities)),
    }
    return OrderBlock.concat([own, camouflage(ctx, members, n, share)]), params


def shop_self_orders(
    ctx: DayContext, group_id: str, size: int, shop: int
) -> tuple[OrderBlock, Params]:
    """Orders by ``size`` accounts of the merchant of ``shop``, in one hour of the quiet tail."""
    rng, catalog = ctx.rng, ctx.catalog
    city = int(ctx.home_cities(1)[0])
    office = neighbouring_ips(rng, int(rng.integers(1, 3)))
    buyer = ctx.buyers.enrol(ctx.registrations(size), "ring:shop_self", group_id)
    members = Members(
        buyer=buyer,
        city=np.full(size, city),
        ip=pooled(rng, office, size),
        device=pooled(rng, device_ids(rng, int(rng.integers(1, 4))), size),
        payment=payment_ids(rng, size),
        phone=phones(rng, size),
        address=pooled(rng, ctx.addresses.homes(rng, np.full(2, city)), size),
    )
    per_account = rng.integers(3, 9, size)  # three or more each: the ratio reaches 3 alone
    member = np.repeat(np.arange(size), per_account)
    n = len(member)
    start = int(rng.integers(3 * HOUR_MS, 20 * HOUR_MS))
    length = int(rng.integers(15 * MINUTE_MS, 50 * MINUTE_MS))
    t_ms = start + rng.integers(0, length, n)
    t_ms[0] = start
    skus = catalog.skus_of(shop)
    own = ring_block(
        members,
        member,
        t_ms,
        sku=skus[rng.integers(0, len(skus), n)],
        quantity=np.ones(n, dtype=np.int64),
        store=np.full(n, SHIPPED),
        delay_ms=np.full(n, -1),
    )
    share = float(rng.uniform(0.0, 0.2))
    params: Params = {
        "shop": shop,
        "window_start_ms": start,
        "window_minutes": round(length / MINUTE_MS, 1),
        "self_orders": n,
        "camouflage": round(share, 3),
    }
    return OrderBlock.concat([own, camouflage(ctx, members, n, share)]), params


def clear_brushing_windows(
    ctx: DayContext, block: OrderBlock, windows: list[tuple[int, int, I64]]
) -> OrderBlock:
    """Move other buyers' orders at a brushing shop out of its brushing hour.

    ``windows`` holds ``(shop, start_ms, the merchant's buyers)``. A quiet shop still sells a
    little to the public; an honest order inside the hour could pull the ratio below 3, so it
    is placed at another time of the day instead (the day keeps its size and its curve).
    """
    t_ms = block.t_ms.copy()
    shop = ctx.catalog.sku_shop[block.sku]
    for target, start, own in windows:
        end = start + BRUSHING_WINDOW_MS
        others = np.flatnonzero(shop == target)
        others = others[~np.isin(block.buyer[others], own)]
        while True:
            inside = others[(t_ms[others] >= start) & (t_ms[others] <= end)]
            if len(inside) == 0:
                break
            t_ms[inside] = ctx.times(len(inside))
    return block.with_times(t_ms)
