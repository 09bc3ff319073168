"""Taking orders on SQLite: a whole batch in one transaction, guards inside the writes.

The writer holds the file's write lock (``BEGIN IMMEDIATE``) for the whole batch, reads the
counters the batch touches, decides each placement in arrival order, then applies the merged
changes with guarded statements (``... WHERE stock_left >= ?``) and checks every row count.
A count that is off means the counters moved under us, which the lock forbids: the batch is
rolled back whole rather than risk an oversell.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from megasale.domain.errors import (
    BuyerLimitReached,
    InvalidTransition,
    PlacementRejected,
    SoldOut,
    SubsidyBudgetExhausted,
    UnknownOrder,
)
from megasale.domain.orders import (
    RECEIVED,
    ClientContext,
    Order,
    OrderLine,
    OrderStatus,
    Pickup,
    Shipping,
    check_transition,
)
from megasale.services.order_events import OrderStatusChanged, order_placed, status_changed
from megasale.services.ports import Placement, PlacementResult, StoredResponse
from megasale.storage.sqlite_db import from_micros, insert_many, to_micros, value_rows
from megasale.storage.sqlite_events import append_events

__all__ = ["GuardViolated", "advance_orders", "change_status", "load_orders", "take_orders"]

_CHUNK = 300  # bound on host parameters per IN (...) query


class GuardViolated(RuntimeError):
    """A guarded write matched fewer rows than decided: the batch must not commit."""


def _chunks(items: Sequence[tuple[object, ...]], size: int) -> Iterable[list[tuple[object, ...]]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _lookup(
    conn: sqlite3.Connection,
    table: str,
    key_columns: tuple[str, ...],
    value_columns: tuple[str, ...],
    keys: Sequence[tuple[object, ...]],
    *,
    join: str = "",
) -> list[tuple[Any, ...]]:
    """Rows of ``table`` whose key is one of ``keys``: key columns, then value columns.

    The keys are a VALUES list joined to the table with CROSS JOIN, which SQLite takes as the
    join order: one primary-key probe per key. (A row-value ``IN (VALUES ...)`` can make the
    planner scan the whole table, which grows all day.) ``join`` adds a join clause after the
    table (alias ``t``); a value column with a dot is taken as written, others are ``t``'s.
    """
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(keys, _CHUNK):
        sql = _lookup_sql(table, key_columns, value_columns, len(chunk), join)
        rows.extend(conn.execute(sql, [v for key in chunk for v in key]).fetchall())
    return rows


@lru_cache(maxsize=4096)
def _lookup_sql(
    table: str,
    key_columns: tuple[str, ...],
    value_columns: tuple[str, ...],
    count: int,
    join: str,
) -> str:
    """The statement of :func:`_lookup` for ``count`` keys (built once per shape)."""
    names = ", ".join(f"k{i}" for i in range(len(key_columns)))
    on = " AND ".join(f"t.{col} = k.k{i}" for i, col in enumerate(key_columns))
    select = ", ".join(col if "." in col else f"t.{col}" for col in (*key_columns, *value_columns))
    return (
        f"WITH k({names}) AS (VALUES {value_rows(len(key_columns), count)}) "
        f"SELECT {select} FROM k CROSS JOIN {table} t ON {on} {join}"
    )


def _guarded(conn: sqlite3.Connection, sql: str, params: list[tuple[object, ...]]) -> None:
    if not params:
        return
    cursor = conn.executemany(sql, params)
    if cursor.rowcount != len(params):
        raise GuardViolated(f"{sql.split()[0]} matched {cursor.rowcount} of {len(params)} rows")


def take_orders(conn: sqlite3.Connection, batch: Sequence[Placement]) -> list[PlacementResult]:
    """Decide and write ``batch`` inside the caller's write transaction."""
    key_ids = list({(p.order.buyer_id, _KEY, p.idempotency_key, "") for p in batch})
    answered: dict[tuple[str, str], tuple[bytes, StoredResponse]] = {
        (b, k): (h, StoredResponse(status, body))
        for b, _, k, _, h, status, body in _lookup(
            conn,
            "buyer_rows",
            _BUYER_ROW,
            ("r.request_hash", "r.status", "r.body"),
            key_ids,
            join="JOIN responses r ON r.response_id = t.value",
        )
    }
    sku_ids = list({(line.sku_id,) for p in batch for line in p.order.lines})
    stock: dict[str, int] = dict(_lookup(conn, "skus", ("sku_id",), ("stock_left",), sku_ids))
    promo_ids = list({(p.order.promotion_id,) for p in batch})
    budget: dict[str, int] = dict(
        _lookup(conn, "promotions", ("promotion_id",), ("budget_left_fen",), promo_ids)
    )
    item_keys = list({(p.order.promotion_id, line.sku_id) for p in batch for line in p.order.lines})
    limit: dict[tuple[str, str], int] = {
        (promo, sku): n
        for promo, sku, n in _lookup(
            conn, "promotion_items", ("promotion_id", "sku_id"), ("limit_per_buyer",), item_keys
        )
    }
    bought_keys = list(
        {
            (p.order.buyer_id, _BOUGHT, p.order.promotion_id, line.sku_id)
            for p in batch
            for line in p.order.lines
        }
    )
    bought: Counter[tuple[str, str, str]] = Counter(
        {
            (promo, buyer, sku): n
            for buyer, _, promo, sku, n in _lookup(
                conn, "buyer_rows", _BUYER_ROW, ("value",), bought_keys
            )
        }
    )

    results: list[PlacementResult] = []
    taken_stock: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    added: Counter[tuple[str, str, str]] = Counter()
    accepted: list[tuple[Order, str]] = []
    stored: list[tuple[object, ...]] = []
    for placement in batch:
        order = placement.order
        key = (order.buyer_id, placement.idempotency_key)
        if key in answered:
            first_hash, response = answered[key]
            if first_hash == placement.request_hash:
                results.append(PlacementResult(response, replayed=True))
            else:
                results.append(PlacementResult(None, key_reused=True))
            continue
        verdict = _decide(order, stock, budget, limit, bought)
        if verdict is None:
            for line in order.lines:
                stock[line.sku_id] -= line.quantity
                taken_stock[line.sku_id] += line.quantity
                bought[(order.promotion_id, order.buyer_id, line.sku_id)] += line.quantity
                added[(order.promotion_id, order.buyer_id, line.sku_id)] += line.quantity
            budget[order.promotion_id] -= order.subsidy_fen
            spent[order.promotion_id] += order.subsidy_fen
            accepted.append((order, placement.idempotency_key))
            response = placement.render(order)
        else:
            response = placement.render(verdict)
        answered[key] = (placement.request_hash, response)
        results.append(PlacementResult(response, accepted=verdict is None))
        stored.append(
            (
                order.buyer_id,
                placement.idempotency_key,
                placement.request_hash,
                order.order_id if verdict is None else None,
                response.status,
                response.body,
                to_micros(order.placed_at),
            )
        )

    _take_stock(conn, taken_stock)
    _guarded(
        conn,
        "UPDATE promotions SET budget_left_fen = budget_left_fen - ?1 "
        "WHERE promotion_id = ?2 AND budget_left_fen >= ?1",
        [(n, promo) for promo, n in spent.items() if n],
    )
    counted = [(b, _BOUGHT, p, s, n) for (p, b, s), n in added.items()]
    if insert_many(conn, "buyer_rows", counted, then=_LIMIT_GUARD) != len(counted):
        raise GuardViolated(f"buyer limits: fewer than {len(counted)} rows within their limit")
    _write_orders(conn, accepted)
    _store_answers(conn, stored)
    return results


