"""Operators' routes: accounts, partner stores, promotions and their budgets."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, JSONBody

from megasale.domain.promotions import PromoItem, SubsidyRule
from megasale.services.catalog import require_role
from megasale.services.ports import Role
from megasale.web.caller import HttpRequest, account_of, platform_of
from megasale.web.schemas import (
    AccountIn,
    AccountOut,
    BudgetTopUp,
    FigureOut,
    PromotionIn,
    StoreIn,
)

__all__ = ["ROUTES"]


@post(
    "/v1/operator/accounts", summary="Open a merchant, clerk or operator account", tags=["operator"]
)
async def open_account(request: HttpRequest, data: JSONBody[AccountIn]) -> AccountOut:
    operator = account_of(request)
    require_role(operator, Role.OPERATOR)
    new = platform_of(request).accounts.open(Role(data.role), data.name, store_id=data.store_id)
    a = new.account
    return AccountOut(a.account_id, a.role.value, a.name, new.token, a.store_id)


@post("/v1/operator/stores", summary="Add a partner store", tags=["operator"])
async def add_store(request: HttpRequest, data: JSONBody[StoreIn]) -> StoreIn:
    operator = account_of(request)
    platform_of(request).catalog.add_store(operator, data.to_domain())
    return data


def _figures_out(request: HttpRequest, promotion_id: str) -> FigureOut:
    operator = account_of(request)
    f = platform_of(request).catalog.figures(operator, promotion_id)
    return FigureOut(
        promotion_id=f.promotion.promotion_id,
        budget_fen=f.promotion.budget_fen,
        budget_left_fen=f.budget_left_fen,
        subsidy_spent_fen=f.promotion.budget_fen - f.budget_left_fen,
        orders=f.orders,
        units=f.units,
        gmv_fen=f.gmv_fen,
    )


@post("/v1/operator/promotions", summary="Set up a promotion and its budget", tags=["operator"])
async def create_promotion(request: HttpRequest, data: JSONBody[PromotionIn]) -> FigureOut:
    operator = account_of(request)
    promotion = platform_of(request).catalog.create_promotion(
        operator,
        name=data.name,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        budget_fen=data.budget_fen,
        items=[PromoItem(i.sku_id, i.promo_price_fen, i.limit_per_buyer) for i in data.items],
        subsidy_rules=[
            SubsidyRule(r.fen_per_unit, r.sku_id, r.category) for r in data.subsidy_rules
        ],
        max_subsidy_per_order_fen=data.max_subsidy_per_order_fen,
        promotion_id=data.promotion_id,
    )
    return _figures_out(request, promotion.promotion_id)


@get(
    "/v1/operator/promotions/{promotion_id:str}",
    summary="A promotion's budget and sales so far",
    tags=["operator"],
)
async def promotion_figures(request: HttpRequest, promotion_id: FromPath[str]) -> FigureOut:
    return _figures_out(request, promotion_id)


@post(
    "/v1/operator/promotions/{promotion_id:str}/budget",
    summary="Top up a promotion's subsidy budget",
    status_code=200,
    tags=["operator"],
)
async def top_up_budget(
    request: HttpRequest, promotion_id: FromPath[str], data: JSONBody[BudgetTopUp]
) -> FigureOut:
    operator = account_of(request)
    platform_of(request).catalog.top_up_budget(operator, promotion_id, data.fen)
    return _figures_out(request, promotion_id)


ROUTES = [add_store, create_promotion, open_account, promotion_figures, top_up_budget]
