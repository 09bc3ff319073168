"""Use cases of merchants (shops, SKUs, stock) and operators (stores, promotions, budgets)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from megasale.domain.catalog import (
    PartnerStore,
    Shop,
    Sku,
    check_category,
    check_identifier,
    check_name,
)
from megasale.domain.errors import InvalidInput, NotAllowed
from megasale.domain.promotions import PromoItem, Promotion, SubsidyRule
from megasale.services.accounts import new_id
from megasale.services.ports import Account, PromotionFigures, Role, Store

__all__ = ["Catalog", "require_role"]


def require_role(account: Account, *roles: Role) -> None:
    if account.role not in roles:
        wanted = " or ".join(r.value for r in roles)
        raise NotAllowed(f"this needs the {wanted} role; you are signed in as {account.role}")


class Catalog:
    """What is for sale. Reads used on the order path are cached briefly per process.

    The cache only serves prices and promotion windows for quoting; stock, budget and limits
    are always decided inside the write that takes them, so a stale entry can never oversell.
    """

    def __init__(self, store: Store, *, cache_seconds: float = 1.0) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._promotions: dict[str, tuple[float, Promotion]] = {}
        self._skus: dict[str, tuple[float, Sku]] = {}
        self._stores: dict[str, PartnerStore] = {}

    # -- merchants ------------------------------------------------------------------------
    def open_shop(self, merchant: Account, name: str, shop_id: str | None = None) -> Shop:
        require_role(merchant, Role.MERCHANT)
        shop = Shop(
            check_identifier("shop_id", shop_id or new_id("s")),
            merchant.account_id,
            check_name("name", name),
        )
        self._store.add_shop(shop)
        return shop

    def shops_of(self, merchant: Account) -> list[Shop]:
        require_role(merchant, Role.MERCHANT)
        return self._store.shops_of(merchant.account_id)

    def own_shop(self, merchant: Account, shop_id: str) -> Shop:
        """The shop, if ``merchant`` owns it; the same answer for foreign and missing shops."""
        require_role(merchant, Role.MERCHANT)
        shop = self._store.get_shop(shop_id)
        if shop.merchant_id != merchant.account_id:
            raise NotAllowed(f"shop {shop_id} is not one of yours")
        return shop

    def list_skus(self, merchant: Account, shop_id: str) -> list[Sku]:
        self.own_shop(merchant, shop_id)
        return self._store.skus_of(shop_id)

    def add_sku(
        self,
        merchant: Account,
        shop_id: str,
        *,
        name: str,
        category: str,
        list_price_fen: int,
        stock: int,
        sku_id: str | None = None,
    ) -> Sku:
        self.own_shop(merchant, shop_id)
        sku = Sku(
            check_identifier("sku_id", sku_id or new_id("k")),
            shop_id,
            check_name("name", name),
            check_category(category),
            list_price_fen,
            stock,
        )
        self._store.add_sku(sku)
        return sku

    def own_sku(self, merchant: Account, sku_id: str) -> Sku:
        sku = self._store.get_sku(sku_id)
        self.own_shop(merchant, sku.shop_id)
        return sku

    def change_stock(self, merchant: Account, sku_id: str, delta: int) -> int:
        self.own_sku(merchant, sku_id)
        if delta == 0:
            raise InvalidInput("delta", "must not be zero")
        return self._store.change_stock(sku_id, delta)

    # -- operators ------------------------------------------------------------------------
    def add_store(self, operator: Account, store: PartnerStore) -> PartnerStore:
        require_role(operator, Role.OPERATOR)
        check_identifier("store_id", store.store_id)
        self._store.add_store(store)
        return store

    def create_promotion(
        self,
        operator: Account,
        *,
        name: str,
        starts_at: datetime,
        ends_at: datetime,
        budget_fen: int,
        items: Sequence[PromoItem],
        subsidy_rules: Sequence[SubsidyRule] = (),
        max_subsidy_per_order_fen: int | None = None,
        promotion_id: str | None = None,
    ) -> Promotion:
        require_role(operator, Role.OPERATOR)
        if not items:
            raise InvalidInput("items", "a promotion needs at least one SKU")
        by_sku = {item.sku_id: item for item in items}
        if len(by_sku) != len(items):
            raise InvalidInput("items", "a SKU appears twice")
        for rule in subsidy_rules:
            if rule.category is not None:
                check_category(rule.category)
        promotion = Promotion(
            promotion_id=check_identifier("promotion_id", promotion_id or new_id("p")),
            name=check_name("name", name),
            starts_at=starts_at,
            ends_at=ends_at,
            budget_fen=budget_fen,
            items=by_sku,
            subsidy_rules=tuple(subsidy_rules),
            max_subsidy_per_order_fen=max_subsidy_per_order_fen,
        )
        self._store.add_promotion(promotion)
        return promotion

    def top_up_budget(self, operator: Account, promotion_id: str, fen: int) -> int:
        require_role(operator, Role.OPERATOR)
        return self._store.top_up_budget(promotion_id, fen)

    def figures(self, operator: Account, promotion_id: str) -> PromotionFigures:
        require_role(operator, Role.OPERATOR)
        return self._store.promotion_figures(promotion_id)

    # -- reads for quoting ----------------------------------------------------------------
    def promotion(self, promotion_id: str) -> Promotion:
        now = time.monotonic()
        hit = self._promotions.get(promotion_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        promotion = self._store.get_promotion(promotion_id)
        self._promotions[promotion_id] = (now + self._cache_seconds, promotion)
        return promotion

    def skus(self, sku_ids: Sequence[str]) -> dict[str, Sku]:
        now = time.monotonic()
        found: dict[str, Sku] = {}
        missing: list[str] = []
        for sku_id in sku_ids:
            hit = self._skus.get(sku_id)
            if hit is not None and hit[0] > now:
                found[sku_id] = hit[1]
            else:
                missing.append(sku_id)
        if missing:
            for sku_id, sku in self._store.get_skus(missing).items():
                self._skus[sku_id] = (now + self._cache_seconds, sku)
                found[sku_id] = sku
        return found

    def store(self, store_id: str) -> PartnerStore:
        """A partner store; stores are never removed, so a found one is cached for good."""
        found = self._stores.get(store_id)
        if found is None:
            found = self._stores[store_id] = self._store.get_store(store_id)
        return found

    def sku(self, sku_id: str) -> Sku:
        return self._store.get_sku(sku_id)