def _store_answers(conn: sqlite3.Connection, stored: list[tuple[Any, ...]]) -> None:
    """Key rows (buyer, key) naming their answers (request hash, order, status, body, time),
    the answers appended to ``responses`` under ids taken in order (the write lock is ours)."""
    if not stored:
        return
    last = conn.execute("SELECT coalesce(max(response_id), 0) FROM responses").fetchone()[0]
    ids = range(last + 1, last + 1 + len(stored))
    insert_many(conn, "responses", [(n, *row[2:]) for n, row in zip(ids, stored, strict=True)])
    insert_many(
        conn,
        "buyer_rows",
        [(row[0], _KEY, row[1], "", n) for n, row in zip(ids, stored, strict=True)],
    )


#: the kinds of ``buyer_rows``: an idempotency key, units bought (schema.sql)
_KEY, _BOUGHT = 0, 1
_BUYER_ROW = ("buyer_id", "kind", "name", "sku_id")

#: units bought added to a buyer's row, only within the item's limit per buyer (else the row
#: is left as it was, and the count of changed rows comes up short)
_LIMIT_GUARD = (
    "ON CONFLICT DO UPDATE SET value = value + excluded.value "
    "WHERE value + excluded.value <= (SELECT limit_per_buyer FROM promotion_items i "
    "WHERE i.promotion_id = excluded.name AND i.sku_id = excluded.sku_id)"
)


