"""A generated day as a whole: determinism, labels, size, the GMV curve, a consistent catalog."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from tests.unit.sim.scenario_days import day, minutes_between, view

from megasale.sim.scenario import FAMILIES, generate_day
from megasale.sim.scenario_curve import REFERENCE_MILESTONES
from megasale.sim.scenario_types import CROWD_KINDS, RING_KINDS


def write_all(scenario, directory: Path) -> dict[str, bytes]:
    directory.mkdir()
    scenario.write_orders(directory / "orders.csv")
    scenario.write_orders(directory / "orders.jsonl")
    scenario.write_labels(directory / "labels.csv")
    scenario.write_groups(directory / "groups.json")
    scenario.write_catalog(directory)
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_same_family_seed_and_size_give_byte_identical_files(tmp_path):
    first = write_all(generate_day(FAMILIES["mixed"], seed=11, orders=5_000), tmp_path / "a")
    second = write_all(generate_day(FAMILIES["mixed"], seed=11, orders=5_000), tmp_path / "b")
    assert len(first) == 7
    assert first == second


def test_another_seed_gives_another_day():
    first = generate_day(FAMILIES["mixed"], seed=11, orders=5_000)
    second = generate_day(FAMILIES["mixed"], seed=12, orders=5_000)
    assert first.orders.text()["ip"] != second.orders.text()["ip"]
    assert [g.buyers for g in first.groups] != [g.buyers for g in second.groups]


@pytest.mark.parametrize("orders", [2_000, 5_000, 20_000])
def test_a_day_has_exactly_the_orders_asked_for_in_time_order(orders):
    scenario = day("mixed", 3, orders)
    text = scenario.orders.text()
    assert len(scenario.orders) == orders
    assert text["order_id"][0] == "o0000001" and text["order_id"][-1] == f"o{orders:07d}"
    assert text["created_at"] == sorted(text["created_at"])


def test_too_small_a_day_is_refused():
    with pytest.raises(ValueError, match="at least"):
        generate_day(FAMILIES["mixed"], seed=1, orders=500)


def test_every_buyer_in_the_log_is_labelled_exactly_once(tmp_path):
    scenario = day()
    scenario.write_labels(tmp_path / "labels.csv")
    rows = read_csv(tmp_path / "labels.csv")
    ids = [r["buyer_id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(scenario.orders.text()["buyer_id"])
    allowed = {"honest"} | {f"ring:{k}" for k in RING_KINDS} | {f"crowd:{k}" for k in CROWD_KINDS}
    for row in rows:
        assert row["label"] in allowed
        if row["label"] == "honest":
            assert row["group_id"] == ""
        else:
            kind = row["label"].replace(":", "-")
            assert re.fullmatch(rf"{kind}-\d+", row["group_id"]), row


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_holds_all_crowds_and_emphasises_its_ring_kind(family):
    kinds = [g.kind for g in day(family).groups]
    assert set(CROWD_KINDS) <= set(kinds)
    rings = {k: kinds.count(k) for k in RING_KINDS}
    if family == "mixed":
        assert all(rings.values())
    else:
        ring_buyers = {
            k: sum(g.buyers for g in day(family).groups if g.kind == k) for k in RING_KINDS
        }
        if family == "shop_self":
            assert rings["shop_self"] == max(rings.values())
        else:
            assert ring_buyers[family] > sum(ring_buyers.values()) / 2


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_ring_buyers_are_one_to_three_percent_of_buyers(family):
    labels = [label for label, _ in day(family).labels.values()]
    share = sum(label.startswith("ring:") for label in labels) / len(labels)
    assert 0.008 <= share <= 0.035


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_gmv_is_front_loaded_like_the_reference_day(family):
    scenario = day(family)
    columns = scenario.orders.columns
    gmv = columns.amount_fen.sum()
    assert abs(gmv - 150_000 * len(scenario.orders)) < 0.01 * gmv
    total = REFERENCE_MILESTONES[-1][1]
    for minute, yuan in REFERENCE_MILESTONES[:-1]:
        share = columns.amount_fen[columns.t_ms < minute * 60_000].sum() / gmv
        assert abs(share - yuan / total) < 0.03, minute


def test_amounts_and_subsidies_follow_the_catalog_prices_and_the_category_rule(tmp_path):
    scenario = day()
    scenario.write_catalog(tmp_path)
    skus = {r["sku_id"]: r for r in read_csv(tmp_path / "skus.csv")}
    stores = {r["store_id"] for r in read_csv(tmp_path / "stores.csv")}
    text = scenario.orders.text()
    sold: dict[str, int] = {}
    subsidy_by_category: dict[str, set[int]] = {}
    for i in range(len(scenario.orders)):
        sku = skus[text["sku_id"][i]]
        quantity = int(text["quantity"][i])
        assert sku["shop_id"] == text["shop_id"][i]
        assert int(text["amount_fen"][i]) == int(sku["promo_price_fen"]) * quantity
        subsidy_by_category.setdefault(sku["category"], set()).add(int(text["subsidy_fen"][i]))
        sold[sku["sku_id"]] = sold.get(sku["sku_id"], 0) + quantity
        assert text["pickup_store_id"][i] in stores or text["pickup_store_id"][i] == ""
    assert all(len(v) == 1 and 2_000 <= min(v) <= 10_000 for v in subsidy_by_category.values())
    assert all(int(skus[k]["stock"]) >= n for k, n in sold.items())
    assert all(int(r["list_price_fen"]) >= int(r["promo_price_fen"]) > 0 for r in skus.values())


def test_stores_are_big_boxes_in_big_cities_and_small_shops_in_small_towns(tmp_path):
    day().write_catalog(tmp_path)
    stores = read_csv(tmp_path / "stores.csv")
    big = [s for s in stores if s["tier"] in {"1", "2"}]
    small = [s for s in stores if s["tier"] in {"3", "4"}]
    assert (len(big), len(small)) == (300, 2_000)
    assert all(s["chain"] for s in big)
    assert 100 < len(read_csv(tmp_path / "shops.csv")) < 1_000


def test_goods_are_collected_after_ordering_by_accounts_opened_before_ordering():
    log = view()
    text = log.columns
    for made, collected, opened in zip(
        text["created_at"], text["picked_up_at"], text["buyer_registered_at"], strict=True
    ):
        assert minutes_between(opened, made) >= 1
        assert collected == "" or minutes_between(made, collected) > 0
    shipped = text["pickup_store_id"] == ""
    assert np.all(text["picked_up_at"][shipped] == "")
    honest = log.label == "honest"
    delays = [
        minutes_between(a, b)
        for a, b in zip(text["created_at"][honest], text["picked_up_at"][honest], strict=True)
        if b
    ]
    assert 6 * 60 < np.median(delays) < 3 * 24 * 60  # hours to days


def test_a_few_hot_skus_take_a_large_share_of_honest_orders():
    log = view()
    _, counts = np.unique(log.columns["sku_id"][log.label == "honest"], return_counts=True)
    top = np.sort(counts)[::-1]
    assert top[:20].sum() > 0.25 * counts.sum()
    assert len(counts) > 500
