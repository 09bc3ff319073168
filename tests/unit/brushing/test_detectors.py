"""The ring detectors on small logs whose answer is plain by construction."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.brushing.brushing_logs import at, honest

from megasale.brushing.baselines import FraudarPeeling, PerIpRule
from megasale.brushing.detect import BrushingDetector
from megasale.brushing.frame import OrderTable
from megasale.brushing.identity import SharedIdentifierDetector
from megasale.brushing.lockstep import LockstepDetector
from megasale.brushing.rings import RingKind
from megasale.brushing.shop_self import ShopSelfBrushingDetector

MakeTable = Callable[[list[dict[str, Any]]], OrderTable]
ESTIMATORS = [
    SharedIdentifierDetector,
    LockstepDetector,
    ShopSelfBrushingDetector,
    BrushingDetector,
    PerIpRule,
    FraudarPeeling,
]


def background(n: int = 40) -> list[dict[str, Any]]:
    return [honest(f"h{i}", minute=i * 7.0, sku_id=f"sku-{i % 9}") for i in range(n)]


def farm(size: int = 12) -> list[dict[str, Any]]:
    """New accounts on one /24 sharing three cards, collecting within minutes."""
    rows = []
    for i in range(size):
        for wave in range(2):
            minute = 100 + wave * 120 + i * 0.1
            rows.append(
                honest(
                    f"f{i}",
                    minute,
                    ip=f"61.7.8.{i + 10}",
                    payment_id=f"farm-card-{i % 3}",
                    picked_up_at=at(minute + 8),
                    buyer_registered_at=at(-3 * 24 * 60),
                )
            )
    return rows


def rotator(size: int = 10) -> list[dict[str, Any]]:
    """A fresh IP and device per order, but one card, one phone block and one building."""
    rows = []
    for i in range(size):
        minute = 300 + i * 0.5
        rows.append(
            honest(
                f"r{i}",
                minute,
                ip=f"{100 + i}.{i}.3.4",
                device_id=f"dev-rot-{i}",
                payment_id="rot-card",
                phone=f"1701234{i:04d}",
                address=f"Wuhan, Jianghan District, Jiefang Road No. 9, Building 3, Unit {i % 6 + 1}, "
                f"Room {i + 101}",
                picked_up_at=at(minute + 15),
                buyer_registered_at=at(-10 * 24 * 60),
            )
        )
    return rows


def household() -> list[dict[str, Any]]:
    """Three family accounts on one address, one computer and one card."""
    shared = {
        "address": "Nanjing, Gulou District, Zhongshan Road No. 5, Building 2, Unit 1, Room 301",
        "device_id": "family-pc",
        "payment_id": "family-card",
        "ip": "58.1.2.3",
    }
    return [honest(f"fam{i}", 50 + i, **shared) for i in range(3)]


def cgnat(size: int = 60) -> list[dict[str, Any]]:
    return [honest(f"c{i}", i * 3.0, ip="117.136.0.1") for i in range(size)]


def test_an_ip_farm_is_found_with_its_shared_cards(make_table: MakeTable) -> None:
    table = make_table(background() + farm())
    rings = SharedIdentifierDetector().fit(table).rings_
    assert len(rings) == 1
    ring = rings[0]
    assert ring.kind is RingKind.IP_FARM
    assert sorted(table.buyer_names[ring.members].tolist()) == sorted(f"f{i}" for i in range(12))
    assert {v["value"] for v in ring.evidence["shared"]["payment"]} == {
        "farm-card-0",
        "farm-card-1",
        "farm-card-2",
    }
    assert ring.evidence["pickup_minutes_median"] == 8.0


def test_an_ip_rotator_is_found_by_card_phone_block_and_building(make_table: MakeTable) -> None:
    table = make_table(background() + rotator())
    rings = SharedIdentifierDetector().fit(table).rings_
    assert [ring.kind for ring in rings] == [RingKind.IP_ROTATOR]
    assert rings[0].members.size == 10
    assert set(rings[0].evidence["shared"]) >= {"payment", "phone_block", "building"}
    assert rings[0].evidence["distinct_ips"] == 10


def test_a_household_and_a_carrier_nat_are_not_rings(make_table: MakeTable) -> None:
    table = make_table(background() + household() + cgnat())
    assert BrushingDetector().fit(table).rings_ == []


def test_the_per_ip_rule_punishes_the_carrier_nat(make_table: MakeTable) -> None:
    table = make_table(background() + cgnat())
    flagged = set(table.buyer_names[PerIpRule().fit(table).flagged_].tolist())
    assert flagged == {f"c{i}" for i in range(60)}


def lockstep(size: int = 6, waves: int = 4, pickup_minutes: float = 30) -> list[dict[str, Any]]:
    rows = []
    for wave in range(waves):
        for i in range(size):
            minute = 200 + wave * 90 + i * 0.3
            pickup = at(minute + pickup_minutes)
            rows.append(
                honest(f"l{i}", minute, sku_id="sku-hot", shop_id="shop-2", picked_up_at=pickup)
            )
    return rows


def campus(size: int = 40) -> list[dict[str, Any]]:
    """Students buying the same two hot items in the same minute, once."""
    rows = []
    for i in range(size):
        for sku in ("sku-hot", "sku-warm"):
            rows.append(honest(f"s{i}", 1 + i * 0.01, sku_id=sku, shop_id="shop-2", ip="202.1.1.1"))
    return rows


def test_a_crowd_repeating_its_waves_is_a_lockstep_ring(make_table: MakeTable) -> None:
    table = make_table(background() + lockstep() + campus())
    rings = LockstepDetector().fit(table).rings_
    assert len(rings) == 1
    assert sorted(table.buyer_names[rings[0].members].tolist()) == [f"l{i}" for i in range(6)]
    assert len(rings[0].evidence["waves"]) == 4
    assert rings[0].evidence["items"][0]["sku_id"] == "sku-hot"


def test_a_one_off_campus_crowd_is_not_lockstep(make_table: MakeTable) -> None:
    table = make_table(background() + campus())
    assert LockstepDetector().fit(table).rings_ == []
    assert BrushingDetector().fit(table).rings_ == []


def test_two_waves_are_not_enough_even_when_collected_quickly(make_table: MakeTable) -> None:
    table = make_table(background() + lockstep(waves=2))
    assert LockstepDetector().fit(table).rings_ == []


def test_a_member_who_joined_only_some_waves_is_added(make_table: MakeTable) -> None:
    late = []
    for wave in (0, 2):  # the waves of ``lockstep()`` start at minutes 200 + 90 * wave
        minute = 200 + wave * 90 + 0.5
        late.append(
            honest("late", minute, sku_id="sku-hot", shop_id="shop-2", picked_up_at=at(minute + 20))
        )
    table = make_table(background() + lockstep() + late)
    members = LockstepDetector().fit(table).rings_[0].members
    assert "late" in table.buyer_names[members].tolist()
    assert members.size == 7


def test_a_crowd_that_collects_days_later_on_old_accounts_is_no_ring(make_table: MakeTable) -> None:
    table = make_table(background() + lockstep(waves=4, pickup_minutes=3 * 24 * 60))
    assert LockstepDetector().fit(table).rings_ == []


def self_brushing() -> list[dict[str, Any]]:
    return [
        honest(f"own{i}", 600 + 3 * j + i, shop_id="quiet-shop", sku_id="quiet-sku")
        for i in range(3)
        for j in range(4)
    ]


def test_a_merchant_brushing_its_own_shop_is_a_ring(make_table: MakeTable) -> None:
    table = make_table(background() + self_brushing())
    rings = ShopSelfBrushingDetector().fit(table).rings_
    assert [ring.kind for ring in rings] == [RingKind.SHOP_SELF]
    assert sorted(table.buyer_names[rings[0].members].tolist()) == ["own0", "own1", "own2"]
    assert rings[0].evidence["shop_id"] == "quiet-shop"


def test_a_bulk_buyer_alone_is_not_a_ring(make_table: MakeTable) -> None:
    bulk = [honest("owner", 400 + j, shop_id="shop-9", quantity=20) for j in range(5)]
    table = make_table(background() + bulk)
    assert ShopSelfBrushingDetector().fit(table).rings_ == []


def test_each_buyer_belongs_to_one_ring_at_most(make_table: MakeTable) -> None:
    table = make_table(background() + farm() + rotator() + lockstep() + self_brushing())
    detector = BrushingDetector().fit(table)
    members = [m for ring in detector.rings_ for m in ring.members.tolist()]
    assert len(members) == len(set(members))
    assert {ring.kind for ring in detector.rings_} == set(RingKind)
    assert [ring.ring_id for ring in detector.rings_] == [
        f"R{i:04d}" for i in range(1, len(detector.rings_) + 1)
    ]
    scores = [ring.score for ring in detector.rings_]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_estimators_only_store_their_parameters(estimator: type) -> None:
    parameters = [p for p in inspect.signature(estimator).parameters if p != "self"]
    made = estimator()
    assert sorted(vars(made)) == sorted(parameters)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_fit_returns_the_estimator_with_learned_state(
    estimator: type, make_table: MakeTable
) -> None:
    made = estimator()
    assert made.fit(make_table(background())) is made
    assert any(name.endswith("_") for name in vars(made))


@settings(deadline=None)  # a loaded machine; the first example imports scipy's graphs
@given(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=40))
def test_linked_groups_are_the_connected_components_numbered_as_scipy_numbers_them(
    edges: list[tuple[int, int]],
) -> None:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from megasale.brushing.rings import linked_groups

    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    graph = coo_matrix((np.ones(left.size), (left, right)), shape=(30, 30))
    _, expected = connected_components(graph, directed=False)
    assert linked_groups(30, left, right).tolist() == expected.tolist()
