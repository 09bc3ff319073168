"""Buyers' routes: place an order exactly once, read their own orders."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation
from litestar.params import FromPath, Parameter

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
from megasale.web.caller import (
    HttpRequest,
    account_of,
    authenticate,
    check_device_id,
    client_ip,
    platform_of,
)
from megasale.web.problems import PROBLEM_JSON, render_error
from megasale.web.raw import RawResponse, decode_body, headers_of, read_body
from megasale.web.schemas import OrderIn, OrderOut, PickupIn, order_out

__all__ = ["ROUTES", "render_placement"]

_encode = msgspec.json.Encoder().encode
_decode_order = msgspec.json.Decoder(OrderIn)
_HEADERS = (b"authorization", b"idempotency-key", b"x-device-id", b"content-length")
_NO_LIMIT = 2**62
_JSON = b"application/json"
_PROBLEM_JSON = PROBLEM_JSON.encode()


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its ``#/$defs/...`` references replaced by what they name."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


_ORDER_IN_SCHEMA = msgspec.json.schema(OrderIn)
_ORDER_IN_SCHEMA = _inline(_ORDER_IN_SCHEMA, _ORDER_IN_SCHEMA.get("$defs", {}))


@dataclass
class _PlaceOrderOperation(Operation):
    """The OpenAPI operation of ``POST /v1/orders``, with the body it takes.

    The handler reads its body itself (see :mod:`megasale.web.raw`), so Litestar cannot see
    the type in its signature; the schema comes from the same ``OrderIn`` msgspec type.
    """

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ORDER_IN_SCHEMA}},
        }
        return schema


def render_placement(outcome: Order | PlacementRejected) -> StoredResponse:
    """The response to a placement, as the writer stores it under the key and sends it."""
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
    operation_class=_PlaceOrderOperation,
    responses={201: ResponseSpec(OrderOut, description="The order, placed and paid")},
)
async def place_order(request: HttpRequest) -> RawResponse:
    # the hottest route of the sale: headers, body and response each in one pass (web/raw.py)
    headers = headers_of(request, _HEADERS)
    limit = request.route_handler.resolve_request_max_body_size() or _NO_LIMIT
    body = await read_body(request, limit, headers.get(b"content-length"))
    data = decode_body(body, _decode_order, where="POST /v1/orders")
    platform = platform_of(request)
    buyer = authenticate(platform, headers.get(b"authorization"))
    key = check_idempotency_key(headers.get(b"idempotency-key"))
    client = ClientContext(
        client_ip(request), check_device_id(headers.get(b"x-device-id")), data.payment_id
    )
    response = await platform.desk.place_order(
        buyer,
        key,
        _to_request(buyer.account_id, data, client),
        hashlib.sha256(_encode(data)).digest(),
        render_placement,
    )
    media = _JSON if response.status < 400 else _PROBLEM_JSON
    return RawResponse(response.status, response.body, media)


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
