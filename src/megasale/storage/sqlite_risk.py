"""The review desk's tables on SQLite: rings, holds and payouts, each change with its event."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from megasale.domain.errors import NotFound
from megasale.domain.risk import Ring, RingStatus, SubsidyFigures, check_ruling
from megasale.services.brushing_events import (
    RING_CLEARED,
    RING_CONFIRMED,
    RingFlagged,
    RingRuling,
    ring_flagged,
    ring_ruling,
)
from megasale.services.risk_ports import FlaggedRing
from megasale.storage.sqlite_db import SqliteDatabase, from_micros, to_micros
from megasale.storage.sqlite_events import append_event
from megasale.storage.sqlite_orders import GuardViolated

__all__ = ["SqliteRisk"]

_MARKS = 500  # orders per IN (...) chunk

# An order's subsidy is owed to its shop once the buyer has the goods and it was not given back.
_OWED = (
    "o.subsidy_fen > 0 AND o.received_at IS NOT NULL AND o.released_at IS NULL "
    "AND o.status IN ('collected', 'delivered') "
    "AND NOT EXISTS (SELECT 1 FROM subsidy_payouts p WHERE p.order_id = o.order_id) "
    "AND NOT EXISTS (SELECT 1 FROM subsidy_holds h WHERE h.order_id = o.order_id "
    "AND h.status IN ('held', 'forfeited'))"
)


class SqliteRisk:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    def flag_ring(self, ring: FlaggedRing, at: datetime) -> Ring:
        micros = to_micros(at)
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT status, revision FROM rings WHERE ring_id = ?", (ring.ring_id,)
            ).fetchone()
            if row is not None and row[0] != RingStatus.FLAGGED:
                return self._load(conn, ring.ring_id)  # ruled on: a later ring gets a new id
            known = set(self._order_ids(conn, ring.ring_id))
            fresh = [o for o in dict.fromkeys(ring.order_ids) if o not in known]
            orders = self._orders(conn, fresh)
            if row is None:
                revision = 1
                conn.execute(
                    "INSERT INTO rings (ring_id, kind, score, status, flagged_at, evidence) "
                    "VALUES (?, ?, ?, 'flagged', ?, ?)",
                    (ring.ring_id, ring.kind, ring.score, micros, ring.evidence),
                )
            else:
                revision = int(row[1]) + 1
                conn.execute(
                    "UPDATE rings SET score = max(score, ?), evidence = ?, revision = ? "
                    "WHERE ring_id = ?",
                    (ring.score, ring.evidence, revision, ring.ring_id),
                )
            conn.executemany(
                "INSERT INTO ring_orders VALUES (?, ?)",
                [(ring.ring_id, order_id) for order_id in orders],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO subsidy_holds "
                "(order_id, ring_id, held_fen, status, held_at) "
                "SELECT order_id, ?, subsidy_fen, 'held', ? FROM orders o "
                "WHERE order_id = ? AND subsidy_fen > 0 AND released_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM subsidy_payouts p WHERE p.order_id = o.order_id)",
                [(ring.ring_id, micros, order_id) for order_id in orders],
            )
            if orders:
                event = RingFlagged(
                    ring_id=ring.ring_id,
                    kind=ring.kind,
                    score=ring.score,
                    order_ids=list(orders),
                    buyer_ids=sorted({buyer for buyer, _, _ in orders.values()}),
                    gmv_fen=sum(gmv for _, gmv, _ in orders.values()),
                    subsidy_fen=sum(sub for _, _, sub in orders.values()),
                    at=at.isoformat(),
                    evidence=ring.evidence.decode("utf-8", "replace")[:500],
                )
                append_event(conn, *ring_flagged(event, revision), at)
            return self._load(conn, ring.ring_id)

    def rule_on_ring(self, ring_id: str, ruling: RingStatus, by: str, at: datetime) -> Ring:
        micros = to_micros(at)
        with self.db.write() as conn:
            current = self._load(conn, ring_id)
            check_ruling(current.status, ruling)
            conn.execute(
                "UPDATE rings SET status = ?, ruled_at = ?, ruled_by = ? WHERE ring_id = ?",
                (ruling.value, micros, by, ring_id),
            )
            if ruling is RingStatus.CONFIRMED:
                # the held subsidy is never paid: it goes back to each promotion's budget
                for promotion_id, fen in conn.execute(
                    "SELECT o.promotion_id, sum(h.held_fen) FROM subsidy_holds h "
                    "JOIN orders o USING (order_id) WHERE h.ring_id = ? AND h.status = 'held' "
                    "GROUP BY o.promotion_id",
                    (ring_id,),
                ).fetchall():
                    updated = conn.execute(
                        "UPDATE promotions SET budget_left_fen = budget_left_fen + ?1 "
                        "WHERE promotion_id = ?2 AND budget_left_fen + ?1 <= budget_fen",
                        (fen, promotion_id),
                    ).rowcount
                    if updated != 1:
                        raise GuardViolated(f"budget of {promotion_id} would pass its total")
            hold_status = "forfeited" if ruling is RingStatus.CONFIRMED else "released"
            conn.execute(
                "UPDATE subsidy_holds SET status = ?, ruled_at = ? "
                "WHERE ring_id = ? AND status = 'held'",
                (hold_status, micros, ring_id),
            )
            kind = RING_CONFIRMED if ruling is RingStatus.CONFIRMED else RING_CLEARED
            append_event(conn, *ring_ruling(kind, RingRuling(ring_id, at.isoformat())), at)
            return self._load(conn, ring_id)

    def get_ring(self, ring_id: str) -> Ring:
        return self._load(self.db.connection(), ring_id)

    def list_rings(self, status: RingStatus | None, limit: int) -> list[Ring]:
        conn = self.db.connection()
        if status is None:
            ids = conn.execute(
                "SELECT ring_id FROM rings ORDER BY score DESC, ring_id LIMIT ?", (limit,)
            )
        else:
            ids = conn.execute(
                "SELECT ring_id FROM rings WHERE status = ? ORDER BY score DESC, ring_id LIMIT ?",
                (status.value, limit),
            )
        return [self._load(conn, ring_id) for (ring_id,) in ids.fetchall()]

    def pay_out_subsidies(self, at: datetime) -> tuple[int, int]:
        with self.db.write() as conn:
            before = conn.execute(
                "SELECT count(*), coalesce(sum(amount_fen), 0) FROM subsidy_payouts"
            ).fetchone()
            conn.execute(
                "INSERT INTO subsidy_payouts "
                f"SELECT o.order_id, o.shop_id, o.subsidy_fen, ? FROM orders o WHERE {_OWED}",
                (to_micros(at),),
            )
            after = conn.execute(
                "SELECT count(*), coalesce(sum(amount_fen), 0) FROM subsidy_payouts"
            ).fetchone()
        return after[0] - before[0], after[1] - before[1]

    def subsidy_figures(self) -> SubsidyFigures:
        with self.db.read() as conn:
            (paid,) = conn.execute(
                "SELECT coalesce(sum(amount_fen), 0) FROM subsidy_payouts"
            ).fetchone()
            held = dict(
                conn.execute(
                    "SELECT status, sum(held_fen) FROM subsidy_holds GROUP BY status"
                ).fetchall()
            )
            (owed,) = conn.execute(
                f"SELECT coalesce(sum(o.subsidy_fen), 0) FROM orders o WHERE {_OWED}"
            ).fetchone()
        return SubsidyFigures(
            paid_fen=paid,
            held_fen=held.get("held", 0),
            forfeited_fen=held.get("forfeited", 0),
            owed_fen=owed,
        )

    def ring_orders(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for ring_id, order_id in self.db.connection().execute(
            "SELECT ring_id, order_id FROM ring_orders ORDER BY ring_id, order_id"
        ):
            found.setdefault(ring_id, []).append(order_id)
        return found

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _order_ids(conn: sqlite3.Connection, ring_id: str) -> list[str]:
        return [
            row[0]
            for row in conn.execute(
                "SELECT order_id FROM ring_orders WHERE ring_id = ? ORDER BY order_id", (ring_id,)
            )
        ]

    @staticmethod
    def _orders(
        conn: sqlite3.Connection, order_ids: Sequence[str]
    ) -> dict[str, tuple[str, int, int]]:
        """``order_id -> (buyer_id, amount_fen, subsidy_fen)`` for the ids that exist."""
        found: dict[str, tuple[str, int, int]] = {}
        for start in range(0, len(order_ids), _MARKS):
            chunk = list(order_ids[start : start + _MARKS])
            marks = ",".join("?" * len(chunk))
            for order_id, buyer, amount, subsidy in conn.execute(
                "SELECT order_id, buyer_id, amount_fen, subsidy_fen FROM orders "
                f"WHERE order_id IN ({marks})",
                chunk,
            ):
                found[order_id] = (buyer, amount, subsidy)
        return {o: found[o] for o in order_ids if o in found}

    def _load(self, conn: sqlite3.Connection, ring_id: str) -> Ring:
        row = conn.execute(
            "SELECT kind, score, status, flagged_at, evidence, ruled_at, ruled_by FROM rings "
            "WHERE ring_id = ?",
            (ring_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no ring {ring_id}")
        kind, score, status, flagged_at, evidence, ruled_at, ruled_by = row
        order_ids = self._order_ids(conn, ring_id)
        orders = self._orders(conn, order_ids)
        (held,) = conn.execute(
            "SELECT coalesce(sum(held_fen), 0) FROM subsidy_holds "
            "WHERE ring_id = ? AND status = 'held'",
            (ring_id,),
        ).fetchone()
        return Ring(
            ring_id=ring_id,
            kind=kind,
            score=score,
            status=RingStatus(status),
            flagged_at=from_micros(flagged_at),
            order_ids=tuple(order_ids),
            buyer_ids=tuple(sorted({buyer for buyer, _, _ in orders.values()})),
            gmv_fen=sum(gmv for _, gmv, _ in orders.values()),
            subsidy_fen=sum(sub for _, _, sub in orders.values()),
            held_fen=held,
            evidence=bytes(evidence),
            ruled_at=None if ruled_at is None else from_micros(ruled_at),
            ruled_by=ruled_by,
        )
