"""Honest crowds that look like rings at first sight: the hard negatives.

- ``campus``: hundreds of students behind a handful of NAT IPs buying the same hot items in the
  same minute, from dorms of one campus; own devices, phones and cards; normal pickups.
- ``office``: colleagues ordering the same fridge together to the same office, from one to
  three office IPs; own devices, phones and cards.
- ``household``: family accounts at one address (see :mod:`megasale.sim.crowds_household`).
- ``cgnat``: hundreds to thousands of strangers behind a few carrier NAT addresses, otherwise
  ordinary in every way.
- ``bulk_buyer``: a small shop owner buying many units of one hot SKU on one account.

How many groups of each kind, and how big, grows with the day's expected buyers, so that a small
test day still holds at least one of each.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from megasale.sim.crowds_household import household_orders
from megasale.sim.scenario_blocks import GroupInfo, OrderBlock
from megasale.sim.scenario_catalog import CATEGORIES
from megasale.sim.scenario_context import DayContext, ordinary_orders
from megasale.sim.scenario_geo import DISTRICTS_PER_CITY, ROADS
from megasale.sim.scenario_identity import (
    device_ids,
    neighbouring_ips,
    payment_ids,
    phones,
    public_ips,
)
from megasale.sim.scenario_types import I64, MINUTE_MS, CrowdKind

__all__ = ["crowd_orders"]

Params = dict[str, int | float | str]
_Make = Callable[[DayContext, str, int], tuple[OrderBlock, Params]]
_CAMPUS_ROAD = ROADS.index("Xueyuan Road")
_FRIDGE = CATEGORIES.index("fridge")


def crowd_orders(ctx: DayContext) -> tuple[list[OrderBlock], list[GroupInfo]]:
    """The orders of every crowd of the day, and the crowds."""
    eb, rng = ctx.expected_buyers, ctx.rng
    plan: list[tuple[CrowdKind, _Make, I64]] = [
        ("campus", _campus, _sizes(rng, eb / 60_000, (100, 600), 0.02 * eb, 20)),
        ("office", _office, _sizes(rng, eb / 8_000, (5, 40), 0.003 * eb, 5)),
        ("cgnat", _cgnat, _sizes(rng, eb / 100_000, (500, 5_000), 0.03 * eb, 30)),
        ("bulk_buyer", _bulk_buyer, _sizes(rng, eb / 30_000, (1, 1), 1, 1)),
    ]
    blocks: list[OrderBlock] = []
    infos: list[GroupInfo] = []
    for kind, make, sizes in plan:
        for i, size in enumerate(sizes.tolist(), start=1):
            group_id = f"crowd-{kind}-{i}"
            before = len(ctx.buyers)
            block, params = make(ctx, group_id, size)
            buyers = len(ctx.buyers) - before
            blocks.append(block)
            infos.append(GroupInfo(kind, group_id, f"crowd:{kind}", buyers, len(block), params))
    block, households = household_orders(ctx, _sizes(rng, eb / 350, (2, 5), 5, 2))
    return [*blocks, block], [*infos, *households]


def _sizes(
    rng: np.random.Generator, count: float, size: tuple[int, int], cap: float, floor: int
) -> I64:
    """``count`` (at least one) group sizes in ``size``, capped at ``cap``, at least ``floor``."""
    sizes = rng.integers(size[0], size[1] + 1, max(1, round(count)))
    return np.clip(sizes, floor, max(floor, int(cap))).astype(np.int64)


def _campus(ctx: DayContext, group_id: str, size: int) -> tuple[OrderBlock, Params]:
    rng = ctx.rng
    city = int(rng.choice(np.flatnonzero(ctx.geography.tier <= 2)))
    district = int(ctx.geography.districts[city, rng.integers(0, DISTRICTS_PER_CITY)])
    dorm = ctx.addresses.add(
        np.full(size, city),
        np.full(size, district),
        np.full(size, _CAMPUS_ROAD),
        np.full(size, int(rng.integers(1, 1000))),
        rng.integers(1, 41, size),
        rng.integers(1, 5, size),
        rng.integers(1, 7, size) * 100 + rng.integers(1, 31, size),
    )
    nat = neighbouring_ips(rng, int(rng.integers(1, 6)))
    buyer = ctx.buyers.enrol(ctx.registrations(size), "crowd:campus", group_id)
    device, card, phone = device_ids(rng, size), payment_ids(rng, size), phones(rng, size)
    hot = rng.choice(ctx.top_skus(20), size=int(rng.integers(1, 4)), replace=False)
    moment = 0 if rng.random() < 0.6 else int(ctx.times(1)[0])
    again = np.flatnonzero(rng.random(size) < 0.2)  # some come back for something else
    who = np.concatenate([np.arange(size), again])
    n, rush = len(who), np.arange(len(who)) < size
    block = ordinary_orders(
        ctx,
        buyer=buyer[who],
        city=np.full(n, city),
        ip=nat[rng.integers(0, len(nat), n)],
        device=device[who],
        payment=card[who],
        phone=phone[who],
        address=dorm[who],
        t_ms=np.where(rush, moment + rng.integers(0, MINUTE_MS, n), ctx.times(n)),
        sku=np.where(rush, hot[rng.integers(0, len(hot), n)], ctx.popular_skus(n)),
        pickup_share=0.5,
    )
    return block, {"nat_ips": len(nat), "hot_skus": len(hot), "minute": moment // MINUTE_MS}


def _office(ctx: DayContext, group_id: str, size: int) -> tuple[OrderBlock, Params]:
    rng = ctx.rng
    city = int(ctx.home_cities(1)[0])
    building = ctx.addresses.building(rng, city)
    suite = ctx.addresses.flats_in(rng, building, 1, distinct=False)
    desks = ctx.addresses.flats_in(rng, building, size, distinct=False)
    address = np.where(rng.random(size) < 0.8, suite[0], desks)
    egress = neighbouring_ips(rng, int(rng.integers(1, 4)))
    fridge = int(rng.choice(ctx.top_skus(10, categories=(_FRIDGE,))))
    moment = int(ctx.times(1)[0])
    spread = int(rng.integers(2, 11)) * MINUTE_MS
    block = ordinary_orders(
        ctx,
        buyer=ctx.buyers.enrol(ctx.registrations(size), "crowd:office", group_id),
        city=np.full(size, city),
        ip=egress[rng.integers(0, len(egress), size)],
        device=device_ids(rng, size),
        payment=payment_ids(rng, size),
        phone=phones(rng, size),
        address=address,
        t_ms=moment + rng.integers(0, spread, size),
        sku=np.full(size, fridge),
        pickup_share=0.2,
    )
    return block, {"egress_ips": len(egress), "minutes": spread // MINUTE_MS}


def _cgnat(ctx: DayContext, group_id: str, size: int) -> tuple[OrderBlock, Params]:
    rng = ctx.rng
    cities = ctx.home_cities(int(rng.integers(1, 4)))
    nat = neighbouring_ips(rng, int(rng.integers(1, 5)))
    buyer = ctx.buyers.enrol(ctx.registrations(size), "crowd:cgnat", group_id)
    city = cities[rng.integers(0, len(cities), size)]
    who = np.repeat(np.arange(size), rng.choice(3, size=size, p=[0.78, 0.16, 0.06]) + 1)
    n = len(who)
    block = ordinary_orders(
        ctx,
        buyer=buyer[who],
        city=city[who],
        ip=nat[rng.integers(0, len(nat), n)],
        device=device_ids(rng, size)[who],
        payment=payment_ids(rng, size)[who],
        phone=phones(rng, size)[who],
        address=ctx.addresses.homes(rng, city)[who],
    )
    return block, {"nat_ips": len(nat), "cities": len(np.unique(cities))}


def _bulk_buyer(ctx: DayContext, group_id: str, size: int) -> tuple[OrderBlock, Params]:
    rng = ctx.rng
    city = ctx.home_cities(1)
    n = int(rng.integers(1, 4))
    sku = int(rng.choice(ctx.top_skus(30)))
    buyer = ctx.buyers.enrol(ctx.registrations(1), "crowd:bulk_buyer", group_id)
    block = ordinary_orders(
        ctx,
        buyer=np.repeat(buyer, n),
        city=np.repeat(city, n),
        ip=np.repeat(public_ips(rng, 1), n),
        device=np.repeat(device_ids(rng, 1), n),
        payment=np.repeat(payment_ids(rng, 1), n),
        phone=np.repeat(phones(rng, 1), n),
        address=np.repeat(ctx.addresses.homes(rng, city), n),
        sku=np.full(n, sku),
        quantity=rng.integers(5, 41, n),
    )
    return block, {"orders": n, "units": int(block.quantity.sum())}
