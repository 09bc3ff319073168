"""Orders straight into the store, as the order writer takes them: for the benches that time
what happens to an order after HTTP (``bench_writer.py``, ``bench_dispatch.py``)."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.domain.orders import ClientContext, Fulfilment, Order, OrderLine, Pickup
from megasale.services.accounts import time_ordered_id
from megasale.services.ports import Placement
from megasale.sim.seed import Seeded, SeedPlan, seed_platform
from megasale.web.orders_api import render_placement

__all__ = ["Placements", "seed_database"]


def seed_database(db: Path) -> Seeded:
    """A fresh database at ``db``: 20,000 buyers, 50 SKUs, stock, budget and limits that never
    bind (the store closed again)."""
    platform = build_platform(Settings(db_path=db, consumers=False))
    seeded = seed_platform(
        platform,
        SeedPlan(buyers=20_000, skus=50, stock=10**8, budget_fen=10**15, limit_per_buyer=10**6),
    )
    platform.store.close()
    return seeded


class Placements:
    """New placements for ``seeded``'s buyers and SKUs, picked at random from ``seed``: each a
    new order under a new key, for one unit, fulfilled as ``where(n)`` says for the n-th."""

    def __init__(
        self,
        seeded: Seeded,
        seed: int,
        where: Callable[[int], Fulfilment] = lambda _n: Pickup("st-bj-01"),
    ) -> None:
        self._rng = random.Random(seed)
        self._buyers = [b["buyer_id"] for b in seeded.buyers]
        self._skus = [s["sku_id"] for s in seeded.skus]
        self._promotion_id = seeded.promotion_id
        self._where = where
        self.written = 0

    def __call__(self) -> Placement:
        self.written += 1
        n, now = self.written, datetime.now(UTC)
        order = Order(
            order_id=time_ordered_id("o", now),
            buyer_id=self._rng.choice(self._buyers),
            shop_id="shop-01",
            promotion_id=self._promotion_id,
            lines=(OrderLine(self._rng.choice(self._skus), "tv", 1, 300_000, 300_000, 20_000),),
            fulfilment=self._where(n),
            client=ClientContext("10.1.2.3", f"dev-{n}", f"card-{n}"),
            placed_at=now,
        )
        return Placement(order, f"bench-key-{n:012d}", os.urandom(32), render_placement)
