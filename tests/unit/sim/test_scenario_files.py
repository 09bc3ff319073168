"""The order log files follow the brief's contract, and CSV and JSON Lines say the same."""

from __future__ import annotations

import csv
import json
import re

import pytest
from tests.unit.sim.scenario_days import day

CONTRACT = [
    "order_id",
    "created_at",
    "buyer_id",
    "shop_id",
    "sku_id",
    "quantity",
    "amount_fen",
    "subsidy_fen",
    "ip",
    "device_id",
    "payment_id",
    "phone",
    "address",
    "pickup_store_id",
    "picked_up_at",
    "buyer_registered_at",
]
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00")
INTEGERS = ("quantity", "amount_fen", "subsidy_fen")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("day")
    scenario = day("mixed", 5, 5_000)
    scenario.write_orders(directory / "orders.csv")
    scenario.write_orders(directory / "orders.jsonl")
    with (directory / "orders.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
        handle.seek(0)
        rows = list(csv.DictReader(handle))
    with (directory / "orders.jsonl").open(encoding="utf-8") as handle:
        objects = [json.loads(line) for line in handle]
    return header, rows, objects


def test_the_csv_header_is_the_contract_in_order(files):
    header, rows, _ = files
    assert header == CONTRACT
    assert len(rows) == 5_000


def test_json_lines_objects_have_the_contract_keys_in_order(files):
    _, _, objects = files
    assert all(list(o) == CONTRACT for o in objects)


def test_csv_and_json_lines_hold_the_same_orders(files):
    _, rows, objects = files
    assert len(rows) == len(objects)
    for row, obj in zip(rows, objects, strict=True):
        assert row == {k: "" if v is None else str(v) for k, v in obj.items()}


def test_money_and_quantities_are_integers(files):
    _, rows, objects = files
    for row, obj in zip(rows, objects, strict=True):
        for column in INTEGERS:
            assert type(obj[column]) is int
            assert re.fullmatch(r"[1-9]\d*", row[column])


def test_times_are_iso_8601_with_the_offset_to_the_millisecond(files):
    _, rows, _ = files
    for row in rows:
        for column in ("created_at", "buyer_registered_at"):
            assert TIME.fullmatch(row[column]), row[column]
        assert row["picked_up_at"] == "" or TIME.fullmatch(row["picked_up_at"])


def test_missing_values_are_empty_cells_and_null(files):
    _, rows, objects = files
    shipped = [(r, o) for r, o in zip(rows, objects, strict=True) if r["pickup_store_id"] == ""]
    assert shipped
    assert all(r["picked_up_at"] == "" and o["picked_up_at"] is None for r, o in shipped)
    assert all(o["pickup_store_id"] is None for _, o in shipped)


def test_identities_look_like_what_a_platform_records(files):
    _, rows, _ = files
    for row in rows:
        assert re.fullmatch(r"o\d{7}", row["order_id"]) and re.fullmatch(r"b\d{7}", row["buyer_id"])
        assert re.fullmatch(r"s\d{4}", row["shop_id"]) and re.fullmatch(r"k\d{5}", row["sku_id"])
        assert re.fullmatch(r"1[3-9]\d{9}", row["phone"])
        assert re.fullmatch(r"d[0-9a-f]{15}", row["device_id"])
        assert re.fullmatch(r"pm[0-9a-f]{12}", row["payment_id"])
        octets = [int(x) for x in row["ip"].split(".")]
        assert len(octets) == 4 and 1 <= octets[0] <= 223 and all(0 <= x <= 255 for x in octets)
        assert octets[0] not in (10, 127) and octets[:2] != [192, 168]
        assert re.fullmatch(
            r"[A-Z][\w' ]+, [\w' ]+ District, [\w' ]+ No\. \d+, Building \d+, Unit \d+, Room \d+",
            row["address"],
        ), row["address"]


def test_rows_read_back_as_typed_order_rows():
    scenario = day("mixed", 5, 5_000)
    first, last = scenario.orders[0], scenario.orders[-1]
    assert first.order_id == "o0000001" and last.order_id == "o0005000"
    assert first.created_at >= scenario.t0 and first.created_at.utcoffset() is not None
    assert isinstance(first.amount_fen, int)
    assert sum(1 for _ in scenario.orders) == len(scenario.orders)
    assert [r.order_id for r in scenario.orders[10:12]] == ["o0000011", "o0000012"]
    shipped = next(r for r in scenario.orders if r.pickup_store_id is None)
    assert shipped.picked_up_at is None
