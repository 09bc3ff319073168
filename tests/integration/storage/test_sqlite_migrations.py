"""A database written by an earlier megasale opens with the current schema, its data kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from megasale.storage.sqlite_db import SqliteDatabase

# idempotency_keys as megasale 0.2 created it: the answer inline
_BEFORE = """
CREATE TABLE idempotency_keys (
    buyer_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    order_id     TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (buyer_id, key)
) WITHOUT ROWID;
INSERT INTO idempotency_keys VALUES
    ('b-2', 'k1', x'02', 409, CAST('{"type":"sold-out"}' AS BLOB), NULL, 20),
    ('b-1', 'k1', x'01', 201, CAST('{"order_id":"o-1"}' AS BLOB), 'o-1', 10),
    ('b-1', 'k2', x'03', 201, CAST('{"order_id":"o-2"}' AS BLOB), 'o-2', 30);
"""


def _answers(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT k.buyer_id, k.key, r.request_hash, r.status, CAST(r.body AS TEXT), r.order_id, "
        "r.created_at FROM idempotency_keys k JOIN responses r USING (response_id) "
        "ORDER BY k.buyer_id, k.key"
    ).fetchall()


def test_answers_stored_inline_move_to_the_responses_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(_BEFORE)
    db = SqliteDatabase(path)
    try:
        conn = db.connection()
        columns = {row[1] for row in conn.execute("PRAGMA table_info(idempotency_keys)")}
        assert columns == {"buyer_id", "key", "response_id"}
        assert _answers(conn) == [
            ("b-1", "k1", b"\x01", 201, '{"order_id":"o-1"}', "o-1", 10),
            ("b-1", "k2", b"\x03", 201, '{"order_id":"o-2"}', "o-2", 30),
            ("b-2", "k1", b"\x02", 409, '{"type":"sold-out"}', None, 20),
        ]
        # answered in time order: the appended answers keep it
        ids = [row[0] for row in conn.execute("SELECT response_id FROM responses ORDER BY 1")]
        assert ids == [1, 2, 3]
        assert [r[0] for r in conn.execute("SELECT created_at FROM responses ORDER BY 1")] == [
            10,
            20,
            30,
        ]
    finally:
        db.close()
    again = SqliteDatabase(path)  # opening a migrated file changes nothing
    try:
        assert len(_answers(again.connection())) == 3
    finally:
        again.close()


# the two per-buyer tables as megasale 0.5 created them, before they became one B-tree
_TWO_TABLES = """
CREATE TABLE buyer_limits (
    promotion_id TEXT NOT NULL,
    buyer_id     TEXT NOT NULL,
    sku_id       TEXT NOT NULL,
    bought       INTEGER NOT NULL CHECK (bought >= 0),
    PRIMARY KEY (promotion_id, buyer_id, sku_id)
) WITHOUT ROWID;
CREATE TABLE idempotency_keys (
    buyer_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    response_id  INTEGER NOT NULL,
    PRIMARY KEY (buyer_id, key)
) WITHOUT ROWID;
CREATE TABLE responses (
    response_id  INTEGER PRIMARY KEY,
    request_hash BLOB NOT NULL,
    order_id     TEXT,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
INSERT INTO responses VALUES
    (1, x'01', 'o-1', 201, CAST('{"order_id":"o-1"}' AS BLOB), 10),
    (2, x'02', NULL, 409, CAST('{"type":"sold-out"}' AS BLOB), 20);
INSERT INTO idempotency_keys VALUES ('b-1', 'k1', 1), ('b-2', 'k1', 2);
INSERT INTO buyer_limits VALUES ('p-1', 'b-1', 's-1', 2), ('p-1', 'b-2', 's-1', 0);
"""


def test_keys_and_limits_move_into_one_tree_keyed_by_buyer(tmp_path: Path) -> None:
    path = tmp_path / "two-tables.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(_TWO_TABLES)
    for _ in range(2):  # opening a migrated file again changes nothing
        db = SqliteDatabase(path)
        try:
            conn = db.connection()
            kinds = dict(
                conn.execute(
                    "SELECT name, type FROM sqlite_schema "
                    "WHERE name IN ('idempotency_keys', 'buyer_limits', 'buyer_rows')"
                ).fetchall()
            )
            assert kinds == {
                "idempotency_keys": "view",
                "buyer_limits": "view",
                "buyer_rows": "table",
            }
            assert conn.execute(
                "SELECT buyer_id, kind, name, sku_id, value FROM buyer_rows ORDER BY 1, 2"
            ).fetchall() == [
                ("b-1", 0, "k1", "", 1),
                ("b-1", 1, "p-1", "s-1", 2),
                ("b-2", 0, "k1", "", 2),
                ("b-2", 1, "p-1", "s-1", 0),
            ]
            assert conn.execute(
                "SELECT promotion_id, buyer_id, sku_id, bought FROM buyer_limits ORDER BY 2"
            ).fetchall() == [("p-1", "b-1", "s-1", 2), ("p-1", "b-2", "s-1", 0)]
            assert _answers(conn) == [
                ("b-1", "k1", b"\x01", 201, '{"order_id":"o-1"}', "o-1", 10),
                ("b-2", "k1", b"\x02", 409, '{"type":"sold-out"}', None, 20),
            ]
        finally:
            db.close()