def _take_stock(conn: sqlite3.Connection, taken: Counter[str]) -> None:
    """Take ``taken`` units off each SKU in one statement, guarded; all rows or GuardViolated."""
    if not taken:
        return
    rows = list(taken.items())
    # (VALUES ...) names its columns column1, column2; a statement that starts with UPDATE
    # gets its rowcount from the sqlite3 module (one that starts with WITH does not)
    values = value_rows(2, len(rows))
    updated = conn.execute(
        f"UPDATE skus SET stock_left = stock_left - t.column2 FROM (VALUES {values}) AS t "
        "WHERE skus.sku_id = t.column1 AND skus.stock_left >= t.column2",
        [v for row in rows for v in row],
    ).rowcount
    if updated != len(rows):
        raise GuardViolated(f"UPDATE skus matched {updated} of {len(rows)} rows")


def _decide(
    order: Order,
    stock: dict[str, int],
    budget: dict[str, int],
    limit: dict[tuple[str, str], int],
    bought: Counter[tuple[str, str, str]],
) -> PlacementRejected | None:
    for line in order.lines:
        if stock.get(line.sku_id, 0) < line.quantity:
            return SoldOut(f"SKU {line.sku_id} has fewer than {line.quantity} units left")
        cap = limit.get((order.promotion_id, line.sku_id), 0)
        have = bought[(order.promotion_id, order.buyer_id, line.sku_id)]
        if have + line.quantity > cap:
            return BuyerLimitReached(
                f"SKU {line.sku_id} is limited to {cap} per buyer in this promotion; "
                f"you have {have}"
            )
    if budget.get(order.promotion_id, 0) < order.subsidy_fen:
        return SubsidyBudgetExhausted(
            f"promotion {order.promotion_id} has no subsidy budget left for this order"
        )
    return None


def _write_orders(conn: sqlite3.Connection, orders: list[tuple[Order, str]]) -> None:
    order_rows: list[tuple[object, ...]] = []
    line_rows: list[tuple[object, ...]] = []
    event_rows: list[tuple[str, str, bytes, int]] = []
    for o, key in orders:
        f = o.fulfilment
        placed = to_micros(o.placed_at)
        order_rows.append(
            (
                o.order_id,
                o.buyer_id,
                o.shop_id,
                o.promotion_id,
                o.status.value,
                o.amount_fen,
                o.subsidy_fen,
                f.kind,
                f.store_id if isinstance(f, Pickup) else None,
                f.address if isinstance(f, Shipping) else None,
                o.client.ip,
                o.client.device_id,
                o.client.payment_id,
                placed,
                key,
            )
        )
        line_rows.extend(
            (
                o.order_id,
                n,
                line.sku_id,
                line.category,
                line.quantity,
                line.unit_price_fen,
                line.amount_fen,
                line.subsidy_fen,
            )
            for n, line in enumerate(o.lines)
        )
        event_id, kind, payload = order_placed(o)
        event_rows.append((event_id, kind, payload, placed))
    insert_many(conn, f"orders ({_INSERTED_ORDER_COLUMNS})", order_rows)
    insert_many(conn, "order_lines", line_rows)
    append_events(conn, event_rows)


