"""Bringing a database written by an earlier megasale up to the current schema.

The schema files only create what is missing (``IF NOT EXISTS``), which cannot change a table
that exists in an older shape. Each step here checks for the older shape and rewrites it in one
write transaction, so a database opened by several processes at once is migrated once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

__all__ = ["migrate"]

#: ``SqliteDatabase.write``: a write transaction under the file's writer lock
Write = Callable[[sqlite3.Connection], AbstractContextManager[sqlite3.Connection]]


def migrate(conn: sqlite3.Connection, write: Write) -> None:
    """Apply every step whose older shape ``conn``'s database still has, each in ``write``."""
    _answers_out_of_line(conn, write)
    _buyer_rows_in_one_tree(conn, write)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _answers_out_of_line(conn: sqlite3.Connection, write: Write) -> None:
    """Stored answers (with the request hash and the order) moved from ``idempotency_keys``
    to the append-only ``responses``."""
    if "body" not in _columns(conn, "idempotency_keys"):
        return
    with write(conn):
        if "body" not in _columns(conn, "idempotency_keys"):  # done meanwhile by another process
            return
        conn.execute("ALTER TABLE idempotency_keys RENAME TO idempotency_keys_before")
        conn.execute(
            "CREATE TABLE idempotency_keys (buyer_id TEXT NOT NULL, key TEXT NOT NULL, "
            "response_id INTEGER NOT NULL, PRIMARY KEY (buyer_id, key)) WITHOUT ROWID"
        )
        conn.execute(
            "CREATE TEMP TABLE numbered AS SELECT row_number() OVER "
            "(ORDER BY created_at, buyer_id, key) + (SELECT coalesce(max(response_id), 0) "
            "FROM responses) AS n, * FROM idempotency_keys_before"
        )
        conn.execute(
            "INSERT INTO responses (response_id, request_hash, order_id, status, body, "
            "created_at) SELECT n, request_hash, order_id, status, body, created_at "
            "FROM numbered"
        )
        conn.execute(
            "INSERT INTO idempotency_keys (buyer_id, key, response_id) "
            "SELECT buyer_id, key, n FROM numbered"
        )
        conn.execute("DROP TABLE numbered")
        conn.execute("DROP TABLE idempotency_keys_before")


def _is_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT type FROM sqlite_schema WHERE name = ?", (name,)).fetchone()
    return row is not None and row[0] == "table"


def _buyer_rows_in_one_tree(conn: sqlite3.Connection, write: Write) -> None:
    """The tables ``idempotency_keys`` and ``buyer_limits`` moved into ``buyer_rows``, and
    made views of it by the same names (schema.sql)."""
    if not _is_table(conn, "idempotency_keys") and not _is_table(conn, "buyer_limits"):
        return
    with write(conn):
        if _is_table(conn, "idempotency_keys"):  # not done meanwhile by another process
            conn.execute(
                "INSERT INTO buyer_rows (buyer_id, kind, name, sku_id, value) "
                "SELECT buyer_id, 0, key, '', response_id FROM idempotency_keys"
            )
            conn.execute("DROP TABLE idempotency_keys")
            conn.execute(
                "CREATE VIEW idempotency_keys (buyer_id, key, response_id) AS "
                "SELECT buyer_id, name, value FROM buyer_rows WHERE kind = 0"
            )
        if _is_table(conn, "buyer_limits"):
            conn.execute(
                "INSERT INTO buyer_rows (buyer_id, kind, name, sku_id, value) "
                "SELECT buyer_id, 1, promotion_id, sku_id, bought FROM buyer_limits"
            )
            conn.execute("DROP TABLE buyer_limits")
            conn.execute(
                "CREATE VIEW buyer_limits (promotion_id, buyer_id, sku_id, bought) AS "
                "SELECT name, buyer_id, sku_id, value FROM buyer_rows WHERE kind = 1"
            )
