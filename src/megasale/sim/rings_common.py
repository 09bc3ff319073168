"""What all rings share: their members' identities, their bursts, their camouflage.

A ring's own orders come in bursts (many orders in a few minutes) and are collected within
minutes; its camouflage is ordinary shopping by the same accounts, with the same identities,
so that a ring account does not look like it only ever buys the ring's goods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from megasale.sim.scenario_blocks import OrderBlock
from megasale.sim.scenario_context import DayContext, ordinary_orders
from megasale.sim.scenario_types import DAY_MS, I64

__all__ = ["Members", "bursts", "camouflage", "pooled", "ring_block"]


@dataclass(frozen=True, slots=True)
class Members:
    """A ring's accounts and the identity each one usually shows (arrays by member)."""

    buyer: I64
    city: I64
    ip: I64
    device: I64
    payment: I64
    phone: I64
    address: I64

    def __len__(self) -> int:
        return len(self.buyer)


def bursts(
    rng: np.random.Generator,
    members: int,
    starts_ms: I64,
    length_ms: I64,
    participation: float,
    orders_each: tuple[int, int],
) -> tuple[I64, I64]:
    """``(member, t_ms)`` of every order in bursts starting at ``starts_ms``.

    In each burst a ``participation`` share of the members (at least one) places between
    ``orders_each[0]`` and ``orders_each[1]`` orders at uniform times within ``length_ms``.
    """
    who: list[I64] = []
    when: list[I64] = []
    for start, length in zip(starts_ms.tolist(), length_ms.tolist(), strict=True):
        joined = np.flatnonzero(rng.random(members) < participation)
        if len(joined) == 0:
            joined = rng.integers(0, members, 1)
        count = rng.integers(orders_each[0], orders_each[1] + 1, len(joined))
        member = np.repeat(joined, count)
        who.append(member)
        when.append(start + rng.integers(0, max(length, 1), len(member)))
    t_ms = np.clip(np.concatenate(when), 0, DAY_MS - 1)
    return np.concatenate(who).astype(np.int64), t_ms.astype(np.int64)


def ring_block(
    members: Members,
    member: I64,
    t_ms: I64,
    sku: I64,
    quantity: I64,
    store: I64,
    delay_ms: I64,
    ip: I64 | None = None,
    device: I64 | None = None,
) -> OrderBlock:
    """The ring's own orders by ``member`` (positions in ``members``)."""
    return OrderBlock(
        t_ms=t_ms,
        buyer=members.buyer[member],
        sku=sku,
        quantity=quantity,
        ip=members.ip[member] if ip is None else ip,
        device=members.device[member] if device is None else device,
        payment=members.payment[member],
        phone=members.phone[member],
        address=members.address[member],
        store=store,
        pickup_delay_ms=delay_ms,
    )


def camouflage(
    ctx: DayContext,
    members: Members,
    ring_orders: int,
    share: float,
    ip: Callable[[I64], I64] | None = None,
    device: Callable[[I64], I64] | None = None,
) -> OrderBlock:
    """Ordinary purchases making up ``share`` of all the ring's orders.

    ``ip`` and ``device``, given the purchasing members, return the codes to use instead of
    the members' usual ones (for rings that rotate them on every order).
    """
    n = round(ring_orders * share / (1 - share)) if share < 1 else ring_orders
    member = ctx.rng.integers(0, len(members), n)
    return ordinary_orders(
        ctx,
        buyer=members.buyer[member],
        city=members.city[member],
        ip=members.ip[member] if ip is None else ip(member),
        device=members.device[member] if device is None else device(member),
        payment=members.payment[member],
        phone=members.phone[member],
        address=members.address[member],
    )


def pooled(rng: np.random.Generator, pool: I64, n: int) -> I64:
    """``n`` draws from ``pool``, each member of the pool used at least once when possible."""
    picks = rng.integers(0, len(pool), n)
    first = min(n, len(pool))
    picks[:first] = rng.permutation(len(pool))[:first]
    return np.asarray(pool[rng.permutation(picks)], dtype=np.int64)
