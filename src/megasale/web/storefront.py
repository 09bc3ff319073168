"""The read-only storefront: search results, store pages and product pages, rendered on the
server with Jinja2 (``templates/search.html``, ``shop.html``, ``sku.html``). Each shows the
shop's badges with the promise behind each, the promo price, the stock state and, before any
purchase, whether the product is excluded from no-reason returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import get
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Template

from megasale.domain.badges import PROMISES, Badge
from megasale.domain.money import format_yuan
from megasale.domain.returns import EXCLUSIONS
from megasale.services.search import SearchResult
from megasale.web.caller import HttpRequest, platform_of
from megasale.web.trust_api import trust_of

__all__ = ["ROUTES"]

LOW_STOCK = 10


@dataclass(frozen=True, slots=True)
class BadgeView:
    key: str
    label: str
    promise: str


@dataclass(frozen=True, slots=True)
class SkuView:
    sku_id: str
    name: str
    category: str
    shop_id: str
    shop_name: str
    list_price: str
    promo_price: str | None
    promotion: str | None
    stock: str
    stock_class: str
    badges: list[BadgeView]
    exclusion: str | None


def badge_views(badges: frozenset[str]) -> list[BadgeView]:
    return [BadgeView(b.value, *PROMISES[b]) for b in Badge if b.value in badges]


def _stock(left: int) -> tuple[str, str]:
    if left <= 0:
        return "Sold out", "out"
    if left < LOW_STOCK:
        return f"Only {left} left", "low"
    return "In stock", "in"


def sku_view(r: SearchResult) -> SkuView:
    h = r.hit
    stock, stock_class = _stock(h.stock_left)
    return SkuView(
        sku_id=h.sku_id,
        name=h.name,
        category=h.category.replace("_", " "),
        shop_id=h.shop_id,
        shop_name=h.shop_name,
        list_price=format_yuan(h.list_price_fen),
        promo_price=None if r.offer is None else format_yuan(r.offer.promo_price_fen),
        promotion=None if r.offer is None else r.offer.promotion_name,
        stock=stock,
        stock_class=stock_class,
        badges=badge_views(r.badges),
        exclusion=None if r.exclusion is None else EXCLUSIONS.get(r.exclusion, r.exclusion),
    )


def _page(name: str, **context: Any) -> Template:
    return Template(template_name=name, context=context, headers={"Cache-Control": "no-store"})


@get("/search", summary="Search page", tags=["pages"], include_in_schema=False)
async def search_page(
    request: HttpRequest,
    q: str = Parameter(default="", max_length=200),
    guaranteed: FromQuery[bool] = False,
) -> Template:
    found = trust_of(request).search.search(q, guaranteed_only=guaranteed, limit=50)
    return _page(
        "search.html",
        title=f"{q} - search" if q else "All products",
        q=q,
        guaranteed=guaranteed,
        results=[sku_view(r) for r in found],
    )


@get("/shops/{shop_id:str}", summary="Store page", tags=["pages"], include_in_schema=False)
async def shop_page(request: HttpRequest, shop_id: FromPath[str]) -> Template:
    shop = platform_of(request).store.get_shop(shop_id)
    trust = trust_of(request)
    skus = trust.search.skus_of_shop(shop_id)
    return _page(
        "shop.html",
        title=shop.name,
        shop=shop,
        badges=badge_views(trust.badges_of(shop_id)),
        all_badges=badge_views(frozenset(b.value for b in Badge)),
        skus=[sku_view(r) for r in skus],
    )


@get("/skus/{sku_id:str}", summary="Product page", tags=["pages"], include_in_schema=False)
async def sku_page(request: HttpRequest, sku_id: FromPath[str]) -> Template:
    view = sku_view(trust_of(request).search.listing(sku_id))
    return _page("sku.html", title=view.name, sku=view)


ROUTES = [search_page, shop_page, sku_page]
