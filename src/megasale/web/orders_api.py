"""Buyers' routes: place an order exactly once, read their own orders."""

from __future__ import annotations

import hashlib

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath, JSONBody, Parameter

from megasale.domain.errors import PlacementRejected
from megasale.domain.orders import (
    ClientContext,
    Order,
    OrderRequest,
    Pickup,
    RequestedLine,
    Shipping,
)
from megasale.services.placement import check_idempotency_key
from megasale.services.ports import StoredResponse
from megasale.web.caller import HttpRequest, account_of, client_ip, device_id, platform_of
from megasale.web.problems import PROBLEM_JSON, render_error
from megasale.web.schemas import OrderIn, OrderOut, PickupIn, order_out

__all__ = ["ROUTES"]

_encode = msgspec.json.Encoder().encode


def _render(outcome: Order | PlacementRejected) -> StoredResponse:
    if isinstance(outcome, Order):
        return StoredResponse(201, _encode(order_out(outcome)))
    return render_error(outcome)


def _to_request(buyer_id: str, data: OrderIn, client: ClientContext) -> OrderRequest:
    f = data.fulfilment
    return OrderRequest(
        buyer_id=buyer_id,
        promotion_id=data.promotion_id,
        lines=[RequestedLine(line.sku_id, line.quantity) for line in data.lines],
        fulfilment=Pickup(f.store_id) if isinstance(f, PickupIn) else Shipping(f.address),
        client=client,
    )


@post(
    "/v1/orders",
    summary="Place an order",
    description=(
        "Takes an `Idempotency-Key` header, scoped to the buyer: the same key with the same "
        "body returns the first response byte for byte; with another body 422; while the "
        "first request is still in flight 409."
    ),
    status_code=201,
    tags=["buyer"],
)
async def place_order(request: HttpRequest, data: JSONBody[OrderIn]) -> Response[bytes]:
    buyer = account_of(request)
    key = check_idempotency_key(request.headers.get("idempotency-key"))
    client = ClientContext(client_ip(request), device_id(request), data.payment_id)
    response = await platform_of(request).desk.place_order(
        buyer,
        key,
        _to_request(buyer.account_id, data, client),
        hashlib.sha256(_encode(data)).digest(),
        _render,
    )
    media = "application/json" if response.status < 400 else PROBLEM_JSON
    return Response(response.body, status_code=response.status, media_type=media)


@get("/v1/orders", summary="The buyer's own orders, newest first", tags=["buyer"])
async def list_orders(
    request: HttpRequest,
    limit: int = Parameter(default=50, ge=1, le=200),
    before: str | None = Parameter(default=None, max_length=64),
) -> list[OrderOut]:
    buyer = account_of(request)
    orders = platform_of(request).desk.orders_of(buyer, limit=limit, before=before)
    return [order_out(o) for o in orders]


@get("/v1/orders/{order_id:str}", summary="One of the buyer's own orders", tags=["buyer"])
async def get_order(request: HttpRequest, order_id: FromPath[str]) -> OrderOut:
    buyer = account_of(request)
    return order_out(platform_of(request).desk.order_of(buyer, order_id))


ROUTES = [get_order, list_orders, place_order]
