"""The SQLite adapter of :class:`~megasale.services.trust_ports.TrustStore`.

Real-name checks, program memberships, the deposit ledger and buyer claims. Every rule that
money depends on is checked inside the write that moves the money (``BEGIN IMMEDIATE`` holds
the file's write lock, so a balance read in the transaction cannot change before it commits).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from megasale.domain.badges import ShopTrust
from megasale.domain.deposits import DepositPolicy, check_payback
from megasale.domain.errors import (
    IdentityLimitReached,
    InvalidTransition,
    TrustRefused,
)
from megasale.domain.ledger import (
    Entry,
    Transaction,
    TxnKind,
    deposit_account,
    merchant_account,
    transfer,
)
from megasale.services.trust_ports import IdentityCheck, Membership
from megasale.storage.sqlite_db import SqliteDatabase, from_micros, to_micros
from megasale.storage.sqlite_trust_claims import SqliteClaims
from megasale.storage.sqlite_trust_ledger import balance_of, post_transaction

__all__ = ["SqliteTrust"]


def _at(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


_CHECK_COLUMNS = (
    "check_id, shop_id, kind, legal_name, masked, status, submitted_at, note, decided_at"
)


def _check(row: tuple[object, ...]) -> IdentityCheck:
    cid, shop, kind, name, masked, status, submitted, note, decided = row
    return IdentityCheck(
        str(cid),
        str(shop),
        str(kind),
        str(name),
        str(masked),
        str(status),
        from_micros(int(submitted)),  # type: ignore[call-overload]
        None if note is None else str(note),
        _at(decided),  # type: ignore[arg-type]
    )


class SqliteTrust(SqliteClaims):
    """Real-name checks, memberships and the deposit ledger; claims from :class:`SqliteClaims`."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    # -- real-name checks -----------------------------------------------------------------
    def _current(self, conn: sqlite3.Connection, shop_id: str) -> IdentityCheck | None:
        row = conn.execute(
            f"SELECT {_CHECK_COLUMNS} FROM identity_checks WHERE shop_id = ? "
            "ORDER BY submitted_at DESC, rowid DESC LIMIT 1",
            (shop_id,),
        ).fetchone()
        return None if row is None else _check(row)

    def submit_identity(self, check: IdentityCheck, digest: bytes, max_shops: int) -> IdentityCheck:
        with self.db.write() as conn:
            current = self._current(conn, check.shop_id)
            if current is not None and current.status in ("pending", "verified"):
                raise TrustRefused(
                    f"shop {check.shop_id} already has a {current.status} check; withdraw it first"
                )
            (backed,) = conn.execute(
                "SELECT count(DISTINCT c.shop_id) FROM identity_checks c "
                "WHERE c.digest = ? AND c.shop_id <> ? AND c.status IN ('pending', 'verified') "
                "AND c.rowid = (SELECT rowid FROM identity_checks x WHERE x.shop_id = c.shop_id "
                "ORDER BY x.submitted_at DESC, x.rowid DESC LIMIT 1)",
                (digest, check.shop_id),
            ).fetchone()
            if backed >= max_shops:
                raise IdentityLimitReached(
                    f"this identity already backs {backed} shop(s), the most allowed is {max_shops}"
                )
            conn.execute(
                "INSERT INTO identity_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    check.check_id,
                    check.shop_id,
                    check.kind,
                    check.legal_name,
                    check.masked,
                    digest,
                    check.status,
                    check.note,
                    to_micros(check.submitted_at),
                ),
            )
        return check

    def decide_identity(
        self,
        shop_id: str,
        allowed_from: frozenset[str],
        status: str,
        note: str | None,
        at: datetime,
    ) -> IdentityCheck:
        with self.db.write() as conn:
            current = self._current(conn, shop_id)
            if current is None or current.status not in allowed_from:
                now = "no check" if current is None else f"a {current.status} check"
                raise InvalidTransition(f"shop {shop_id} has {now}; it cannot become {status}")
            conn.execute(
                "UPDATE identity_checks SET status = ?, note = ?, decided_at = ? "
                "WHERE check_id = ?",
                (status, note, to_micros(at), current.check_id),
            )
            found = self._current(conn, shop_id)
        assert found is not None
        return found

    def current_identity(self, shop_id: str) -> IdentityCheck | None:
        return self._current(self.db.connection(), shop_id)

    def identity_checks(self, status: str, limit: int) -> list[IdentityCheck]:
        rows = self.db.connection().execute(
            f"SELECT {_CHECK_COLUMNS} FROM identity_checks WHERE status = ? "
            "ORDER BY submitted_at, rowid LIMIT ?",
            (status, limit),
        )
        return [_check(r) for r in rows]

    # -- memberships ----------------------------------------------------------------------
    def join(self, shop_id: str, program: str, at: datetime) -> Membership:
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT joined_at FROM trust_memberships "
                "WHERE shop_id = ? AND program = ? AND left_at IS NULL",
                (shop_id, program),
            ).fetchone()
            if row is not None:
                return Membership(shop_id, program, from_micros(row[0]))
            conn.execute(
                "INSERT INTO trust_memberships VALUES (?, ?, ?, NULL)",
                (shop_id, program, to_micros(at)),
            )
        return Membership(shop_id, program, at)

    def leave(self, shop_id: str, program: str, at: datetime) -> Membership:
        with self.db.write() as conn:
            row = conn.execute(
                "UPDATE trust_memberships SET left_at = max(?1, joined_at) "
                "WHERE shop_id = ?2 AND program = ?3 AND left_at IS NULL "
                "RETURNING joined_at, left_at",
                (to_micros(at), shop_id, program),
            ).fetchone()
        if row is None:
            raise InvalidTransition(f"shop {shop_id} is not in the {program} program")
        return Membership(shop_id, program, from_micros(row[0]), from_micros(row[1]))

    def memberships(self, shop_id: str, program: str) -> list[Membership]:
        rows = self.db.connection().execute(
            "SELECT joined_at, left_at FROM trust_memberships WHERE shop_id = ? AND program = ? "
            "ORDER BY joined_at, rowid",
            (shop_id, program),
        )
        return [Membership(shop_id, program, from_micros(j), _at(left)) for j, left in rows]

    # -- the deposit ledger ---------------------------------------------------------------
    def post(self, txn: Transaction, never_negative: Sequence[str]) -> None:
        with self.db.write() as conn:
            post_transaction(conn, txn, never_negative)

    def balance(self, account: str) -> int:
        return balance_of(self.db.connection(), account)

    def transactions(self, shop_id: str) -> list[Transaction]:
        conn = self.db.connection()
        heads = conn.execute(
            "SELECT txn_id, kind, ref, at FROM ledger_transactions WHERE shop_id = ? "
            "ORDER BY at, rowid",
            (shop_id,),
        ).fetchall()
        entries: dict[str, list[Entry]] = {str(h[0]): [] for h in heads}
        for txn_id, account, fen in conn.execute(
            "SELECT e.txn_id, e.account, e.fen FROM ledger_entries e "
            "JOIN ledger_transactions t USING (txn_id) WHERE t.shop_id = ? "
            "ORDER BY e.txn_id, e.line_no",
            (shop_id,),
        ):
            entries[txn_id].append(Entry(account, fen))
        return [
            Transaction(t, TxnKind(k), shop_id, from_micros(at), tuple(entries[t]), ref)
            for t, k, ref, at in heads
        ]

    def pay_back(
        self, shop_id: str, policy: DepositPolicy, txn_id: str, at: datetime
    ) -> Transaction | None:
        with self.db.write() as conn:
            left, still_in = conn.execute(
                "SELECT max(left_at), count(*) - count(left_at) FROM trust_memberships "
                "WHERE shop_id = ? AND program = 'deposit'",
                (shop_id,),
            ).fetchone()
            left_at = None if left is None or still_in else from_micros(left)
            claims, returns = self._open(conn, shop_id)
            check_payback(policy, left_at=left_at, now=at, open_claims=claims, open_returns=returns)
            held = balance_of(conn, deposit_account(shop_id))
            if held == 0:
                return None
            txn = transfer(
                txn_id,
                TxnKind.PAYBACK,
                shop_id,
                source=deposit_account(shop_id),
                target=merchant_account(shop_id),
                fen=held,
                at=at,
            )
            post_transaction(conn, txn, [deposit_account(shop_id)])
        return txn

    @staticmethod
    def _open(conn: sqlite3.Connection, shop_id: str) -> tuple[int, int]:
        (claims,) = conn.execute(
            "SELECT count(*) FROM trust_claims WHERE shop_id = ? AND status = 'open'", (shop_id,)
        ).fetchone()
        (returns,) = conn.execute(
            "SELECT count(*) FROM trust_returns WHERE shop_id = ? "
            "AND status IN ('requested', 'approved')",
            (shop_id,),
        ).fetchone()
        return int(claims), int(returns)

    # -- what badges derive from ----------------------------------------------------------
    def trust_state(self, shop_id: str, at: datetime, policy: DepositPolicy) -> ShopTrust:
        with self.db.read() as conn:
            current = self._current(conn, shop_id)
            micros = to_micros(at)
            member = {
                str(p)
                for (p,) in conn.execute(
                    "SELECT program FROM trust_memberships WHERE shop_id = ? AND joined_at <= ? "
                    "AND (left_at IS NULL OR left_at > ?)",
                    (shop_id, micros, micros),
                )
            }
            held = balance_of(conn, deposit_account(shop_id))
            categories = [
                str(c)
                for (c,) in conn.execute(
                    "SELECT DISTINCT category FROM skus WHERE shop_id = ?", (shop_id,)
                )
            ]
        return ShopTrust(
            shop_id=shop_id,
            identity_status=None if current is None else current.status,
            in_deposit_program="deposit" in member,
            deposit_fen=held,
            required_fen=policy.required_fen(categories),
            in_returns_program="returns" in member,
        )
