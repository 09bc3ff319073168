"""Honest crowds share what such crowds really share, and nothing a ring shares."""

from __future__ import annotations

import numpy as np
from tests.unit.sim.scenario_days import minutes_between, view


def building(address: str) -> str:
    return address.rsplit(", Unit", 1)[0]


def campus(address: str) -> str:
    return address.rsplit(", Building", 1)[0]


def one_each(rows, column) -> bool:
    """Every buyer of the group has their own values of ``column``: no value spans two."""
    owners: dict[str, set[str]] = {}
    for buyer, value in zip(rows["buyer_id"], rows[column], strict=True):
        owners.setdefault(value, set()).add(buyer)
    return max(len(o) for o in owners.values()) == 1


def test_a_campus_is_many_students_behind_a_few_nat_ips_buying_the_same_item_in_one_minute():
    log = view()
    groups = log.groups("crowd:campus")
    assert groups
    for group in groups:
        rows = log.rows_of(group)
        students = len(set(rows["buyer_id"]))
        assert students >= 20
        assert len(set(rows["ip"])) <= 5
        assert len({campus(a) for a in rows["address"]}) == 1
        assert len({building(a) for a in rows["address"]}) > 1
        for column in ("device_id", "payment_id", "phone"):
            assert one_each(rows, column), column
        minutes = log.created_ms[log.group == group] // 60_000
        _, per_minute = np.unique(minutes, return_counts=True)
        assert per_minute.max() >= 0.5 * students
        delays = [
            minutes_between(a, b)
            for a, b in zip(rows["created_at"], rows["picked_up_at"], strict=True)
            if b
        ]
        assert np.median(delays) > 120


def test_an_office_orders_one_fridge_together_to_one_building_from_one_to_three_ips():
    log = view()
    groups = log.groups("crowd:office")
    assert groups
    for group in groups:
        rows = log.rows_of(group)
        assert len(set(rows["sku_id"])) == 1
        assert len(set(rows["ip"])) <= 3
        assert len({building(a) for a in rows["address"]}) == 1
        assert one_each(rows, "payment_id") and one_each(rows, "phone")
        times = log.created_ms[log.group == group]
        assert times.max() - times.min() <= 10 * 60_000


def test_a_household_shares_one_address_among_two_to_five_accounts():
    log = view()
    groups = log.groups("crowd:household")
    assert len(groups) > 10
    shared_device = shared_card = 0
    for group in groups:
        rows = log.rows_of(group)
        assert 2 <= len(set(rows["buyer_id"])) <= 5
        assert len(set(rows["address"])) == 1
        shared_device += not one_each(rows, "device_id")
        shared_card += not one_each(rows, "payment_id")
        assert one_each(rows, "phone")
    assert shared_device > len(groups) / 3
    assert 0 < shared_card < len(groups)


def test_carrier_nat_puts_strangers_behind_a_few_addresses_and_nothing_else_in_common():
    log = view()
    groups = log.groups("crowd:cgnat")
    assert groups
    for group in groups:
        rows = log.rows_of(group)
        assert len(set(rows["buyer_id"])) >= 30
        assert len(set(rows["ip"])) <= 4
        for column in ("device_id", "payment_id", "phone", "address"):
            assert one_each(rows, column), column


def test_a_bulk_buyer_is_one_account_buying_many_units():
    log = view()
    groups = log.groups("crowd:bulk_buyer")
    assert groups
    for group in groups:
        rows = log.rows_of(group)
        assert len(set(rows["buyer_id"])) == 1
        assert len(set(rows["sku_id"])) == 1
        assert min(int(q) for q in rows["quantity"]) >= 5


def test_honest_buyers_each_have_their_own_phone_and_address():
    log = view()
    honest = log.label == "honest"
    buyers = log.columns["buyer_id"][honest]
    for column in ("phone", "address"):
        pairs = set(zip(buyers, log.columns[column][honest], strict=True))
        assert len(pairs) == len(set(buyers)) == len({v for _, v in pairs}), column
