"""A small seeded catalog for the demo and the benchmarks, made through the use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from megasale.domain.catalog import PartnerStore
from megasale.domain.money import yuan
from megasale.domain.promotions import PromoItem, SubsidyRule
from megasale.services.platform import Platform
from megasale.services.ports import Role
from megasale.sim.partner_network import load_partner_network

__all__ = ["SeedPlan", "Seeded", "seed_platform"]

# (name, category, list price in yuan): a home-appliance sale, average item about 1,500 yuan.
_PRODUCTS = [
    ("55-inch 4K smart TV", "tv", 2_499),
    ("65-inch QLED TV", "tv", 3_999),
    ("1.5 HP inverter air conditioner", "air_conditioner", 2_299),
    ("3 HP floor-standing air conditioner", "air_conditioner", 5_499),
    ("520 L French-door fridge", "fridge", 3_299),
    ("220 L two-door fridge", "fridge", 1_199),
    ("10 kg front-load washer", "washer", 1_899),
    ("8 kg top-load washer", "washer", 999),
    ("Air fryer 5 L", "small_appliance", 299),
    ("Robot vacuum", "small_appliance", 1_499),
    ("Rice cooker 4 L", "small_appliance", 399),
    ("Water purifier", "small_appliance", 1_299),
]
_SHOPS = ["Haier Flagship", "Midea Official", "Gree Direct", "TCL Store", "Little Swan Outlet"]
_STORES = [
    ("st-bj-01", "Suning Beijing Chaoyang", "Suning", "Beijing", 1),
    ("st-sh-01", "Gome Shanghai Xujiahui", "Gome", "Shanghai", 1),
    ("st-cd-01", "Suning Chengdu Jinjiang", "Suning", "Chengdu", 2),
    ("st-ls-01", "Leshan Appliance House", "Independent", "Leshan", 3),
    ("st-yb-01", "Yibin Home Electric", "Independent", "Yibin", 4),
]
_SUBSIDY_YUAN = {
    "tv": 80,
    "air_conditioner": 100,
    "fridge": 80,
    "washer": 60,
    "small_appliance": 20,
}


@dataclass(frozen=True)
class SeedPlan:
    buyers: int = 100
    skus: int = 12
    stock: int = 1_000
    budget_fen: int = yuan(1_000_000)
    limit_per_buyer: int = 2
    subsidy_fen: int | None = None  # per unit for every SKU; None: by category
    discount_percent: int = 15
    partner_network: bool = False  # also the ~2,300 generated partner stores (needs fulfilment)


@dataclass
class Seeded:
    operator_token: str
    promotion_id: str
    merchants: list[dict[str, str]] = field(default_factory=list)
    skus: list[dict[str, object]] = field(default_factory=list)
    buyers: list[dict[str, str]] = field(default_factory=list)
    stores: list[dict[str, str]] = field(default_factory=list)


def seed_platform(platform: Platform, plan: SeedPlan) -> Seeded:
    """An operator, merchants with shops and SKUs, partner stores, an open promotion, buyers."""
    accounts, catalog = platform.accounts, platform.catalog
    operator = accounts.open(Role.OPERATOR, "Platform operator")
    for store_id, name, chain, city, tier in _STORES:
        catalog.add_store(operator.account, PartnerStore(store_id, name, chain, city, tier))
    if plan.partner_network and platform.fulfilment is not None:
        load_partner_network(platform.fulfilment, operator.account)
    merchants = []
    shops = []
    for i, shop_name in enumerate(_SHOPS):
        merchant = accounts.open(Role.MERCHANT, f"{shop_name} merchant")
        merchants.append(merchant)
        shops.append(catalog.open_shop(merchant.account, shop_name, f"shop-{i + 1:02d}"))
    items = []
    skus: list[dict[str, object]] = []
    for n in range(plan.skus):
        name, category, price_yuan = _PRODUCTS[n % len(_PRODUCTS)]
        shop_index = n % len(shops)
        sku = catalog.add_sku(
            merchants[shop_index].account,
            shops[shop_index].shop_id,
            name=name if n < len(_PRODUCTS) else f"{name} ({n // len(_PRODUCTS) + 1})",
            category=category,
            list_price_fen=yuan(price_yuan),
            stock=plan.stock,
            sku_id=f"sku-{n + 1:04d}",
        )
        promo_price = sku.list_price_fen * (100 - plan.discount_percent) // 100
        items.append(PromoItem(sku.sku_id, promo_price, plan.limit_per_buyer))
        skus.append({"sku_id": sku.sku_id, "stock": plan.stock, "promo_price_fen": promo_price})
    if plan.subsidy_fen is None:
        rules = [SubsidyRule(yuan(y), category=c) for c, y in _SUBSIDY_YUAN.items()]
    else:
        rules = [SubsidyRule(plan.subsidy_fen, sku_id=i.sku_id) for i in items]
    now = platform.clock.now()
    promotion = catalog.create_promotion(
        operator.account,
        name="Double 11 home appliances",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        budget_fen=plan.budget_fen,
        items=items,
        subsidy_rules=rules,
        promotion_id="promo-1",
    )
    buyers = accounts.open_buyers([f"buyer {n + 1}" for n in range(plan.buyers)])
    return Seeded(
        operator_token=operator.token,
        promotion_id=promotion.promotion_id,
        merchants=[{"merchant_id": m.account.account_id, "token": m.token} for m in merchants],
        skus=skus,
        buyers=[{"buyer_id": b.account.account_id, "token": b.token} for b in buyers],
        stores=[{"store_id": s[0]} for s in _STORES],
    )
