"""Fulfilment routes: partner-store import, pickup codes, carrier webhooks, the backlog.

Who may call what: operators import stores, read the backlog and the carriers' hand-over files;
a buyer reads the pickup code and shipment of their own orders; a clerk redeems codes at their
own store; carriers call the webhook with a signature instead of a bearer token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Template
from msgspec import Meta

from megasale.domain.errors import InvalidInput, NotFound
from megasale.domain.shipments import Shipment
from megasale.services.carrier_webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from megasale.services.catalog import require_role
from megasale.services.fulfilment import Fulfilment
from megasale.services.fulfilment_ports import Backlog, WaitingItem
from megasale.services.ports import Role
from megasale.web.caller import HttpRequest, account_of, platform_of
from megasale.web.schemas import OrderOut, order_out

__all__ = ["ROUTES"]


class StoresIn(msgspec.Struct, forbid_unknown_fields=True):
    csv: str


class StoresImported(msgspec.Struct):
    imported: int


class PickupCodeOut(msgspec.Struct):
    order_id: str
    code: str
    state: str
    store_id: str
    store_name: str
    address: str
    opening_hours: str
    expires_at: datetime
    collected_at: datetime | None


class RedeemIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=40)]


class ShipmentOut(msgspec.Struct):
    order_id: str
    carrier_id: str
    tracking_number: str
    status: str
    status_at: datetime
    delivered_at: datetime | None


class AgeBucketOut(msgspec.Struct):
    label: str
    count: int


class WaitingOut(msgspec.Struct):
    order_id: str
    since: datetime
    where: str


class StoreQueueOut(msgspec.Struct):
    store_id: str
    waiting: int
    oldest_at: datetime


class StuckOut(msgspec.Struct):
    status: str
    older_than_s: int
    count: int
    oldest: list[WaitingOut]


class BacklogOut(msgspec.Struct):
    at: datetime
    unshipped_total: int
    unshipped_by_age: list[AgeBucketOut]
    unshipped_oldest: list[WaitingOut]
    pickups_waiting_total: int
    pickups_by_store: list[StoreQueueOut]
    stuck: list[StuckOut]


def _backlog_out(b: Backlog) -> BacklogOut:
    def items(found: list[WaitingItem]) -> list[WaitingOut]:
        return [WaitingOut(i.order_id, i.since, i.where) for i in found]

    return BacklogOut(
        at=b.at,
        unshipped_total=b.unshipped_total,
        unshipped_by_age=[AgeBucketOut(a.label, a.count) for a in b.unshipped_by_age],
        unshipped_oldest=items(b.unshipped_oldest),
        pickups_waiting_total=b.pickups_waiting_total,
        pickups_by_store=[
            StoreQueueOut(q.store_id, q.waiting, q.oldest_at) for q in b.pickups_by_store
        ],
        stuck=[
            StuckOut(s.status.value, int(s.older_than.total_seconds()), s.count, items(s.oldest))
            for s in b.stuck
        ],
    )


class FulfilmentRun(msgspec.Struct):
    events_read: int
    expired: list[str]


def _fulfilment(request: HttpRequest) -> Fulfilment:
    found = platform_of(request).fulfilment
    if found is None:
        raise NotFound("fulfilment is not set up on this server")
    assert isinstance(found, Fulfilment)
    return found


def _shipment_out(s: Shipment) -> ShipmentOut:
    return ShipmentOut(
        s.order_id, s.carrier_id, s.tracking_number, s.status.value, s.status_at, s.delivered_at
    )


@post(
    "/v1/operator/stores/import",
    summary='Import partner stores from CSV (a text/csv body, or JSON {"csv": ...})',
    description="Columns: store_id, name, chain, city, city_tier, address, opening_hours. "
    "Every bad row is named; a file with any bad row imports nothing. Larger files than the "
    "request limit go through `megasale import-stores`.",
    status_code=200,
    tags=["operator"],
)
async def import_stores(request: HttpRequest) -> StoresImported:
    operator = account_of(request)
    require_role(operator, Role.OPERATOR)
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            text = msgspec.json.decode(raw, type=StoresIn).csv
        except msgspec.DecodeError:
            raise InvalidInput("body", 'a JSON body is {"csv": "<the CSV text>"}') from None
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("file", "not UTF-8 text") from None
    return StoresImported(_fulfilment(request).import_stores(operator, text))


@get(
    "/v1/orders/{order_id:str}/pickup-code",
    summary="The one-time code to collect a pickup order",
    tags=["buyer"],
)
async def pickup_code(request: HttpRequest, order_id: FromPath[str]) -> PickupCodeOut:
    view = _fulfilment(request).pickup_code(account_of(request), order_id)
    s = view.store
    return PickupCodeOut(
        order_id=view.order_id,
        code=view.code,
        state=view.state,
        store_id=s.store.store_id,
        store_name=s.store.name,
        address=s.address,
        opening_hours=s.opening_hours,
        expires_at=view.expires_at,
        collected_at=view.collected_at,
    )


@get("/v1/orders/{order_id:str}/shipment", summary="Carrier and tracking", tags=["buyer"])
async def shipment(request: HttpRequest, order_id: FromPath[str]) -> ShipmentOut:
    return _shipment_out(_fulfilment(request).shipment(account_of(request), order_id))


@post(
    "/v1/clerk/pickups",
    summary="Redeem a pickup code at the clerk's store: hand the goods over",
    description="A code is redeemed once. Typos are refused by the check character (422); "
    "wrong codes count against the clerk and the store, and past the limit the answer is 429 "
    "with Retry-After.",
    status_code=200,
    tags=["clerk"],
)
async def redeem_pickup(request: HttpRequest, data: JSONBody[RedeemIn]) -> OrderOut:
    order = _fulfilment(request).redeem(account_of(request), data.code)
    return order_out(order)


@post(
    "/v1/carriers/{carrier_id:str}/events",
    summary="A carrier's status report (signed webhook)",
    description=f"Signed with the carrier's shared secret: `{TIMESTAMP_HEADER}` (Unix seconds) "
    f"and `{SIGNATURE_HEADER}: v1=<hex HMAC-SHA256 of '<timestamp>.' + body>`. Body: "
    "`event_id`, `tracking_number`, `status` (picked_up, in_transit, delivered, failed), `at`.",
    status_code=200,
    tags=["carrier"],
)
async def carrier_event(request: HttpRequest, carrier_id: FromPath[str]) -> ShipmentOut:
    body = await request.body()
    shipment = _fulfilment(request).receive_carrier_call(
        carrier_id,
        request.headers.get(TIMESTAMP_HEADER.lower()),
        request.headers.get(SIGNATURE_HEADER.lower()),
        body,
    )
    return _shipment_out(shipment)


@get(
    "/v1/operator/carriers/{carrier_id:str}/handover.csv",
    summary="The hand-over file of one carrier: parcels awaiting pickup, oldest first",
    tags=["operator"],
)
async def handover(request: HttpRequest, carrier_id: FromPath[str]) -> Response[str]:
    text = _fulfilment(request).handover_csv(account_of(request), carrier_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="handover-{carrier_id}.csv"'},
    )


@get(
    "/v1/operator/backlog",
    summary="Orders not shipped by age, pickups waiting per store, shipments stuck",
    tags=["operator"],
)
async def backlog(
    request: HttpRequest, oldest: Annotated[int, QueryParameter(ge=1, le=500)] = 20
) -> BacklogOut:
    return _backlog_out(_fulfilment(request).backlog(account_of(request), oldest))


@post(
    "/v1/operator/fulfilment/run",
    summary="Dispatch new orders and expire overdue pickups now (the worker does it anyway)",
    status_code=200,
    tags=["operator"],
)
async def run_fulfilment(request: HttpRequest) -> FulfilmentRun:
    require_role(account_of(request), Role.OPERATOR)
    fulfilment = _fulfilment(request)
    return FulfilmentRun(fulfilment.dispatch_all(), fulfilment.expire_due())


@get("/operator/backlog", summary="The backlog (a page)", include_in_schema=False)
async def backlog_page(request: HttpRequest) -> Template:
    return Template(template_name="backlog.html", context={})


ROUTES = [
    backlog,
    backlog_page,
    carrier_event,
    handover,
    import_stores,
    pickup_code,
    redeem_pickup,
    run_fulfilment,
    shipment,
]
