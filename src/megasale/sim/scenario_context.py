"""What every population draws from: the day's catalog, cities, addresses, buyers and habits.

:func:`ordinary_orders` is the honest way to buy: SKUs by popularity, the reference curve for
time, a store in the buyer's city or shipping, and a pickup hours to days later. The honest
bulk, every crowd and the camouflage purchases of rings all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from megasale.sim.scenario_addresses import AddressBook
from megasale.sim.scenario_blocks import NOT_COLLECTED, SHIPPED, BuyerRegistry, OrderBlock
from megasale.sim.scenario_catalog import Catalog, ordinary_quantities
from megasale.sim.scenario_curve import sample_order_times
from megasale.sim.scenario_geo import Geography
from megasale.sim.scenario_types import DAY_MS, HOUR_MS, I64, MINUTE_MS

__all__ = ["DayContext", "ordinary_orders"]

_NEVER_COLLECTED = 0.08
_QUICK_COLLECTION = 0.05  # honest people who happen to live next to the store


@dataclass(slots=True)
class DayContext:
    """The shared state of one generated day; populations add buyers and addresses to it."""

    rng: np.random.Generator
    geography: Geography
    catalog: Catalog
    addresses: AddressBook
    buyers: BuyerRegistry
    pickup_share: float
    expected_buyers: int
    """How many buyers the day will have, known before they are drawn: sizes groups."""
    _ranked: dict[tuple[int, ...] | None, I64] = field(default_factory=dict)

    def times(self, n: int) -> I64:
        return sample_order_times(self.rng, n)

    def popular_skus(self, n: int) -> I64:
        return self.rng.choice(len(self.catalog.popularity), size=n, p=self.catalog.popularity)

    def top_skus(self, n: int, categories: tuple[int, ...] | None = None) -> I64:
        """The ``n`` most popular SKUs (of ``categories``) outside the quiet shops."""
        ranked = self._ranked.get(categories)
        if ranked is None:
            cat = self.catalog
            ok = ~np.isin(cat.sku_shop, cat.quiet_shops)
            if categories is not None:
                ok &= np.isin(cat.sku_category, categories)
            candidates = np.flatnonzero(ok)
            order = np.argsort(-cat.popularity[candidates], kind="stable")
            ranked = self._ranked[categories] = candidates[order].astype(np.int64)
        return ranked[:n]

    def home_cities(self, n: int) -> I64:
        return self.rng.choice(len(self.geography), size=n, p=self.geography.buyer_share)

    def registrations(self, n: int) -> I64:
        """When ordinary accounts were opened, in ms before T0: most long ago, some for the sale."""
        rng = self.rng
        days = np.clip(rng.lognormal(np.log(400), 0.9, n), 30, 3_000)
        recent = rng.random(n) < 0.2
        days[recent] = rng.uniform(0.05, 30, int(recent.sum()))
        return -(days * DAY_MS).astype(np.int64)

    def new_accounts(self, n: int, within_days: float, batches: int) -> I64:
        """Accounts opened in ``batches`` bursts of an hour within ``within_days`` before T0."""
        rng = self.rng
        starts = rng.uniform(1 / 24, within_days, batches) * DAY_MS
        batch = rng.integers(0, batches, n)
        return -(starts[batch] - rng.uniform(0, HOUR_MS, n)).astype(np.int64)

    def ordinary_delays(self, n: int) -> I64:
        """How long after ordering honest buyers collect: hours to days, a few never."""
        rng = self.rng
        hours = np.clip(rng.lognormal(np.log(30), 0.7, n), 2, 240)
        delay = (hours * HOUR_MS).astype(np.int64)
        roll = rng.random(n)
        quick = roll < _QUICK_COLLECTION
        delay[quick] = rng.integers(20 * MINUTE_MS, 2 * HOUR_MS, int(quick.sum()))
        delay[roll > 1 - _NEVER_COLLECTED] = NOT_COLLECTED
        return delay

    def quick_delays(self, n: int, low_minutes: float, high_minutes: float) -> I64:
        """Collection within minutes of ordering, the mark of resellers."""
        return (self.rng.uniform(low_minutes, high_minutes, n) * MINUTE_MS).astype(np.int64)

    def fulfil(self, cities: I64, pickup_share: float | None = None) -> tuple[I64, I64]:
        """``(store, pickup delay)`` per order: a store in the city, or shipping."""
        share = self.pickup_share if pickup_share is None else pickup_share
        n = len(cities)
        pickup = self.rng.random(n) < share
        store = np.where(pickup, self.catalog.stores_for(self.rng, cities), SHIPPED)
        delay = np.where(pickup, self.ordinary_delays(n), NOT_COLLECTED)
        return store.astype(np.int64), delay.astype(np.int64)


def ordinary_orders(
    ctx: DayContext,
    *,
    buyer: I64,
    city: I64,
    ip: I64,
    device: I64,
    payment: I64,
    phone: I64,
    address: I64,
    t_ms: I64 | None = None,
    sku: I64 | None = None,
    quantity: I64 | None = None,
    pickup_share: float | None = None,
) -> OrderBlock:
    """Ordinary purchases by the given buyers (one per position, identities per order)."""
    n = len(buyer)
    sku = ctx.popular_skus(n) if sku is None else sku
    t_ms = ctx.times(n) if t_ms is None else np.clip(t_ms, 0, DAY_MS - 1)
    if quantity is None:
        quantity = ordinary_quantities(ctx.rng, ctx.catalog.sku_category[sku])
    store, delay = ctx.fulfil(city, pickup_share)
    return OrderBlock(
        t_ms=t_ms,
        buyer=buyer,
        sku=sku,
        quantity=quantity,
        ip=ip,
        device=device,
        payment=payment,
        phone=phone,
        address=address,
        store=store,
        pickup_delay_ms=delay,
    )
