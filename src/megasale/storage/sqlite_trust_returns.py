"""The SQLite adapter of :class:`~megasale.services.trust_ports.ReturnsStore`.

A refund is one write: the refund row (guarded so that the order's refunds never sum past what
the buyer paid), the return closed, and the order moved to ``returned`` through the core's
``change_status`` with ``release=True``, which gives stock, subsidy and the buyer's limit back
exactly once and writes the event the live screen reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime

from megasale.domain.errors import InvalidTransition, ReturnRefused, UnknownOrder, UnknownReturn
from megasale.domain.orders import OrderStatus
from megasale.domain.returns import check_refund
from megasale.services.trust_ports import ReturnRequest
from megasale.storage.sqlite_db import SqliteDatabase, from_micros, to_micros
from megasale.storage.sqlite_orders import change_status, load_orders

__all__ = ["SqliteReturns"]

_COLUMNS = (
    "r.return_id, r.order_id, r.buyer_id, r.shop_id, r.route, r.why, r.status, r.requested_at, "
    "r.reason, r.note, r.approved_at, r.closed_at, "
    "(SELECT coalesce(sum(f.fen), 0) FROM trust_refunds f WHERE f.return_id = r.return_id)"
)


def _request(row: tuple[object, ...]) -> ReturnRequest:
    rid, order, buyer, shop, route, why, status, asked, reason, note, approved, closed, paid = row

    def at(v: object) -> datetime | None:
        return None if v is None else from_micros(int(v))  # type: ignore[call-overload]

    return ReturnRequest(
        return_id=str(rid),
        order_id=str(order),
        buyer_id=str(buyer),
        shop_id=str(shop),
        route=str(route),
        why=str(why),
        status=str(status),
        requested_at=from_micros(int(asked)),  # type: ignore[call-overload]
        reason=None if reason is None else str(reason),
        note=None if note is None else str(note),
        approved_at=at(approved),
        closed_at=at(closed),
        refunded_fen=int(paid),  # type: ignore[call-overload]
    )


class SqliteReturns:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    def guaranteed_at(self, shop_id: str, at: datetime) -> bool:
        micros = to_micros(at)
        row = (
            self.db.connection()
            .execute(
                "SELECT 1 FROM trust_memberships WHERE shop_id = ? AND program = 'returns' "
                "AND joined_at <= ? AND (left_at IS NULL OR left_at > ?) LIMIT 1",
                (shop_id, micros, micros),
            )
            .fetchone()
        )
        return row is not None

    def exclusions(self, sku_ids: Sequence[str]) -> Mapping[str, str]:
        ids = list(dict.fromkeys(sku_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.connection().execute(
            "SELECT sku_id, exclusion_reason FROM sku_return_policies "
            f"WHERE returnable = 0 AND sku_id IN ({marks})",
            ids,
        )
        return {str(s): str(r) for s, r in rows}

    def set_exclusion(self, sku_id: str, reason: str | None) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO sku_return_policies VALUES (?1, ?2, ?3) ON CONFLICT (sku_id) "
                "DO UPDATE SET returnable = ?2, exclusion_reason = ?3",
                (sku_id, 1 if reason is None else 0, reason),
            )

    def open_return(self, request: ReturnRequest) -> ReturnRequest:
        r = request
        try:
            with self.db.write() as conn:
                conn.execute(
                    "INSERT INTO trust_returns VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL)",
                    (
                        r.return_id,
                        r.order_id,
                        r.buyer_id,
                        r.shop_id,
                        r.route,
                        r.why,
                        r.reason,
                        r.status,
                        to_micros(r.requested_at),
                        None if r.approved_at is None else to_micros(r.approved_at),
                    ),
                )
        except sqlite3.IntegrityError:
            raise ReturnRefused(f"order {r.order_id} already has an open return") from None
        return r

    def _get(self, conn: sqlite3.Connection, return_id: str) -> ReturnRequest:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM trust_returns r WHERE r.return_id = ?", (return_id,)
        ).fetchone()
        if row is None:
            raise UnknownReturn(f"no return {return_id}")
        return _request(row)

    def decide_return(
        self, return_id: str, status: str, note: str | None, at: datetime
    ) -> ReturnRequest:
        micros = to_micros(at)
        with self.db.write() as conn:
            current = self._get(conn, return_id)
            if current.status != "requested":
                raise InvalidTransition(f"return {return_id} is {current.status}, not requested")
            conn.execute(
                "UPDATE trust_returns SET status = ?, note = ?, approved_at = ?, closed_at = ? "
                "WHERE return_id = ? AND status = 'requested'",
                (
                    status,
                    note,
                    micros if status == "approved" else None,
                    micros if status == "rejected" else None,
                    return_id,
                ),
            )
            return self._get(conn, return_id)

    def refund_return(
        self, return_id: str, fen: int | None, refund_id: str, at: datetime
    ) -> ReturnRequest:
        micros = to_micros(at)
        with self.db.write() as conn:
            current = self._get(conn, return_id)
            if current.status != "approved":
                raise InvalidTransition(
                    f"return {return_id} is {current.status}; only an approved return is refunded"
                )
            found = load_orders(conn, "o.order_id = ?", (current.order_id,))
            if not found:
                raise UnknownOrder(f"no order {current.order_id}")
            pay = found[0].pay_fen
            before = self._refunded(conn, current.order_id)
            amount = pay - before if fen is None else fen
            if amount > 0 or fen is not None:
                check_refund(amount, pay, before)
                inserted = conn.execute(
                    "INSERT INTO trust_refunds SELECT ?1, ?2, ?3, ?4, ?5 "
                    "WHERE (SELECT coalesce(sum(fen), 0) FROM trust_refunds WHERE order_id = ?2) "
                    "+ ?4 <= ?6",
                    (refund_id, current.order_id, return_id, amount, micros, pay),
                ).rowcount
                if inserted != 1:
                    raise InvalidTransition("the refunds of this order moved under us")
            conn.execute(
                "UPDATE trust_returns SET status = 'refunded', closed_at = ? WHERE return_id = ?",
                (micros, return_id),
            )
            change_status(
                conn,
                current.order_id,
                OrderStatus.RETURNED,
                at,
                refund_fen=max(amount, 0),
                release=True,
            )
            return self._get(conn, return_id)

    @staticmethod
    def _refunded(conn: sqlite3.Connection, order_id: str) -> int:
        (total,) = conn.execute(
            "SELECT coalesce(sum(fen), 0) FROM trust_refunds WHERE order_id = ?", (order_id,)
        ).fetchone()
        return int(total)

    def refunded_fen(self, order_id: str) -> int:
        return self._refunded(self.db.connection(), order_id)

    def get_return(self, return_id: str) -> ReturnRequest:
        return self._get(self.db.connection(), return_id)

    def returns_of_shop(self, shop_id: str, status: str | None, limit: int) -> list[ReturnRequest]:
        rows = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM trust_returns r WHERE r.shop_id = ?1 "
            "AND (?2 IS NULL OR r.status = ?2) ORDER BY r.requested_at DESC, r.rowid DESC LIMIT ?3",
            (shop_id, status, limit),
        )
        return [_request(r) for r in rows]

    def returns_of_order(self, order_id: str) -> list[ReturnRequest]:
        rows = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM trust_returns r WHERE r.order_id = ? "
            "ORDER BY r.requested_at, r.rowid",
            (order_id,),
        )
        return [_request(r) for r in rows]

    def approved_before(self, at: datetime, limit: int) -> list[str]:
        rows = self.db.connection().execute(
            "SELECT return_id FROM trust_returns WHERE status = 'approved' AND approved_at <= ? "
            "ORDER BY approved_at LIMIT ?",
            (to_micros(at), limit),
        )
        return [str(r[0]) for r in rows]