_INSERTED_ORDER_COLUMNS = (
    "order_id, buyer_id, shop_id, promotion_id, status, amount_fen, subsidy_fen, fulfilment, "
    "pickup_store_id, ship_address, ip, device_id, payment_id, placed_at, idempotency_key"
)

_ORDER_COLUMNS = (
    "o.order_id, o.buyer_id, o.shop_id, o.promotion_id, o.status, o.fulfilment, "
    "o.pickup_store_id, o.ship_address, o.ip, o.device_id, o.payment_id, o.placed_at, "
    "o.received_at"
)


def load_orders(
    conn: sqlite3.Connection,
    where: str,
    params: tuple[object, ...],
    *,
    order_by: str = "o.order_id",
    limit: int = 1,
) -> list[Order]:
    """Orders matching ``where`` (a trusted SQL fragment over alias ``o``), with their lines."""
    rows = conn.execute(
        f"SELECT {_ORDER_COLUMNS} FROM orders o WHERE {where} ORDER BY {order_by} LIMIT ?",
        (*params, limit),
    ).fetchall()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    lines: dict[str, list[OrderLine]] = {i: [] for i in ids}
    marks = ",".join("?" * len(ids))
    for order_id, *rest in conn.execute(
        "SELECT order_id, sku_id, category, quantity, unit_price_fen, amount_fen, subsidy_fen "
        f"FROM order_lines WHERE order_id IN ({marks}) ORDER BY order_id, line_no",
        ids,
    ):
        lines[order_id].append(OrderLine(*rest))
    orders = []
    for oid, buyer, shop, promo, status, kind, store, address, ip, device, pay, at, got in rows:
        fulfilment = Pickup(store) if kind == "pickup" else Shipping(address)
        orders.append(
            Order(
                order_id=oid,
                buyer_id=buyer,
                shop_id=shop,
                promotion_id=promo,
                lines=tuple(lines[oid]),
                fulfilment=fulfilment,
                client=ClientContext(ip, device, pay),
                placed_at=from_micros(at),
                status=OrderStatus(status),
                received_at=None if got is None else from_micros(got),
            )
        )
    return orders


def change_status(
    conn: sqlite3.Connection,
    order_id: str,
    target: OrderStatus,
    at: datetime,
    *,
    refund_fen: int = 0,
    release: bool = False,
) -> Order:
    """Move an order to ``target`` inside the caller's write transaction, with its event.

    With ``release``, the order's stock goes back to its SKUs, its subsidy back to the
    promotion's budget and its units back to the buyer's limit, once per order whatever is
    called later. Other capabilities (fulfilment, returns) call this from their own writes.
    """
    found = load_orders(conn, "o.order_id = ?", (order_id,))
    if not found:
        raise UnknownOrder(f"no order {order_id}")
    order = found[0]
    check_transition(order.status, target)
    micros = to_micros(at)
    received = micros if target in RECEIVED else None
    updated = conn.execute(
        "UPDATE orders SET status = ?, status_at = ?, received_at = coalesce(?, received_at) "
        "WHERE order_id = ? AND status = ?",
        (target.value, micros, received, order_id, order.status.value),
    ).rowcount
    if updated != 1:
        raise GuardViolated(f"order {order_id} changed status under us")
    returned = 0
    if release:
        freed = conn.execute(
            "UPDATE orders SET released_at = ? WHERE order_id = ? AND released_at IS NULL",
            (micros, order_id),
        ).rowcount
        if freed == 1:
            returned = order.subsidy_fen
            _release(conn, order)
    event_id, kind, payload = status_changed(
        OrderStatusChanged(
            order_id=order.order_id,
            buyer_id=order.buyer_id,
            shop_id=order.shop_id,
            status=target.value,
            previous=order.status.value,
            at=at.isoformat(),
            amount_fen=order.amount_fen,
            refund_fen=refund_fen,
            released=returned > 0 or (release and order.subsidy_fen == 0),
            subsidy_returned_fen=returned,
        )
    )
    append_events(conn, [(event_id, kind, payload, micros)])
    return replace(order, status=target, received_at=at if received else order.received_at)


