"""The HTTP app: Litestar + msgspec, built around a :class:`Platform` that bootstrap made."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.params import JSONBody

from megasale import __version__
from megasale.config import Settings
from megasale.services.platform import Platform
from megasale.web import catalog_api, operator_api, orders_api
from megasale.web.caller import HttpRequest
from megasale.web.problems import exception_handlers
from megasale.web.schemas import Noop

__all__ = ["create_app"]


@post("/v1/noop", summary="Does nothing: the baseline for benchmarks", status_code=200)
async def noop(data: JSONBody[dict[str, Any]]) -> Noop:
    return Noop()


@get("/v1/health", summary="Liveness", tags=["ops"])
async def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def create_app(platform: Platform, settings: Settings) -> Litestar:
    return Litestar(
        route_handlers=[
            noop,
            health,
            orders_api.place_order,
            orders_api.list_orders,
            orders_api.get_order,
            catalog_api.register_buyer,
            catalog_api.open_shop,
            catalog_api.list_shops,
            catalog_api.list_skus,
            catalog_api.add_sku,
            catalog_api.change_stock,
            catalog_api.public_sku,
            catalog_api.public_promotion,
            operator_api.open_account,
            operator_api.add_store,
            operator_api.create_promotion,
            operator_api.promotion_figures,
            operator_api.top_up_budget,
        ],
        state=State({"platform": platform, "trusted_proxies": settings.trusted_proxies}),
        on_startup=[platform.start],
        on_shutdown=[platform.stop],
        exception_handlers=exception_handlers,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="megasale",
            version=__version__,
            description="A marketplace platform for mega-sale events.",
        ),
        debug=False,
    )
