"""Whatever the family, seed and size: exact size, full labels, prices that add up."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from megasale.sim.scenario import FAMILIES, generate_day


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    orders=st.integers(min_value=2_000, max_value=6_000),
)
def test_any_day_is_exactly_sized_fully_labelled_and_priced_by_its_catalog(family, seed, orders):
    scenario = generate_day(FAMILIES[family], seed=seed, orders=orders)
    c = scenario.orders.columns
    catalog = scenario.catalog
    assert len(scenario.orders) == orders
    assert np.all(np.diff(c.t_ms) >= 0)
    assert len(scenario.labels) == len(np.unique(c.buyer))
    assert np.array_equal(c.amount_fen, catalog.promo_price_fen[c.sku] * c.quantity)
    assert np.array_equal(c.shop, catalog.sku_shop[c.sku])
    assert np.all(c.registered_ms < c.t_ms)
    assert np.all(c.picked_up_ms[c.collected] > c.t_ms[c.collected])
    assert sum(g.orders for g in scenario.groups) <= orders
    labelled = sum(label != "honest" for label, _ in scenario.labels.values())
    assert labelled == sum(g.buyers for g in scenario.groups)
