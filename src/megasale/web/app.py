"""The HTTP app: Litestar + msgspec, built around a :class:`Platform` that bootstrap made.

Each capability keeps its routes in its own module as a ``ROUTES`` list; this module only
puts them together, with the error handlers, the pages' templates and the static files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.params import JSONBody
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from megasale import __version__
from megasale.config import Settings
from megasale.services.platform import Platform
from megasale.web import (
    catalog_api,
    fulfilment_api,
    live_api,
    operator_api,
    orders_api,
    risk_api,
    storefront,
    trust_api,
)
from megasale.web.caller import HttpRequest
from megasale.web.problems import exception_handlers
from megasale.web.schemas import Noop

__all__ = ["create_app"]

HERE = Path(__file__).parent


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
            *orders_api.ROUTES,
            *catalog_api.ROUTES,
            *operator_api.ROUTES,
            *risk_api.ROUTES,
            *live_api.ROUTES,
            *fulfilment_api.ROUTES,
            *trust_api.ROUTES,
            *storefront.ROUTES,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
        ],
        state=State({"platform": platform, "trusted_proxies": settings.trusted_proxies}),
        on_startup=[platform.start],
        on_shutdown=[platform.stop],
        exception_handlers=exception_handlers,
        request_max_body_size=settings.max_body_bytes,
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="megasale",
            version=__version__,
            description="A marketplace platform for mega-sale events.",
        ),
        debug=False,
    )
