"""Pickup codes on SQLite: redeem once, count wrong codes, expire and cancel.

Each function runs inside the caller's write transaction (``BEGIN IMMEDIATE``), so concurrent
redemptions of one code are serialised by the file's write lock: the first finds the code
waiting and collects it, every later one finds it collected.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timedelta

from megasale.domain.errors import InvalidTransition
from megasale.domain.fulfilment import PickupPolicy
from megasale.domain.orders import OrderStatus
from megasale.services.fulfilment_ports import Redemption, RedemptionOutcome
from megasale.storage.sqlite_db import to_micros
from megasale.storage.sqlite_orders import change_status, load_orders

__all__ = ["cancel_order", "expire_pickup", "redeem_code"]


def _micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def redeem_code(
    conn: sqlite3.Connection,
    clerk_id: str,
    store_id: str,
    lookup_hash: bytes,
    at: datetime,
    policy: PickupPolicy,
) -> Redemption:
    """Redeem the code with ``lookup_hash`` at ``store_id``; wrong codes are counted."""
    now = to_micros(at)
    limited = _rate_limited(conn, clerk_id, store_id, now, policy)
    if limited is not None:
        return limited
    row = conn.execute(
        "SELECT order_id, store_id, state, expires_at FROM pickup_codes WHERE lookup_hash = ?",
        (lookup_hash,),
    ).fetchone()
    if row is None or row[1] != store_id:
        _count_wrong(conn, clerk_id, store_id, now, policy)
        if row is None:
            return Redemption(RedemptionOutcome.UNKNOWN_CODE)
        return Redemption(RedemptionOutcome.ANOTHER_STORE, other_store=row[1])
    order_id, _, state, expires_at = row
    if state == "collected":
        return Redemption(RedemptionOutcome.ALREADY_COLLECTED)
    if state != "waiting":
        return Redemption(RedemptionOutcome.EXPIRED)
    if now >= expires_at:
        expire_pickup(conn, order_id, at)
        return Redemption(RedemptionOutcome.EXPIRED)
    try:
        order = change_status(conn, order_id, OrderStatus.COLLECTED, at)
    except InvalidTransition:
        return Redemption(RedemptionOutcome.NOT_WAITING)
    conn.execute(
        "UPDATE pickup_codes SET state = 'collected', collected_at = ?, collected_by = ? "
        "WHERE order_id = ?",
        (now, clerk_id, order_id),
    )
    return Redemption(RedemptionOutcome.COLLECTED, order=order)


def cancel_order(conn: sqlite3.Connection, order_id: str, at: datetime) -> None:
    """Cancel an order that will not be fulfilled: paid back, stock and subsidy returned."""
    order = load_orders(conn, "o.order_id = ?", (order_id,))[0]
    change_status(conn, order_id, OrderStatus.CANCELLED, at, refund_fen=order.pay_fen, release=True)


def expire_pickup(conn: sqlite3.Connection, order_id: str, at: datetime) -> None:
    conn.execute("UPDATE pickup_codes SET state = 'expired' WHERE order_id = ?", (order_id,))
    # An order already cancelled another way stays so: the code is dead either way.
    with contextlib.suppress(InvalidTransition):
        cancel_order(conn, order_id, at)


def _rate_limited(
    conn: sqlite3.Connection, clerk_id: str, store_id: str, now: int, policy: PickupPolicy
) -> Redemption | None:
    window = _micros(policy.attempt_window)
    for column, key, cap in (
        ("clerk_id", clerk_id, policy.max_wrong_per_clerk),
        ("store_id", store_id, policy.max_wrong_per_store),
    ):
        count = conn.execute(
            f"SELECT count(*) FROM pickup_wrong_codes WHERE {column} = ? AND at > ?",
            (key, now - window),
        ).fetchone()[0]
        if count >= cap:
            # The attempt is allowed again once enough wrong codes have left the window.
            freeing = conn.execute(
                f"SELECT at FROM pickup_wrong_codes WHERE {column} = ? AND at > ? "
                "ORDER BY at LIMIT 1 OFFSET ?",
                (key, now - window, count - cap),
            ).fetchone()[0]
            wait = timedelta(microseconds=freeing + window - now)
            return Redemption(
                RedemptionOutcome.RATE_LIMITED, retry_after=wait, limited_by=column[:-3]
            )
    return None


def _count_wrong(
    conn: sqlite3.Connection, clerk_id: str, store_id: str, now: int, policy: PickupPolicy
) -> None:
    cutoff = now - _micros(policy.attempt_window)
    conn.execute(
        "DELETE FROM pickup_wrong_codes WHERE clerk_id = ? AND at <= ?", (clerk_id, cutoff)
    )
    conn.execute(
        "DELETE FROM pickup_wrong_codes WHERE store_id = ? AND at <= ?", (store_id, cutoff)
    )
    conn.execute("INSERT INTO pickup_wrong_codes VALUES (?, ?, ?)", (clerk_id, store_id, now))
