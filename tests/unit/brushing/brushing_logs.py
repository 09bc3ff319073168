"""A small order-log builder: tests describe orders as dicts and get a read OrderTable."""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from megasale.brushing.frame import OrderTable
from megasale.brushing.orderlog import read_order_log

COLUMNS = (
    "order_id", "created_at", "buyer_id", "shop_id", "sku_id", "quantity", "amount_fen",
    "subsidy_fen", "ip", "device_id", "payment_id", "phone", "address", "pickup_store_id",
    "picked_up_at", "buyer_registered_at",
)  # fmt: skip
_T0 = datetime(2026, 11, 11, tzinfo=timezone(timedelta(hours=8)))


def at(minutes: float) -> str:
    """A time ``minutes`` after T0 (may be negative), ISO 8601 with the +08:00 offset."""
    return (_T0 + timedelta(minutes=minutes)).isoformat()


def honest(buyer: str, minute: float, **extra: Any) -> dict[str, Any]:
    """An ordinary order: own identities, an old account, collected a day later."""
    n = zlib.crc32(buyer.encode()) % 10**8
    row = {
        "buyer_id": buyer,
        "created_at": at(minute),
        "shop_id": "shop-1",
        "sku_id": "sku-1",
        "quantity": 1,
        "amount_fen": 300_000,
        "subsidy_fen": 8_000,
        "ip": f"{n % 200 + 1}.{n // 200 % 250}.{n // 50_000 % 250}.{n % 250 + 1}",
        "device_id": f"d{n:015x}",
        "payment_id": f"pm-{buyer}",
        "phone": f"138{n:08d}",
        "address": f"City, District {n % 7}, Road No. {n % 999}, Building {n % 30}, Unit 1, Room 101",
        "pickup_store_id": "store-1",
        "picked_up_at": at(minute + 24 * 60),
        "buyer_registered_at": at(-400 * 24 * 60),
    }
    row.update(extra)
    return row


@pytest.fixture
def make_table(tmp_path: Path) -> Callable[[list[dict[str, Any]]], OrderTable]:
    def make(rows: list[dict[str, Any]]) -> OrderTable:
        path = tmp_path / "orders.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for i, row in enumerate(rows):
                writer.writerow({"order_id": f"o{i}", **row})
        return read_order_log(path)

    return make
