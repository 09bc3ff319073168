"""Each labelled ring really behaves as its kind says, in the log the detectors read."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.sim.scenario_days import brushes, day, minutes_between, view


def building(address: str) -> str:
    return address.rsplit(", Unit", 1)[0]


def pickup_minutes(rows: dict[str, np.ndarray]) -> list[float]:
    return [
        minutes_between(made, collected)
        for made, collected in zip(rows["created_at"], rows["picked_up_at"], strict=True)
        if collected
    ]


@pytest.mark.parametrize("family", ["mixed", "ip_rotator"])
def test_an_ip_rotator_ring_uses_a_fresh_ip_for_every_order_but_shares_what_it_cannot_rotate(
    family,
):
    log = view(family)
    rings = log.groups("ring:ip_rotator")
    assert rings
    for ring in rings:
        rows = log.rows_of(ring)
        members = len(set(rows["buyer_id"]))
        assert len(set(rows["ip"])) == len(rows["ip"])
        assert len(set(rows["payment_id"])) <= 5
        assert len({phone[:7] for phone in rows["phone"]}) == 1
        assert len({building(a) for a in rows["address"]}) == 1
        assert len(set(rows["address"])) == members  # a flat each, all in one building
        assert np.median(pickup_minutes(rows)) < 60


@pytest.mark.parametrize("family", ["mixed", "ip_farm"])
def test_an_ip_farm_ring_sits_on_a_few_subnets_with_shared_cards_and_collects_in_minutes(family):
    log = view(family)
    rings = log.groups("ring:ip_farm")
    assert rings
    for ring in rings:
        rows = log.rows_of(ring)
        members = len(set(rows["buyer_id"]))
        assert len({ip.rsplit(".", 1)[0] for ip in rows["ip"]}) <= 4
        assert len(set(rows["payment_id"])) <= max(1, members // 2)
        devices = set(rows["device_id"])
        assert len(devices) <= max(1, members // 2) or len({d[:12] for d in devices}) == 1
        assert np.median(pickup_minutes(rows)) < 30
        account_age = [
            minutes_between(opened, ordered)
            for opened, ordered in zip(rows["buyer_registered_at"], rows["created_at"], strict=True)
        ]
        assert max(account_age) < 11 * 24 * 60


def test_a_lockstep_ring_shares_no_identity_among_its_members():
    log = view("lockstep")
    rings = log.groups("ring:lockstep")
    assert rings
    for ring in rings:
        rows = log.rows_of(ring)
        for column in ("ip", "device_id", "payment_id", "phone", "address"):
            owners: dict[str, set[str]] = {}
            for buyer, value in zip(rows["buyer_id"], rows[column], strict=True):
                owners.setdefault(value, set()).add(buyer)
            assert max(len(o) for o in owners.values()) == 1, (ring, column)


def test_a_lockstep_ring_buys_its_few_skus_in_waves_of_minutes_that_most_members_join():
    log = view("lockstep")
    rings = [g for g in day("lockstep").groups if g.kind == "lockstep"]
    assert rings
    for group in rings:
        ring = group.group_id
        rows = log.rows_of(ring)
        members = len(set(rows["buyer_id"]))
        skus, counts = np.unique(rows["sku_id"], return_counts=True)
        targets = skus[np.argsort(-counts, kind="stable")[: int(group.params["target_skus"])]]
        assert int(group.params["target_skus"]) <= 3
        on_target = np.isin(rows["sku_id"], targets)
        times = log.created_ms[log.group == ring][on_target]
        buyers = rows["buyer_id"][on_target]
        order = np.argsort(times)
        times, buyers = times[order], buyers[order]
        cut = np.flatnonzero(np.diff(times) > 5 * 60_000) + 1
        waves = [
            t
            for t, b in zip(np.split(times, cut), np.split(buyers, cut), strict=True)
            if len(set(b)) >= 0.4 * members
        ]
        assert len(waves) >= 2, ring
        assert all(t[-1] - t[0] <= 5 * 60_000 for t in waves), ring


@pytest.mark.parametrize("family", ["mixed", "shop_self"])
def test_a_shop_self_ring_makes_its_shop_meet_the_brief_shop_side_rule(family):
    log = view(family)
    rings = log.groups("ring:shop_self")
    assert rings
    for ring in rings:
        rows = log.rows_of(ring)
        assert 2 <= len(set(rows["buyer_id"])) <= 6
        shops, counts = np.unique(rows["shop_id"], return_counts=True)
        assert brushes(log, shops[np.argmax(counts)])


def test_honest_buyers_and_crowds_alone_never_meet_the_shop_side_rule():
    for family in ("mixed", "shop_self"):
        log = view(family)
        honest = log.without_rings()
        assert len(honest.created_ms) > 0.8 * len(log.created_ms)
        flagged = [shop for shop in sorted(set(honest.columns["shop_id"])) if brushes(honest, shop)]
        assert flagged == [], family


def test_the_shop_self_family_has_more_brushing_shops_than_the_others():
    def count(family):
        return sum(g.kind == "shop_self" for g in day(family).groups)

    assert count("shop_self") > max(count("mixed"), count("ip_farm"))


@pytest.mark.parametrize("kind", ["ip_farm", "lockstep", "ip_rotator"])
def test_ring_accounts_also_shop_ordinarily_as_camouflage(kind):
    scenario = day(kind)
    log = view(kind)
    rings = [g for g in scenario.groups if g.kind == kind and g.params["camouflage"] > 0.1]
    assert rings
    targets = sum(int(g.params["target_skus"]) for g in rings)
    bought = set().union(*(set(log.rows_of(g.group_id)["sku_id"]) for g in rings))
    assert len(bought) > targets
