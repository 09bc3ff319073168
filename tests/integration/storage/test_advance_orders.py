"""Many orders moved at once (``advance_orders``) end as ``change_status`` leaves them one by one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.conftest import T0
from tests.integration.storage.test_store_contract import placement, seed

from megasale.domain.errors import UnknownOrder
from megasale.domain.orders import OrderStatus
from megasale.storage.sqlite_orders import advance_orders, change_status
from megasale.storage.sqlite_store import SqliteStore

READY = OrderStatus.READY_FOR_PICKUP


def _store_with_orders(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    seed(store, stock=100, budget=100_000)
    store.take_orders([placement(n, buyer=f"b{n}") for n in range(5)])
    # o00002 has moved on: cancelled before fulfilment got to it
    store.change_order_status("o00002", OrderStatus.CANCELLED, T0, release=True)
    return store


def _after(store: SqliteStore) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    conn = store.db.connection()
    orders = conn.execute(
        "SELECT order_id, status, status_at, received_at FROM orders ORDER BY order_id"
    ).fetchall()
    events = conn.execute("SELECT event_id, kind, payload, recorded_at FROM events ORDER BY seq")
    return orders, events.fetchall()


def test_many_orders_move_as_one_by_one_would_move_them(tmp_path: Path) -> None:
    at = T0 + timedelta(minutes=3)
    wanted = ["o00003", "o00000", "o00002", "o00004", "o00000"]  # one cancelled, one twice
    one, many = _store_with_orders(tmp_path / "one.db"), _store_with_orders(tmp_path / "many.db")
    try:
        with one.db.write() as conn:
            for order_id in dict.fromkeys(wanted):
                if order_id != "o00002":
                    change_status(conn, order_id, READY, at)
        with many.db.write() as conn:
            moved = advance_orders(conn, wanted, READY, at)
        assert moved == ["o00003", "o00000", "o00004"]
        assert _after(many) == _after(one)  # the rows and the events, byte for byte
    finally:
        one.close()
        many.close()


def test_an_unknown_order_moves_none_of_the_batch(tmp_path: Path) -> None:
    store = _store_with_orders(tmp_path / "a.db")
    try:
        before = _after(store)
        with pytest.raises(UnknownOrder, match="o-missing"), store.db.write() as conn:
            advance_orders(conn, ["o00000", "o-missing"], READY, T0)
        assert _after(store) == before
        with store.db.write() as conn:
            assert advance_orders(conn, [], READY, T0) == []
    finally:
        store.close()