def advance_orders(
    conn: sqlite3.Connection, order_ids: Sequence[str], target: OrderStatus, at: datetime
) -> list[str]:
    """Move many orders to ``target`` inside the caller's write transaction, each with its event,
    as :func:`change_status` moves one (without a release), in a few statements for them all.

    An order whose status cannot move to ``target`` (it has moved on) is left as it is; an
    unknown one is :class:`UnknownOrder`. Returns the ids moved, in the order given; their events
    are appended in that order.
    """
    ids = list(dict.fromkeys(order_ids))
    found = {
        oid: rest
        for oid, *rest in _lookup(
            conn, "orders", ("order_id",), ("status", "buyer_id", "shop_id", "amount_fen"),
            [(oid,) for oid in ids],
        )
    }  # fmt: skip
    moving: list[tuple[str, str, str, str, int]] = []
    for oid in ids:
        if oid not in found:
            raise UnknownOrder(f"no order {oid}")
        status, buyer, shop, amount = found[oid]
        try:
            check_transition(OrderStatus(status), target)
        except InvalidTransition:
            continue
        moving.append((oid, status, buyer, shop, amount))
    micros = to_micros(at)
    received = micros if target in RECEIVED else None
    for chunk in _chunks([(oid, status) for oid, status, *_ in moving], _CHUNK):
        updated = conn.execute(
            "UPDATE orders SET status = ?, status_at = ?, received_at = coalesce(?, received_at) "
            f"FROM (VALUES {value_rows(2, len(chunk))}) AS t "
            "WHERE orders.order_id = t.column1 AND orders.status = t.column2",
            [target.value, micros, received, *(v for row in chunk for v in row)],
        ).rowcount
        if updated != len(chunk):
            raise GuardViolated(f"{len(chunk) - updated} orders changed status under us")
    events = []
    when = at.isoformat()
    for oid, status, buyer, shop, amount in moving:
        event_id, kind, payload = status_changed(
            OrderStatusChanged(
                order_id=oid,
                buyer_id=buyer,
                shop_id=shop,
                status=target.value,
                previous=status,
                at=when,
                amount_fen=amount,
                refund_fen=0,
                released=False,
                subsidy_returned_fen=0,
            )
        )
        events.append((event_id, kind, payload, micros))
    append_events(conn, events)
    return [oid for oid, *_ in moving]


def _release(conn: sqlite3.Connection, order: Order) -> None:
    for line in order.lines:
        conn.execute(
            "UPDATE skus SET stock_left = stock_left + ? WHERE sku_id = ?",
            (line.quantity, line.sku_id),
        )
        conn.execute(
            "UPDATE buyer_rows SET value = max(value - ?, 0) "
            "WHERE buyer_id = ? AND kind = ? AND name = ? AND sku_id = ?",
            (line.quantity, order.buyer_id, _BOUGHT, order.promotion_id, line.sku_id),
        )
    if order.subsidy_fen:
        _guarded(
            conn,
            "UPDATE promotions SET budget_left_fen = budget_left_fen + ?1 "
            "WHERE promotion_id = ?2 AND budget_left_fen + ?1 <= budget_fen",
            [(order.subsidy_fen, order.promotion_id)],
        )
