"""A small sale on a real store for the live screen's tests, and its figures by plain SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec

from megasale.domain.orders import OrderStatus
from megasale.services.brushing_events import (
    RING_CLEARED,
    RingFlagged,
    RingRuling,
    ring_flagged,
    ring_ruling,
)
from megasale.storage.sqlite_db import SqliteDatabase
from megasale.storage.sqlite_events import append_event


def now() -> datetime:
    return datetime.now(UTC)


def place_orders(api, count: int, *, first: int = 0) -> list[dict]:  # type: ignore[no-untyped-def]
    """``count`` orders over HTTP from the seeded buyers: pickup and shipping, several SKUs."""
    placed = []
    buyers = api.seeded.buyers
    for n in range(first, first + count):
        buyer = buyers[n % len(buyers)]
        sku = api.seeded.skus[n % len(api.seeded.skus)]["sku_id"]
        where = (
            {"kind": "pickup", "store_id": "st-sh-01"}
            if n % 3
            else {"kind": "shipping", "address": f"Chengdu, Wuhou, {n} Renmin Road"}
        )
        r = api.place(buyer["token"], f"live-{n}", api.order_body(sku=sku, fulfilment=where))
        assert r.status_code == 201, r.text
        placed.append(r.json())
    return placed


def cancel(store, order_id: str) -> None:  # type: ignore[no-untyped-def]
    store.change_order_status(order_id, OrderStatus.CANCELLED, now(), release=True)


def collect_and_return(store, order_id: str, refund_fen: int) -> None:  # type: ignore[no-untyped-def]
    store.change_order_status(order_id, OrderStatus.READY_FOR_PICKUP, now())
    store.change_order_status(order_id, OrderStatus.COLLECTED, now())
    store.change_order_status(
        order_id, OrderStatus.RETURNED, now(), refund_fen=refund_fen, release=True
    )


def flag_ring(db: SqliteDatabase, ring_id: str, order_ids: list[str]) -> None:
    event = RingFlagged(ring_id, "subsidy_farming", 0.93, order_ids, ["b"], 0, 0, now().isoformat())
    with db.write() as conn:
        append_event(conn, *ring_flagged(event), now())


def clear_ring(db: SqliteDatabase, ring_id: str) -> None:
    with db.write() as conn:
        append_event(
            conn, *ring_ruling(RING_CLEARED, RingRuling(ring_id, now().isoformat())), now()
        )


def sql_figures(path: Path) -> dict[str, int]:
    """The sale's figures straight from the orders table (and the refunds the events tell)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        gross, orders, buyers, cancelled_fen, subsidy_kept = conn.execute(
            "SELECT coalesce(sum(amount_fen), 0), count(*), count(DISTINCT buyer_id), "
            "coalesce(sum(CASE WHEN status = 'cancelled' THEN amount_fen END), 0), "
            "coalesce(sum(CASE WHEN released_at IS NULL THEN subsidy_fen END), 0) FROM orders"
        ).fetchone()
        refunds: dict[str, int] = {}
        rings: dict[str, set[str]] = {}
        for kind, payload in conn.execute("SELECT kind, payload FROM events ORDER BY seq"):
            body = msgspec.json.decode(payload)
            if kind == "order.status_changed" and body["status"] == "returned":
                refunds[body["order_id"]] = refunds.get(body["order_id"], 0) + body["refund_fen"]
            elif kind == "brushing.ring_flagged":
                rings.setdefault(body["ring_id"], set()).update(body["order_ids"])
            elif kind == "brushing.ring_cleared":
                rings.pop(body["ring_id"], None)
        left = {
            order_id: 0 if status == "cancelled" else max(0, amount - refunds.get(order_id, 0))
            for order_id, status, amount in conn.execute(
                "SELECT order_id, status, amount_fen FROM orders"
            )
        }
    finally:
        conn.close()
    flagged = set().union(*rings.values()) if rings else set()
    return {
        "gross": gross,
        "net": sum(left.values()),
        "net_of_brushing": sum(v for k, v in left.items() if k not in flagged),
        "orders": orders,
        "buyers": buyers,
        "cancelled": cancelled_fen,
        "subsidy_spent": subsidy_kept,
    }


def screen_figures(snapshot: dict) -> dict[str, int]:  # type: ignore[type-arg]
    """The same figures as the live screen shows them (a snapshot's JSON)."""
    return {
        "gross": snapshot["gmv"]["gross"],
        "net": snapshot["gmv"]["net"],
        "net_of_brushing": snapshot["gmv"]["net_of_brushing"],
        "orders": snapshot["orders"],
        "buyers": snapshot["buyers"],
        "cancelled": snapshot["gmv"]["cancelled"],
        "subsidy_spent": snapshot["subsidy_spent"],
    }
