"""The honest bulk of the day: ordinary buyers, each with their own everything.

Most buy once, some two or three times. Each has a home city, an address there, a phone, a
payment instrument, a device and a home IP. A repeat order sometimes comes from another IP
(mobile data), another device or another card, as real people's do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np

from megasale.sim.scenario_blocks import OrderBlock
from megasale.sim.scenario_context import DayContext, ordinary_orders
from megasale.sim.scenario_curve import sample_order_times_around
from megasale.sim.scenario_identity import device_ids, payment_ids, phones, public_ips
from megasale.sim.scenario_types import I64

__all__ = ["ORDERS_PER_BUYER", "honest_orders"]

_ORDER_COUNT_P = np.array([0.78, 0.16, 0.06])
ORDERS_PER_BUYER: Final = float(np.dot(_ORDER_COUNT_P, [1, 2, 3]))
"""The mean number of orders of an honest buyer."""
_OTHER_IP, _OTHER_DEVICE, _OTHER_CARD = 0.3, 0.1, 0.05


def honest_orders(ctx: DayContext, n_orders: int, placed: OrderBlock) -> OrderBlock:
    """Exactly ``n_orders`` orders by new honest buyers, timed around the orders already
    ``placed`` so that the whole day's GMV follows the reference curve."""
    rng = ctx.rng
    counts = _orders_per_buyer(rng, n_orders)
    n = len(counts)
    buyers = ctx.buyers.enrol(ctx.registrations(n), "honest")
    city = ctx.home_cities(n)
    owner = np.repeat(np.arange(n), counts)
    repeat = np.ones(n_orders, dtype=bool)
    repeat[np.concatenate([[0], np.cumsum(counts)[:-1]])] = False
    return ordinary_orders(
        ctx,
        buyer=buyers[owner],
        city=city[owner],
        ip=_sometimes_other(rng, public_ips(rng, n)[owner], repeat, _OTHER_IP, public_ips),
        device=_sometimes_other(rng, device_ids(rng, n)[owner], repeat, _OTHER_DEVICE, device_ids),
        payment=_sometimes_other(rng, payment_ids(rng, n)[owner], repeat, _OTHER_CARD, payment_ids),
        phone=phones(rng, n)[owner],
        address=ctx.addresses.homes(rng, city)[owner],
        t_ms=sample_order_times_around(
            rng,
            n_orders,
            placed.t_ms,
            ctx.catalog.promo_price_fen[placed.sku] * placed.quantity,
            ctx.catalog.ordinary_order_fen(),
        ),
    )


def _orders_per_buyer(rng: np.random.Generator, n_orders: int) -> I64:
    guess = int(n_orders / ORDERS_PER_BUYER * 1.1) + 10
    counts = rng.choice(3, size=guess, p=_ORDER_COUNT_P).astype(np.int64) + 1
    total = np.cumsum(counts)
    n = int(np.searchsorted(total, n_orders)) + 1  # the first prefix reaching n_orders
    counts = counts[:n]
    counts[-1] -= int(total[n - 1]) - n_orders
    return counts


def _sometimes_other(
    rng: np.random.Generator,
    usual: I64,
    repeat: np.ndarray,
    share: float,
    fresh: Callable[[np.random.Generator, int], I64],
) -> I64:
    """``usual``, except that a ``share`` of repeat orders get a fresh code."""
    swap = repeat & (rng.random(len(usual)) < share)
    out = usual.copy()
    out[swap] = fresh(rng, int(swap.sum()))
    return out
