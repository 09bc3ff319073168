"""Subsidy farms seen by their network: the IP farm and the IP rotator.

- ``ip_farm``: new accounts on a few /24 networks, emulator device ids (one shared pool or one
  pattern), payment instruments shared across accounts, virtual-operator phones. They order the
  same few hot SKUs in bursts and collect at the farm's stores within minutes.
- ``ip_rotator``: a fresh public IP for every order, often a fresh device too, but what cannot
  be rotated cheaply stays shared: a few payment instruments, phone numbers from one block
  (the first 7 or 8 digits), and flats in one building that differ only in unit and room.
"""

from __future__ import annotations

import numpy as np

from megasale.sim.rings_common import Members, bursts, camouflage, pooled, ring_block
from megasale.sim.scenario_blocks import OrderBlock
from megasale.sim.scenario_context import DayContext
from megasale.sim.scenario_identity import (
    VIRTUAL_PREFIXES,
    device_ids,
    ip_blocks,
    patterned_device_ids,
    payment_ids,
    phone_block,
    phones,
    public_ips,
)
from megasale.sim.scenario_types import I64, MINUTE_MS

__all__ = ["ip_farm_orders", "ip_rotator_orders"]

Params = dict[str, int | float | str]


def _farm_city(ctx: DayContext) -> int:
    return int(ctx.home_cities(1)[0])


def ip_farm_orders(ctx: DayContext, group_id: str, size: int) -> tuple[OrderBlock, Params]:
    rng = ctx.rng
    subnets = ip_blocks(rng, int(rng.integers(1, 5)))
    city = _farm_city(ctx)
    shared_devices = bool(rng.random() < 0.5)
    if shared_devices:
        device = pooled(rng, device_ids(rng, max(1, size // int(rng.integers(4, 16)))), size)
    else:
        device = patterned_device_ids(rng, size)
    cards = payment_ids(rng, max(1, size // int(rng.integers(4, 20))))
    drops = ctx.addresses.homes(rng, np.full(max(1, size // 10), city))
    registered = ctx.new_accounts(size, float(rng.uniform(1, 10)), int(rng.integers(1, 4)))
    members = Members(
        buyer=ctx.buyers.enrol(registered, "ring:ip_farm", group_id),
        city=np.full(size, city),
        ip=_hosts_in(rng, subnets, size),
        device=device,
        payment=pooled(rng, cards, size),
        phone=phones(rng, size, VIRTUAL_PREFIXES),
        address=pooled(rng, drops, size),
    )
    waves = int(rng.integers(2, 7))
    participation = float(rng.uniform(0.5, 0.95))
    member, t_ms = bursts(
        rng,
        size,
        ctx.times(waves),
        rng.integers(30_000, 180_000, waves),
        participation,
        (1, 3),
    )
    n = len(member)
    rotation = float(rng.uniform(0.1, 0.9))
    ip = np.where(rng.random(n) < rotation, _hosts_in(rng, subnets, n), members.ip[member])
    targets = rng.choice(ctx.top_skus(40), size=int(rng.integers(1, 5)), replace=False)
    stores = ctx.catalog.stores_for(rng, np.full(int(rng.integers(1, 4)), city))
    own = ring_block(
        members,
        member,
        t_ms,
        sku=targets[rng.integers(0, len(targets), n)],
        quantity=np.where(rng.random(n) < 0.3, 2, 1),
        store=stores[rng.integers(0, len(stores), n)],
        delay_ms=ctx.quick_delays(n, 3, 20),
        ip=ip,
    )
    share = float(rng.uniform(0.0, 0.3))
    params: Params = {
        "subnets": len(subnets),
        "devices": "shared" if shared_devices else "patterned",
        "payment_instruments": len(cards),
        "waves": waves,
        "participation": round(participation, 3),
        "ip_rotation": round(rotation, 3),
        "camouflage": round(share, 3),
        "target_skus": len(targets),
    }
    return OrderBlock.concat([own, camouflage(ctx, members, n, share)]), params


def _hosts_in(rng: np.random.Generator, subnets: I64, n: int) -> I64:
    return subnets[rng.integers(0, len(subnets), n)] + rng.integers(1, 255, n)


def ip_rotator_orders(ctx: DayContext, group_id: str, size: int) -> tuple[OrderBlock, Params]:
    rng = ctx.rng
    city = _farm_city(ctx)
    shared_digits = 8 if rng.random() < 0.5 and size <= 500 else 7
    cards = payment_ids(rng, int(rng.integers(1, 6)))
    registered = ctx.new_accounts(size, float(rng.uniform(3, 60)), int(rng.integers(1, 6)))
    building = ctx.addresses.building(rng, city)
    members = Members(
        buyer=ctx.buyers.enrol(registered, "ring:ip_rotator", group_id),
        city=np.full(size, city),
        ip=public_ips(rng, size),
        device=device_ids(rng, size),
        payment=pooled(rng, cards, size),
        phone=phone_block(rng, size, shared_digits),
        address=ctx.addresses.flats_in(rng, building, size, distinct=True),
    )
    waves = int(rng.integers(2, 7))
    participation = float(rng.uniform(0.4, 0.9))
    member, t_ms = bursts(
        rng,
        size,
        ctx.times(waves),
        rng.integers(5 * MINUTE_MS, 20 * MINUTE_MS, waves),
        participation,
        (1, 2),
    )
    n = len(member)
    rotation = float(rng.uniform(0.3, 1.0))

    def fresh_devices(who: I64) -> I64:
        swap = rng.random(len(who)) < rotation
        return np.where(swap, device_ids(rng, len(who)), members.device[who])

    share = float(rng.uniform(0.0, 0.3))
    n_camouflage = round(n * share / (1 - share))
    ips = public_ips(rng, n + n_camouflage, unique=True)  # one per order, never reused
    targets = rng.choice(ctx.top_skus(60), size=int(rng.integers(1, 6)), replace=False)
    stores = ctx.catalog.stores_for(rng, np.full(int(rng.integers(1, 3)), city))
    own = ring_block(
        members,
        member,
        t_ms,
        sku=targets[rng.integers(0, len(targets), n)],
        quantity=np.where(rng.random(n) < 0.2, 2, 1),
        store=stores[rng.integers(0, len(stores), n)],
        delay_ms=ctx.quick_delays(n, 5, 60),
        ip=ips[:n],
        device=fresh_devices(member),
    )
    cover = camouflage(
        ctx, members, n, share, ip=lambda who: ips[n : n + len(who)], device=fresh_devices
    )
    params: Params = {
        "payment_instruments": len(cards),
        "phone_prefix_digits": shared_digits,
        "waves": waves,
        "participation": round(participation, 3),
        "device_rotation": round(rotation, 3),
        "camouflage": round(share, 3),
        "target_skus": len(targets),
    }
    return OrderBlock.concat([own, cover]), params
