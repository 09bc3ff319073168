"""A labelled promotion day: :func:`generate_day` and the :class:`Scenario` it returns.

>>> from megasale.sim.scenario import FAMILIES, generate_day
>>> day = generate_day(FAMILIES["mixed"], seed=7, orders=5_000)
>>> len(day.orders), day.orders[0].order_id
(5000, 'o0000001')
>>> sorted({label for label, _ in day.labels.values()})[:3]
['crowd:bulk_buyer', 'crowd:campus', 'crowd:cgnat']

The same ``(config, seed, orders)`` always gives the same day, down to the bytes written: every
draw comes from one ``numpy`` generator seeded with ``seed``, and nothing reads the clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Final

import numpy as np

from megasale.sim.crowds import crowd_orders
from megasale.sim.rings import plan_rings, ring_orders
from megasale.sim.rings_coordinated import clear_brushing_windows
from megasale.sim.scenario_addresses import AddressBook
from megasale.sim.scenario_blocks import BuyerRegistry, GroupInfo, OrderBlock
from megasale.sim.scenario_catalog import Catalog, build_catalog
from megasale.sim.scenario_config import FAMILIES, ScenarioConfig
from megasale.sim.scenario_context import DayContext
from megasale.sim.scenario_geo import Geography, build_geography
from megasale.sim.scenario_honest import ORDERS_PER_BUYER, honest_orders
from megasale.sim.scenario_io import write_catalog, write_labels, write_orders
from megasale.sim.scenario_log import OrderColumns, OrderLog, OrderRow
from megasale.sim.scenario_types import I64, MINUTE_MS

__all__ = [
    "DEFAULT_ORDERS",
    "FAMILIES",
    "MIN_ORDERS",
    "GroupInfo",
    "OrderLog",
    "OrderRow",
    "Scenario",
    "ScenarioConfig",
    "generate_day",
]

DEFAULT_ORDERS: Final = 400_000
MIN_ORDERS: Final = 2_000
"""Below this, the rings and crowds no longer fit in the day."""


@dataclass(frozen=True, slots=True)
class _BuyerLabels:
    """Labels by public buyer number: buyer ``i`` is ``labels[enrolment[i]]``."""

    labels: tuple[str, ...]
    group_ids: tuple[str, ...]
    enrolment: I64

    def __len__(self) -> int:
        return len(self.enrolment)

    def pairs(self) -> list[tuple[str, str]]:
        return [(self.labels[e], self.group_ids[e]) for e in self.enrolment.tolist()]


class Scenario:
    """One generated day: its orders in time order, its labels, its catalog and its groups."""

    def __init__(
        self,
        config: ScenarioConfig,
        seed: int,
        orders: OrderLog,
        catalog: Catalog,
        geography: Geography,
        groups: tuple[GroupInfo, ...],
        buyer_labels: _BuyerLabels,
    ) -> None:
        self.config = config
        self.seed = seed
        self.orders = orders
        self.catalog = catalog
        self.geography = geography
        self.groups = groups
        """Every ring and crowd, rings first."""
        self._buyer_labels = buyer_labels  # (label, group_id) by public buyer number

    @property
    def t0(self) -> datetime:
        """When the sale opened (aware)."""
        return self.config.t0

    @cached_property
    def buyer_ids(self) -> list[str]:
        """Every buyer in the log, by public buyer number (``buyer_ids[0] == "b0000001"``)."""
        width = max(7, len(str(len(self._buyer_labels))))
        return [f"b{i:0{width}d}" for i in range(1, len(self._buyer_labels) + 1)]

    @cached_property
    def labels(self) -> Mapping[str, tuple[str, str]]:
        """``buyer_id -> (label, group_id)``; ``group_id`` is ``""`` for honest buyers."""
        return dict(zip(self.buyer_ids, self._buyer_labels.pairs(), strict=True))

    def write_orders(self, path: str | Path) -> None:
        """The order log: JSON Lines if ``path`` ends in ``.jsonl``, CSV otherwise."""
        write_orders(self.orders, Path(path))

    def write_labels(self, path: str | Path) -> None:
        """``buyer_id,label,group_id``: every buyer of the log exactly once."""
        rows = ((b, label, group) for b, (label, group) in self.labels.items())
        write_labels(rows, Path(path))

    def write_catalog(self, directory: str | Path) -> None:
        """``shops.csv``, ``skus.csv`` and ``stores.csv``."""
        write_catalog(self.catalog, self.geography, Path(directory))

    def write_groups(self, path: str | Path) -> None:
        """Every ring and crowd with its size and the parameters it was drawn with (JSON)."""
        groups = [
            {"group_id": g.group_id, "label": g.label, "buyers": g.buyers, "orders": g.orders}
            | {"params": g.params}
            for g in self.groups
        ]
        Path(path).write_text(json.dumps(groups, indent=1) + "\n", encoding="utf-8")


def generate_day(config: ScenarioConfig, seed: int, orders: int = DEFAULT_ORDERS) -> Scenario:
    """A labelled promotion day of exactly ``orders`` order lines."""
    if orders < MIN_ORDERS:
        raise ValueError(f"a day needs at least {MIN_ORDERS} orders, not {orders}")
    rng = np.random.default_rng(seed)
    expected_buyers = round(orders / ORDERS_PER_BUYER)
    geography = build_geography(rng)
    share = float(rng.uniform(*config.ring_buyer_share))
    plans = plan_rings(rng, config.ring_mix, share, expected_buyers, config.shops)
    catalog = build_catalog(
        rng,
        geography,
        shops=config.shops,
        skus=config.skus,
        quiet_shops=sum(p.kind == "shop_self" for p in plans) + config.decoy_quiet_shops,
        big_box_stores=config.big_box_stores,
        small_stores=config.small_stores,
        popularity_exponent=config.popularity_exponent,
        average_order_fen=config.average_order_fen,
    )
    ctx = DayContext(
        rng=rng,
        geography=geography,
        catalog=catalog,
        addresses=AddressBook(geography),
        buyers=BuyerRegistry(),
        pickup_share=config.pickup_share,
        expected_buyers=expected_buyers,
    )
    rings = [ring_orders(ctx, plan) for plan in plans]
    crowd_blocks, crowds = crowd_orders(ctx)
    blocks = [block for block, _ in rings] + crowd_blocks
    used = sum(len(block) for block in blocks)
    if used > orders // 2:
        raise ValueError(f"{orders} orders are too few: rings and crowds alone take {used}")
    placed = OrderBlock.concat(blocks)
    day = OrderBlock.concat([placed, honest_orders(ctx, orders - used, placed)])
    windows = [
        (int(info.params["shop"]), int(info.params["window_start_ms"]), np.unique(block.buyer))
        for block, info in rings
        if info.kind == "shop_self"
    ]
    day = clear_brushing_windows(ctx, day, windows)
    # Time order; ties (same millisecond) in random order, not in the order populations were made.
    key = (day.t_ms << 20) | rng.integers(0, 1 << 20, len(day))
    day = day.take(np.argsort(key, kind="stable"))
    return _assemble(ctx, config, seed, day, [info for _, info in rings] + crowds)


def _assemble(
    ctx: DayContext, config: ScenarioConfig, seed: int, day: OrderBlock, groups: list[GroupInfo]
) -> Scenario:
    """Public buyer numbers, registration times, stock and labels for a sorted day."""
    rng, catalog = ctx.rng, ctx.catalog
    active, first = np.unique(day.buyer, return_index=True)  # the day is sorted: first = earliest
    public = np.full(len(ctx.buyers), -1, dtype=np.int64)
    public[active] = rng.permutation(len(active))
    registered = ctx.buyers.registered_ms()
    registered[active] = np.minimum(registered[active], day.t_ms[first] - MINUTE_MS)
    units = np.bincount(day.sku, weights=day.quantity, minlength=len(catalog.sku_shop))
    catalog = catalog.with_stock(rng, units.astype(np.int64))
    drawn = int(np.dot(catalog.promo_price_fen[day.sku], day.quantity))
    catalog = catalog.repriced(config.average_order_fen * len(day) / drawn)
    collected = (day.store >= 0) & (day.pickup_delay_ms >= 0)
    columns = OrderColumns(
        t_ms=day.t_ms,
        buyer=public[day.buyer],
        shop=catalog.sku_shop[day.sku],
        sku=day.sku,
        quantity=day.quantity,
        amount_fen=catalog.promo_price_fen[day.sku] * day.quantity,
        subsidy_fen=catalog.subsidy_fen(day.sku),
        ip=day.ip,
        device=day.device,
        payment=day.payment,
        phone=day.phone,
        address=day.address,
        store=day.store,
        picked_up_ms=np.where(collected, day.t_ms + day.pickup_delay_ms, -1),
        collected=collected,
        registered_ms=registered[day.buyer],
    )
    log = OrderLog(
        columns,
        ctx.addresses,
        config.t0,
        buyers=len(active),
        shops=len(catalog.shop_names),
        skus=len(catalog.sku_shop),
        stores=len(catalog.store_names),
    )
    labels, group_ids, enrolment = ctx.buyers.labels()
    by_public = active[np.argsort(public[active])]
    return Scenario(
        config,
        seed,
        log,
        catalog,
        ctx.geography,
        _recount(groups, group_ids, enrolment[active]),
        _BuyerLabels(labels, group_ids, enrolment[by_public]),
    )


def _recount(
    groups: list[GroupInfo], group_ids: tuple[str, ...], active_enrolment: I64
) -> tuple[GroupInfo, ...]:
    """Groups with ``buyers`` counting only accounts that placed an order."""
    counts = np.bincount(active_enrolment, minlength=len(group_ids))
    where = {g: i for i, g in enumerate(group_ids) if g}
    return tuple(replace(g, buyers=int(counts[where[g.group_id]])) for g in groups)
