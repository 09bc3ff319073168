"""The SQLite adapter of :class:`~megasale.services.trust_ports.SearchIndex`: FTS5 over SKUs.

The ``sku_search`` table (schema_trust.sql) indexes SKU name, category and shop name, and
triggers on ``skus`` and ``shops`` keep it in step. Relevance is FTS5's bm25 with the name
weighted over category and shop; the trust part of the rank is added by the search service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from megasale.services.trust_ports import Offer, SkuHit
from megasale.storage.sqlite_db import SqliteDatabase, from_micros, to_micros

__all__ = ["SqliteSearch"]

#: bm25 column weights: sku_id (unindexed), name, category, shop name
_BM25 = "bm25(sku_search, 0.0, 10.0, 4.0, 2.0)"
_HIT = "k.sku_id, k.shop_id, s.name, k.name, k.category, k.list_price_fen, k.stock_left"


class SqliteSearch:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self._backfill()

    def _backfill(self) -> None:
        """Index SKUs listed before this schema existed (a no-op once in step)."""
        conn = self.db.connection()
        (skus,) = conn.execute("SELECT count(*) FROM skus").fetchone()
        (indexed,) = conn.execute("SELECT count(*) FROM sku_search").fetchone()
        if skus == indexed:
            return
        with self.db.write() as w:
            w.execute("DELETE FROM sku_search")
            w.execute(
                "INSERT INTO sku_search (sku_id, name, category, shop_name) "
                "SELECT k.sku_id, k.name, replace(k.category, '_', ' '), s.name "
                "FROM skus k JOIN shops s USING (shop_id)"
            )

    def search(self, match: str | None, limit: int) -> list[SkuHit]:
        conn = self.db.connection()
        if match is None:
            rows = conn.execute(
                f"SELECT {_HIT}, 0.0 FROM skus k JOIN shops s USING (shop_id) "
                "ORDER BY k.name, k.sku_id LIMIT ?",
                (limit,),
            )
        else:
            rows = conn.execute(
                f"SELECT {_HIT}, -{_BM25} AS relevance FROM sku_search "
                "JOIN skus k ON k.sku_id = sku_search.sku_id JOIN shops s ON s.shop_id = k.shop_id "
                f"WHERE sku_search MATCH ? ORDER BY {_BM25} LIMIT ?",
                (match, limit),
            )
        return [SkuHit(*row) for row in rows]

    def skus_of_shop(self, shop_id: str, limit: int) -> list[SkuHit]:
        rows = self.db.connection().execute(
            f"SELECT {_HIT}, 0.0 FROM skus k JOIN shops s USING (shop_id) WHERE k.shop_id = ? "
            "ORDER BY k.name, k.sku_id LIMIT ?",
            (shop_id, limit),
        )
        return [SkuHit(*row) for row in rows]

    def sku(self, sku_id: str) -> SkuHit | None:
        row = (
            self.db.connection()
            .execute(
                f"SELECT {_HIT}, 0.0 FROM skus k JOIN shops s USING (shop_id) WHERE k.sku_id = ?",
                (sku_id,),
            )
            .fetchone()
        )
        return None if row is None else SkuHit(*row)

    def offers(self, sku_ids: Sequence[str], at: datetime) -> Mapping[str, Offer]:
        ids = list(dict.fromkeys(sku_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        micros = to_micros(at)
        found: dict[str, Offer] = {}
        for sku_id, pid, name, price, ends in self.db.connection().execute(
            "SELECT i.sku_id, p.promotion_id, p.name, i.promo_price_fen, p.ends_at "
            "FROM promotion_items i JOIN promotions p USING (promotion_id) "
            f"WHERE i.sku_id IN ({marks}) AND p.starts_at <= ? AND p.ends_at > ? "
            "ORDER BY i.promo_price_fen DESC",
            (*ids, micros, micros),
        ):
            found[sku_id] = Offer(pid, name, price, from_micros(ends))  # lowest price wins
        return found
