"""``megasale export-orders``: the brief's order log, read back by detection, row for row."""

from __future__ import annotations

import csv
import os
import stat
from datetime import timedelta

import pytest
from tests.integration.fulfilment.test_carrier_shipping import ADDRESS

from megasale.brushing.orderlog import read_order_log
from megasale.cli import main
from megasale.storage.sqlite_db import to_micros


@pytest.fixture
def sale(desk):
    """Pickup and shipping orders, several lines, shared payment ids, one collected."""
    orders = [
        desk.place(0, lines=[("sku-0001", 2), ("sku-0006", 1)], payment_id="alipay-77"),
        desk.place(1, payment_id="alipay-77"),
        desk.place(2, address=ADDRESS, payment_id="wechat-5"),
        desk.place(3, store="st-sh-01"),
    ]
    desk.clock.advance(timedelta(minutes=4, microseconds=123_456))
    code = desk.code_of(orders[1]["order_id"], n=1)
    assert desk.redeem(code).status_code == 200
    return orders


def export(desk, tmp_path, fmt="csv", name="log"):
    out = tmp_path / f"{name}.{fmt}"
    db = str(tmp_path / "fulfil.db")
    assert main(["export-orders", "--db", db, "--out", str(out), "--format", fmt]) == 0
    return out


def database_rows(desk, sale):
    """What the database says, one tuple per order line, in the reader's units."""
    rows = []
    for o in sale:
        order = desk.platform.store.get_order(o["order_id"])
        picked = order.received_at if order.fulfilment.kind == "pickup" else None
        for line in order.lines:
            rows.append(
                (order.order_id, to_micros(order.placed_at), order.buyer_id, order.shop_id,
                 line.sku_id, line.quantity, line.amount_fen, line.subsidy_fen,
                 -1 if picked is None else to_micros(picked))
            )  # fmt: skip
    return sorted(rows)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_export_reads_back_through_detection_and_matches_the_database(
    desk, sale, tmp_path, fmt
):
    table = read_order_log(export(desk, tmp_path, fmt))
    got = [
        (str(table.order_ids[i]), int(table.created[i]), table.buyer_names[int(table.buyer[i])],
         table.shop_names[int(table.shop[i])], table.sku_names[int(table.sku[i])],
         int(table.quantity[i]), int(table.amount_fen[i]), int(table.subsidy_fen[i]),
         int(table.picked_up[i]))
        for i in range(table.n_orders)
    ]  # fmt: skip
    assert sorted(got) == database_rows(desk, sale)
    assert len(got) == 5
    # the order collected has its exact moment; the others none
    assert sum(1 for row in got if row[-1] != -1) == 1


def test_each_row_names_its_pickup_store_or_its_address(desk, sale, tmp_path):
    rows = list(csv.DictReader(export(desk, tmp_path).open()))
    for row in rows:
        order = desk.platform.store.get_order(row["order_id"])
        f = order.fulfilment
        assert row["pickup_store_id"] == getattr(f, "store_id", "")
        assert row["address"] == getattr(f, "address", "")
        assert row["ip"] == order.client.ip


def test_payment_ids_are_pseudonymised_the_same_way_every_time(desk, sale, tmp_path):
    first = list(csv.DictReader(export(desk, tmp_path, name="a").open()))
    second = list(csv.DictReader(export(desk, tmp_path, name="b").open()))
    text = (tmp_path / "a.csv").read_text()
    assert "alipay-77" not in text and "wechat-5" not in text
    tokens = {row["order_id"]: row["payment_id"] for row in first}
    assert tokens == {row["order_id"]: row["payment_id"] for row in second}
    shared = {tokens[sale[0]["order_id"]], tokens[sale[1]["order_id"]]}
    assert len(shared) == 1 and "" not in shared
    assert tokens[sale[2]["order_id"]] not in shared
    assert tokens[sale[3]["order_id"]] == ""
    key_file = tmp_path / "fulfil.db.pseudonym.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_another_key_gives_other_tokens(desk, sale, tmp_path, monkeypatch):
    first = list(csv.DictReader(export(desk, tmp_path, name="a").open()))
    monkeypatch.setenv("MEGASALE_PSEUDONYM_KEY", "a-key-from-the-vault-0123456789")
    other = list(csv.DictReader(export(desk, tmp_path, name="b").open()))
    assert os.environ["MEGASALE_PSEUDONYM_KEY"]
    assert [r["payment_id"] for r in first if r["payment_id"]] != [
        r["payment_id"] for r in other if r["payment_id"]
    ]
