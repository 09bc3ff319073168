"""Households: two to five family accounts sharing an address, an IP, a computer, maybe a card.

Each member has their own phone (and their own phone as a second device); each household
shares one home address and home IP for most orders, the family computer for a share of
orders, and in about half of the households one payment card for everything. All households
of the day are generated together; each is its own labelled group.
"""

from __future__ import annotations

import numpy as np

from megasale.sim.scenario_blocks import GroupInfo, OrderBlock
from megasale.sim.scenario_context import DayContext, ordinary_orders
from megasale.sim.scenario_identity import device_ids, payment_ids, phones, public_ips
from megasale.sim.scenario_types import I64

__all__ = ["household_orders"]

_HOME_IP = 0.85  # the rest come over mobile data


def household_orders(ctx: DayContext, sizes: I64) -> tuple[OrderBlock, list[GroupInfo]]:
    """The orders of all households of the given sizes, and one group per household."""
    rng = ctx.rng
    households = len(sizes)
    group_ids = [f"crowd-household-{i}" for i in range(1, households + 1)]
    buyer = np.concatenate(
        [
            ctx.buyers.enrol(ctx.registrations(int(size)), "crowd:household", group_id)
            for size, group_id in zip(sizes.tolist(), group_ids, strict=True)
        ]
    )
    home = np.repeat(np.arange(households), sizes)  # household of each member
    members = len(home)
    city = ctx.home_cities(households)
    address = ctx.addresses.homes(rng, city)
    home_ip, computer, card = (
        public_ips(rng, households),
        device_ids(rng, households),
        payment_ids(rng, households),
    )
    one_card = rng.random(households) < 0.5
    computer_share = rng.uniform(0.5, 1.0, households)
    phone, own_device, own_card = (
        phones(rng, members),
        device_ids(rng, members),
        payment_ids(rng, members),
    )
    who = np.repeat(np.arange(members), 1 + (rng.random(members) < 0.3))
    h, n = home[who], len(who)
    block = ordinary_orders(
        ctx,
        buyer=buyer[who],
        city=city[h],
        ip=np.where(rng.random(n) < _HOME_IP, home_ip[h], public_ips(rng, n)),
        device=np.where(rng.random(n) < computer_share[h], computer[h], own_device[who]),
        payment=np.where(one_card[h], card[h], own_card[who]),
        phone=phone[who],
        address=address[h],
    )
    orders = np.bincount(h, minlength=households)
    infos = [
        GroupInfo(
            "household",
            group_id,
            "crowd:household",
            int(sizes[i]),
            int(orders[i]),
            {"one_card": int(one_card[i]), "computer_share": round(float(computer_share[i]), 3)},
        )
        for i, group_id in enumerate(group_ids)
    ]
    return block, infos
