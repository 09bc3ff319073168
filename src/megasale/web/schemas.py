"""Request and response bodies of the HTTP API (msgspec Structs, validated on decode)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from megasale.domain.catalog import PartnerStore, Shop, Sku
from megasale.domain.orders import Order, Pickup

__all__ = [
    "AccountIn",
    "AccountOut",
    "BudgetTopUp",
    "FigureOut",
    "LineIn",
    "Noop",
    "OrderIn",
    "OrderOut",
    "PickupIn",
    "PromotionIn",
    "PromotionOut",
    "ShipIn",
    "ShopIn",
    "ShopOut",
    "SkuIn",
    "SkuOut",
    "StockChange",
    "StoreIn",
    "order_out",
    "shop_out",
    "sku_out",
]

Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Fen = Annotated[int, Meta(ge=0, le=10**13)]
PositiveFen = Annotated[int, Meta(ge=1, le=10**13)]


class Noop(msgspec.Struct):
    ok: bool = True


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    sku_id: Id
    quantity: Annotated[int, Meta(ge=1, le=99)]


class PickupIn(msgspec.Struct, tag_field="kind", tag="pickup", forbid_unknown_fields=True):
    store_id: Id


class ShipIn(msgspec.Struct, tag_field="kind", tag="shipping", forbid_unknown_fields=True):
    address: Annotated[str, Meta(min_length=4, max_length=300)]


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    promotion_id: Id
    lines: Annotated[list[LineIn], Meta(min_length=1, max_length=20)]
    fulfilment: PickupIn | ShipIn
    payment_id: Annotated[str, Meta(min_length=1, max_length=128)] | None = None


class LineOut(msgspec.Struct):
    sku_id: str
    category: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    subsidy_fen: int


class OrderOut(msgspec.Struct):
    order_id: str
    status: str
    buyer_id: str
    shop_id: str
    promotion_id: str
    placed_at: datetime
    amount_fen: int
    subsidy_fen: int
    pay_fen: int
    fulfilment: PickupIn | ShipIn
    lines: list[LineOut]


def order_out(order: Order) -> OrderOut:
    f = order.fulfilment
    return OrderOut(
        order_id=order.order_id,
        status=order.status.value,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        promotion_id=order.promotion_id,
        placed_at=order.placed_at,
        amount_fen=order.amount_fen,
        subsidy_fen=order.subsidy_fen,
        pay_fen=order.pay_fen,
        fulfilment=PickupIn(f.store_id) if isinstance(f, Pickup) else ShipIn(f.address),
        lines=[
            LineOut(
                line.sku_id,
                line.category,
                line.quantity,
                line.unit_price_fen,
                line.amount_fen,
                line.subsidy_fen,
            )
            for line in order.lines
        ],
    )


class AccountIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    role: Literal["operator", "merchant", "clerk", "analyst"] = "merchant"
    store_id: Id | None = None


class BuyerIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name


class AccountOut(msgspec.Struct):
    account_id: str
    role: str
    name: str
    token: str
    store_id: str | None = None


class ShopIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    shop_id: Id | None = None


class ShopOut(msgspec.Struct):
    shop_id: str
    merchant_id: str
    name: str


def shop_out(shop: Shop) -> ShopOut:
    return ShopOut(shop.shop_id, shop.merchant_id, shop.name)


class SkuIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    category: str
    list_price_fen: PositiveFen
    stock: Annotated[int, Meta(ge=0, le=10**9)]
    sku_id: Id | None = None


class SkuOut(msgspec.Struct):
    sku_id: str
    shop_id: str
    name: str
    category: str
    list_price_fen: int
    stock_left: int


def sku_out(sku: Sku) -> SkuOut:
    return SkuOut(
        sku.sku_id, sku.shop_id, sku.name, sku.category, sku.list_price_fen, sku.stock_left
    )


class StockChange(msgspec.Struct, forbid_unknown_fields=True):
    delta: Annotated[int, Meta(ge=-(10**9), le=10**9)]


class StockOut(msgspec.Struct):
    sku_id: str
    stock_left: int


class StoreIn(msgspec.Struct, forbid_unknown_fields=True):
    store_id: Id
    name: Name
    chain: Name
    city: Name
    city_tier: Annotated[int, Meta(ge=1, le=4)]

    def to_domain(self) -> PartnerStore:
        return PartnerStore(self.store_id, self.name, self.chain, self.city, self.city_tier)


class PromoItemIn(msgspec.Struct, forbid_unknown_fields=True):
    sku_id: Id
    promo_price_fen: PositiveFen
    limit_per_buyer: Annotated[int, Meta(ge=1, le=10_000)] = 1


class SubsidyRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    fen_per_unit: Fen
    sku_id: Id | None = None
    category: str | None = None


class PromotionIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    starts_at: datetime
    ends_at: datetime
    budget_fen: Fen
    items: Annotated[list[PromoItemIn], Meta(min_length=1, max_length=10_000)]
    subsidy_rules: list[SubsidyRuleIn] = []
    max_subsidy_per_order_fen: Fen | None = None
    promotion_id: Id | None = None


class PromoItemOut(msgspec.Struct):
    sku_id: str
    promo_price_fen: int
    limit_per_buyer: int


class PromotionOut(msgspec.Struct):
    promotion_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    items: list[PromoItemOut]
    subsidy_rules: list[SubsidyRuleIn]
    max_subsidy_per_order_fen: int | None


class FigureOut(msgspec.Struct):
    promotion_id: str
    budget_fen: int
    budget_left_fen: int
    subsidy_spent_fen: int
    orders: int
    units: int
    gmv_fen: int


class BudgetTopUp(msgspec.Struct, forbid_unknown_fields=True):
    fen: PositiveFen
