"""Buyer claims against a deposit on SQLite: an award is paid in the write that decides it."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from megasale.domain.deposits import check_award
from megasale.domain.errors import InvalidTransition, TrustRefused, UnknownClaim
from megasale.domain.ledger import TxnKind, buyer_account, deposit_account, transfer
from megasale.services.trust_ports import Claim
from megasale.storage.sqlite_db import SqliteDatabase, from_micros, to_micros
from megasale.storage.sqlite_trust_ledger import balance_of, post_transaction

__all__ = ["SqliteClaims"]

_CLAIM_COLUMNS = (
    "claim_id, order_id, buyer_id, shop_id, description, asked_fen, status, filed_at, "
    "awarded_fen, note, decided_at"
)


def _claim(row: tuple[object, ...]) -> Claim:
    cid, order, buyer, shop, desc, asked, status, filed, awarded, note, decided = row
    return Claim(
        str(cid),
        str(order),
        str(buyer),
        str(shop),
        str(desc),
        int(asked),  # type: ignore[call-overload]
        str(status),
        from_micros(int(filed)),  # type: ignore[call-overload]
        int(awarded),  # type: ignore[call-overload]
        None if note is None else str(note),
        None if decided is None else from_micros(int(decided)),  # type: ignore[call-overload]
    )


class SqliteClaims:
    db: SqliteDatabase

    # -- claims ---------------------------------------------------------------------------
    def file_claim(self, claim: Claim) -> Claim:
        try:
            with self.db.write() as conn:
                conn.execute(
                    "INSERT INTO trust_claims "
                    "VALUES (?, ?, ?, ?, ?, ?, 'open', 0, NULL, NULL, ?, NULL)",
                    (
                        claim.claim_id,
                        claim.order_id,
                        claim.buyer_id,
                        claim.shop_id,
                        claim.description,
                        claim.asked_fen,
                        to_micros(claim.filed_at),
                    ),
                )
        except sqlite3.IntegrityError:
            raise TrustRefused(f"order {claim.order_id} already has an open claim") from None
        return claim

    def _open_claim(self, conn: sqlite3.Connection, claim_id: str) -> Claim:
        row = conn.execute(
            f"SELECT {_CLAIM_COLUMNS} FROM trust_claims WHERE claim_id = ?", (claim_id,)
        ).fetchone()
        if row is None:
            raise UnknownClaim(f"no claim {claim_id}")
        claim = _claim(row)
        if claim.status != "open":
            raise InvalidTransition(f"claim {claim_id} is already {claim.status}")
        return claim

    def award_claim(self, claim_id: str, fen: int, txn_id: str, at: datetime) -> Claim:
        with self.db.write() as conn:
            claim = self._open_claim(conn, claim_id)
            source = deposit_account(claim.shop_id)
            check_award(fen, balance_of(conn, source))
            txn = transfer(
                txn_id,
                TxnKind.CLAIM_AWARD,
                claim.shop_id,
                source=source,
                target=buyer_account(claim.buyer_id),
                fen=fen,
                at=at,
                ref=claim_id,
            )
            post_transaction(conn, txn, [source])
            conn.execute(
                "UPDATE trust_claims SET status = 'awarded', awarded_fen = ?, txn_id = ?, "
                "decided_at = ? WHERE claim_id = ? AND status = 'open'",
                (fen, txn_id, to_micros(at), claim_id),
            )
        return self.get_claim(claim_id)

    def dismiss_claim(self, claim_id: str, note: str, at: datetime) -> Claim:
        with self.db.write() as conn:
            self._open_claim(conn, claim_id)
            conn.execute(
                "UPDATE trust_claims SET status = 'dismissed', note = ?, decided_at = ? "
                "WHERE claim_id = ? AND status = 'open'",
                (note, to_micros(at), claim_id),
            )
        return self.get_claim(claim_id)

    def get_claim(self, claim_id: str) -> Claim:
        row = (
            self.db.connection()
            .execute(f"SELECT {_CLAIM_COLUMNS} FROM trust_claims WHERE claim_id = ?", (claim_id,))
            .fetchone()
        )
        if row is None:
            raise UnknownClaim(f"no claim {claim_id}")
        return _claim(row)

    def claims(self, status: str | None, shop_id: str | None, limit: int) -> list[Claim]:
        rows = self.db.connection().execute(
            f"SELECT {_CLAIM_COLUMNS} FROM trust_claims "
            "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR shop_id = ?2) "
            "ORDER BY filed_at, rowid LIMIT ?3",
            (status, shop_id, limit),
        )
        return [_claim(r) for r in rows]
