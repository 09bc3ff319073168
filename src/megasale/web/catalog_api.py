"""Merchants' routes (their own shops, SKUs, stock) and the public catalog."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, JSONBody

from megasale.services.ports import Role
from megasale.web.caller import HttpRequest, account_of, platform_of
from megasale.web.schemas import (
    AccountOut,
    BuyerIn,
    PromoItemOut,
    PromotionOut,
    ShopIn,
    ShopOut,
    SkuIn,
    SkuOut,
    StockChange,
    StockOut,
    SubsidyRuleIn,
    shop_out,
    sku_out,
)

__all__ = ["ROUTES"]


@post("/v1/buyers", summary="Sign up as a buyer; returns the bearer token once", tags=["buyer"])
async def register_buyer(request: HttpRequest, data: JSONBody[BuyerIn]) -> AccountOut:
    new = platform_of(request).accounts.open(Role.BUYER, data.name)
    return AccountOut(new.account.account_id, new.account.role.value, new.account.name, new.token)


@post("/v1/merchant/shops", summary="Open a shop", tags=["merchant"])
async def open_shop(request: HttpRequest, data: JSONBody[ShopIn]) -> ShopOut:
    merchant = account_of(request)
    return shop_out(platform_of(request).catalog.open_shop(merchant, data.name, data.shop_id))


@get("/v1/merchant/shops", summary="The merchant's own shops", tags=["merchant"])
async def list_shops(request: HttpRequest) -> list[ShopOut]:
    merchant = account_of(request)
    return [shop_out(s) for s in platform_of(request).catalog.shops_of(merchant)]


@get("/v1/merchant/shops/{shop_id:str}/skus", summary="SKUs of an own shop", tags=["merchant"])
async def list_skus(request: HttpRequest, shop_id: FromPath[str]) -> list[SkuOut]:
    merchant = account_of(request)
    return [sku_out(s) for s in platform_of(request).catalog.list_skus(merchant, shop_id)]


@post("/v1/merchant/shops/{shop_id:str}/skus", summary="List a SKU", tags=["merchant"])
async def add_sku(request: HttpRequest, shop_id: FromPath[str], data: JSONBody[SkuIn]) -> SkuOut:
    merchant = account_of(request)
    sku = platform_of(request).catalog.add_sku(
        merchant,
        shop_id,
        name=data.name,
        category=data.category,
        list_price_fen=data.list_price_fen,
        stock=data.stock,
        sku_id=data.sku_id,
    )
    return sku_out(sku)


@post(
    "/v1/merchant/skus/{sku_id:str}/stock",
    summary="Add (or with a negative delta, remove) stock; never below zero",
    status_code=200,
    tags=["merchant"],
)
async def change_stock(
    request: HttpRequest, sku_id: FromPath[str], data: JSONBody[StockChange]
) -> StockOut:
    merchant = account_of(request)
    left = platform_of(request).catalog.change_stock(merchant, sku_id, data.delta)
    return StockOut(sku_id, left)


@get("/v1/skus/{sku_id:str}", summary="A SKU as buyers see it", tags=["catalog"])
async def public_sku(request: HttpRequest, sku_id: FromPath[str]) -> SkuOut:
    return sku_out(platform_of(request).catalog.sku(sku_id))


@get("/v1/promotions/{promotion_id:str}", summary="A promotion as buyers see it", tags=["catalog"])
async def public_promotion(request: HttpRequest, promotion_id: FromPath[str]) -> PromotionOut:
    p = platform_of(request).catalog.promotion(promotion_id)
    return PromotionOut(
        promotion_id=p.promotion_id,
        name=p.name,
        starts_at=p.starts_at,
        ends_at=p.ends_at,
        items=[
            PromoItemOut(i.sku_id, i.promo_price_fen, i.limit_per_buyer) for i in p.items.values()
        ],
        subsidy_rules=[
            SubsidyRuleIn(r.fen_per_unit, r.sku_id, r.category) for r in p.subsidy_rules
        ],
        max_subsidy_per_order_fen=p.max_subsidy_per_order_fen,
    )


ROUTES = [
    add_sku,
    change_stock,
    list_shops,
    list_skus,
    open_shop,
    public_promotion,
    public_sku,
    register_buyer,
]
