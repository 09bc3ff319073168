"""The SQLite adapter of the :class:`~megasale.services.ports.Store` port."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from megasale.domain.catalog import PartnerStore, Shop, Sku
from megasale.domain.errors import (
    InvalidInput,
    NotFound,
    SoldOut,
    UnknownPromotion,
    UnknownShop,
    UnknownSku,
    UnknownStore,
)
from megasale.domain.orders import Order, OrderStatus
from megasale.domain.promotions import PromoItem, Promotion, SubsidyRule
from megasale.services.ports import (
    Account,
    Event,
    Placement,
    PlacementResult,
    PromotionFigures,
    Role,
    StoredResponse,
)
from megasale.storage import sqlite_orders
from megasale.storage.sqlite_db import SqliteDatabase, from_micros, to_micros

__all__ = ["SqliteStore"]


def _duplicate(field: str, value: str) -> InvalidInput:
    return InvalidInput(field, f"{value!r} already exists")


class SqliteStore:
    """All of megasale's state in one SQLite file (WAL, ``synchronous=FULL``)."""

    def __init__(self, path: str | Path, *, checkpoint: bool = True) -> None:
        """``checkpoint=False`` leaves copying the WAL into the file to another process."""
        self.db = SqliteDatabase(path, checkpoint=checkpoint)

    def close(self) -> None:
        self.db.close()

    # -- accounts -------------------------------------------------------------------------
    def add_accounts(self, accounts: Sequence[tuple[Account, bytes]]) -> None:
        try:
            with self.db.write() as conn:
                conn.executemany(
                    "INSERT INTO accounts VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            a.account_id,
                            a.role.value,
                            a.name,
                            a.store_id,
                            0 if a.created_at is None else to_micros(a.created_at),
                        )
                        for a, _ in accounts
                    ],
                )
                conn.executemany(
                    "INSERT INTO tokens VALUES (?, ?)", [(h, a.account_id) for a, h in accounts]
                )
        except sqlite3.IntegrityError:
            ids = ", ".join(a.account_id for a, _ in accounts[:3])
            raise _duplicate("account_id", ids) from None

    def add_token(self, account_id: str, token_hash: bytes) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT INTO tokens VALUES (?, ?)", (token_hash, account_id))

    def opened_at(self, account_ids: Sequence[str]) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        ids = list(dict.fromkeys(account_ids))
        conn = self.db.connection()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for account_id, created in conn.execute(
                f"SELECT account_id, created_at FROM accounts WHERE account_id IN ({marks})",
                chunk,
            ):
                if created:
                    found[account_id] = from_micros(created)
        return found

    def tokens(self) -> Iterator[tuple[bytes, Account]]:
        rows = self.db.connection().execute(
            "SELECT t.token_hash, a.account_id, a.role, a.name, a.store_id, a.created_at "
            "FROM tokens t JOIN accounts a USING (account_id)"
        )
        for digest, account_id, role, name, store_id, created in rows:
            opened = from_micros(created) if created else None
            yield bytes(digest), Account(account_id, Role(role), name, store_id, opened)

    def account_for_token(self, token_hash: bytes) -> Account | None:
        row = (
            self.db.connection()
            .execute(
                "SELECT a.account_id, a.role, a.name, a.store_id, a.created_at FROM tokens t "
                "JOIN accounts a USING (account_id) WHERE t.token_hash = ?",
                (token_hash,),
            )
            .fetchone()
        )
        if row is None:
            return None
        created = from_micros(row[4]) if row[4] else None
        return Account(row[0], Role(row[1]), row[2], row[3], created)

    # -- catalog --------------------------------------------------------------------------
    def add_catalog(
        self,
        shops: Sequence[Shop] = (),
        skus: Sequence[Sku] = (),
        stores: Sequence[PartnerStore] = (),
    ) -> None:
        table = "shops"
        try:
            with self.db.write() as conn:
                conn.executemany(
                    "INSERT INTO shops VALUES (?, ?, ?)",
                    [(s.shop_id, s.merchant_id, s.name) for s in shops],
                )
                table = "skus"
                conn.executemany(
                    "INSERT INTO skus VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (k.sku_id, k.shop_id, k.name, k.category, k.list_price_fen, k.stock_left)
                        for k in skus
                    ],
                )
                table = "partner_stores"
                conn.executemany(
                    "INSERT INTO partner_stores VALUES (?, ?, ?, ?, ?)",
                    [(t.store_id, t.name, t.chain, t.city, t.city_tier) for t in stores],
                )
        except sqlite3.IntegrityError as exc:
            field = {"shops": "shop_id", "skus": "sku_id", "partner_stores": "store_id"}[table]
            if "FOREIGN KEY" in str(exc):
                raise InvalidInput(
                    field, "refers to a shop or merchant that does not exist"
                ) from None
            raise InvalidInput(field, "an id that already exists") from None

    def add_shop(self, shop: Shop) -> None:
        self.add_catalog(shops=[shop])

    def get_shop(self, shop_id: str) -> Shop:
        row = (
            self.db.connection()
            .execute("SELECT shop_id, merchant_id, name FROM shops WHERE shop_id = ?", (shop_id,))
            .fetchone()
        )
        if row is None:
            raise UnknownShop(f"no shop {shop_id}")
        return Shop(*row)

    def shops_of(self, merchant_id: str) -> list[Shop]:
        rows = self.db.connection().execute(
            "SELECT shop_id, merchant_id, name FROM shops WHERE merchant_id = ? ORDER BY shop_id",
            (merchant_id,),
        )
        return [Shop(*row) for row in rows]

    def add_sku(self, sku: Sku) -> None:
        self.add_catalog(skus=[sku])

    _SKU_COLUMNS = "sku_id, shop_id, name, category, list_price_fen, stock_left"

    def get_sku(self, sku_id: str) -> Sku:
        skus = self.get_skus([sku_id])
        if sku_id not in skus:
            raise UnknownSku(f"no SKU {sku_id}")
        return skus[sku_id]

    def get_skus(self, sku_ids: Sequence[str]) -> dict[str, Sku]:
        ids = list(dict.fromkeys(sku_ids))
        marks = ",".join("?" * len(ids))
        rows = self.db.connection().execute(
            f"SELECT {self._SKU_COLUMNS} FROM skus WHERE sku_id IN ({marks})", ids
        )
        return {row[0]: Sku(*row) for row in rows}

    def skus_of(self, shop_id: str) -> list[Sku]:
        rows = self.db.connection().execute(
            f"SELECT {self._SKU_COLUMNS} FROM skus WHERE shop_id = ? ORDER BY sku_id", (shop_id,)
        )
        return [Sku(*row) for row in rows]

    def change_stock(self, sku_id: str, delta: int) -> int:
        with self.db.write() as conn:
            row = conn.execute(
                "UPDATE skus SET stock_left = stock_left + ?1 "
                "WHERE sku_id = ?2 AND stock_left + ?1 >= 0 RETURNING stock_left",
                (delta, sku_id),
            ).fetchone()
            if row is None:
                exists = conn.execute("SELECT 1 FROM skus WHERE sku_id = ?", (sku_id,)).fetchone()
                if exists is None:
                    raise UnknownSku(f"no SKU {sku_id}")
                raise SoldOut(f"SKU {sku_id} has fewer than {-delta} units left to remove")
            return int(row[0])

    def add_store(self, store: PartnerStore) -> None:
        self.add_catalog(stores=[store])

    def get_store(self, store_id: str) -> PartnerStore:
        row = (
            self.db.connection()
            .execute(
                "SELECT store_id, name, chain, city, city_tier FROM partner_stores "
                "WHERE store_id = ?",
                (store_id,),
            )
            .fetchone()
        )
        if row is None:
            raise UnknownStore(f"no partner store {store_id}")
        return PartnerStore(*row)

    # -- promotions -----------------------------------------------------------------------
    def add_promotion(self, promotion: Promotion) -> None:
        p = promotion
        try:
            with self.db.write() as conn:
                conn.execute(
                    "INSERT INTO promotions VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        p.promotion_id,
                        p.name,
                        to_micros(p.starts_at),
                        to_micros(p.ends_at),
                        p.budget_fen,
                        p.budget_fen,
                        p.max_subsidy_per_order_fen,
                    ),
                )
                conn.executemany(
                    "INSERT INTO promotion_items VALUES (?, ?, ?, ?)",
                    [
                        (p.promotion_id, i.sku_id, i.promo_price_fen, i.limit_per_buyer)
                        for i in p.items.values()
                    ],
                )
                conn.executemany(
                    "INSERT INTO subsidy_rules VALUES (?, ?, ?, ?)",
                    [
                        (p.promotion_id, r.sku_id, r.category, r.fen_per_unit)
                        for r in p.subsidy_rules
                    ],
                )
        except sqlite3.IntegrityError as exc:
            if "promotion_items" in str(exc) or "FOREIGN KEY" in str(exc):
                raise InvalidInput("items", "every SKU of a promotion must exist") from None
            raise _duplicate("promotion_id", p.promotion_id) from None

    def get_promotion(self, promotion_id: str) -> Promotion:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT promotion_id, name, starts_at, ends_at, budget_fen, "
                "max_subsidy_per_order_fen FROM promotions WHERE promotion_id = ?",
                (promotion_id,),
            ).fetchone()
            if row is None:
                raise UnknownPromotion(f"no promotion {promotion_id}")
            items = {
                sku_id: PromoItem(sku_id, price, limit)
                for sku_id, price, limit in conn.execute(
                    "SELECT sku_id, promo_price_fen, limit_per_buyer FROM promotion_items "
                    "WHERE promotion_id = ? ORDER BY sku_id",
                    (promotion_id,),
                )
            }
            rules = [
                SubsidyRule(fen, sku_id=sku_id, category=category)
                for sku_id, category, fen in conn.execute(
                    "SELECT sku_id, category, fen_per_unit FROM subsidy_rules "
                    "WHERE promotion_id = ? ORDER BY rowid",
                    (promotion_id,),
                )
            ]
        return Promotion(
            promotion_id=row[0],
            name=row[1],
            starts_at=from_micros(row[2]),
            ends_at=from_micros(row[3]),
            budget_fen=row[4],
            items=items,
            subsidy_rules=rules,
            max_subsidy_per_order_fen=row[5],
        )

    def top_up_budget(self, promotion_id: str, fen: int) -> int:
        if fen <= 0:
            raise InvalidInput("fen", "a top-up must be a positive number of fen")
        with self.db.write() as conn:
            row = conn.execute(
                "UPDATE promotions SET budget_fen = budget_fen + ?1, "
                "budget_left_fen = budget_left_fen + ?1 WHERE promotion_id = ?2 "
                "RETURNING budget_left_fen",
                (fen, promotion_id),
            ).fetchone()
        if row is None:
            raise UnknownPromotion(f"no promotion {promotion_id}")
        return int(row[0])

    def promotion_figures(self, promotion_id: str) -> PromotionFigures:
        promotion = self.get_promotion(promotion_id)
        with self.db.read() as conn:
            (left,) = conn.execute(
                "SELECT budget_left_fen FROM promotions WHERE promotion_id = ?", (promotion_id,)
            ).fetchone()
            orders, gmv = conn.execute(
                "SELECT count(*), coalesce(sum(amount_fen), 0) FROM orders WHERE promotion_id = ?",
                (promotion_id,),
            ).fetchone()
            (units,) = conn.execute(
                "SELECT coalesce(sum(l.quantity), 0) FROM order_lines l "
                "JOIN orders o USING (order_id) WHERE o.promotion_id = ?",
                (promotion_id,),
            ).fetchone()
        return PromotionFigures(promotion, left, orders, units, gmv)

    # -- orders ---------------------------------------------------------------------------
    def take_orders(self, batch: Sequence[Placement]) -> list[PlacementResult]:
        with self.db.write() as conn:
            return sqlite_orders.take_orders(conn, batch)

    def stored_response(self, buyer_id: str, key: str) -> tuple[bytes, StoredResponse] | None:
        row = (
            self.db.connection()
            .execute(
                "SELECT r.request_hash, r.status, r.body FROM idempotency_keys k "
                "JOIN responses r USING (response_id) WHERE k.buyer_id = ? AND k.key = ?",
                (buyer_id, key),
            )
            .fetchone()
        )
        if row is None:
            return None
        return bytes(row[0]), StoredResponse(int(row[1]), bytes(row[2]))

    def change_order_status(
        self,
        order_id: str,
        target: OrderStatus,
        at: datetime,
        *,
        refund_fen: int = 0,
        release: bool = False,
    ) -> Order:
        with self.db.write() as conn:
            return sqlite_orders.change_status(
                conn, order_id, target, at, refund_fen=refund_fen, release=release
            )

    def change_order_statuses(self, changes: Sequence[tuple[str, OrderStatus, datetime]]) -> None:
        with self.db.write() as conn:
            for order_id, target, at in changes:
                sqlite_orders.change_status(conn, order_id, target, at)

    def get_order(self, order_id: str) -> Order:
        orders = sqlite_orders.load_orders(self.db.connection(), "o.order_id = ?", (order_id,))
        if not orders:
            raise NotFound(f"no order {order_id}")
        return orders[0]

    def orders_of(self, buyer_id: str, limit: int, before: str | None) -> list[Order]:
        # through the buyer's idempotency keys, which name their orders: the orders table keeps
        # no index by buyer (one random-keyed index fewer to write per order)
        where = (
            "o.order_id IN (SELECT r.order_id FROM idempotency_keys k JOIN responses r "
            "USING (response_id) WHERE k.buyer_id = ? AND r.order_id IS NOT NULL)"
        ) + (" AND o.order_id < ?" if before else "")
        params: tuple[object, ...] = (buyer_id, before) if before else (buyer_id,)
        return sqlite_orders.load_orders(
            self.db.connection(), where, params, order_by="o.order_id DESC", limit=limit
        )

    # -- event log ------------------------------------------------------------------------
    def read_events(self, after_seq: int, limit: int) -> list[Event]:
        rows = self.db.connection().execute(
            "SELECT seq, event_id, kind, payload, recorded_at FROM events "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        return [Event(s, e, k, p, from_micros(r)) for s, e, k, p, r in rows]

    def last_seq(self) -> int:
        row = self.db.connection().execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def load_checkpoint(self, consumer: str) -> int:
        row = (
            self.db.connection()
            .execute("SELECT seq FROM checkpoints WHERE consumer = ?", (consumer,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def save_checkpoint(self, consumer: str, seq: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO checkpoints VALUES (?, ?) "
                "ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq",
                (consumer, seq),
            )
