"""The deposit ledger on SQLite: post a balanced transaction, read a balance, in a transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from megasale.domain.errors import InsufficientDeposit
from megasale.domain.ledger import Transaction
from megasale.storage.sqlite_db import to_micros

__all__ = ["balance_of", "post_transaction"]


def balance_of(conn: sqlite3.Connection, account: str) -> int:
    row = conn.execute(
        "SELECT coalesce(sum(fen), 0) FROM ledger_entries WHERE account = ?", (account,)
    ).fetchone()
    return int(row[0])


def post_transaction(
    conn: sqlite3.Connection, txn: Transaction, never_negative: Sequence[str]
) -> None:
    conn.execute(
        "INSERT INTO ledger_transactions VALUES (?, ?, ?, ?, ?)",
        (txn.txn_id, txn.kind.value, txn.shop_id, txn.ref, to_micros(txn.at)),
    )
    conn.executemany(
        "INSERT INTO ledger_entries VALUES (?, ?, ?, ?)",
        [(txn.txn_id, n, e.account, e.fen) for n, e in enumerate(txn.entries)],
    )
    for account in never_negative:
        left = balance_of(conn, account)
        if left < 0:
            raise InsufficientDeposit(
                f"{account} would end at {left} fen; a deposit never goes negative"
            )
