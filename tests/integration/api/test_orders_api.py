"""Placing and reading orders through the real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.api.conftest import make_api

from megasale.sim.seed import SeedPlan


def test_a_buyer_places_an_order_and_reads_it_back(api):
    r = api.place(api.buyer["token"], "k1", api.order_body(qty=2), **{"X-Device-Id": "phone-1"})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "placed"
    assert order["amount_fen"] == 2 * api.seeded.skus[0]["promo_price_fen"]
    assert order["pay_fen"] == order["amount_fen"] - order["subsidy_fen"]
    got = api.client.get(f"/v1/orders/{order['order_id']}", headers=api.auth(api.buyer["token"]))
    assert got.json() == order
    listed = api.client.get("/v1/orders", headers=api.auth(api.buyer["token"])).json()
    assert [o["order_id"] for o in listed] == [order["order_id"]]


def test_the_same_key_and_body_return_the_first_response_byte_for_byte(api):
    first = api.place(api.buyer["token"], "same", api.order_body())
    second = api.place(api.buyer["token"], "same", api.order_body())
    assert second.status_code == first.status_code == 201
    assert second.content == first.content
    stock = api.client.get("/v1/skus/sku-0001").json()["stock_left"]
    assert stock == 4


def test_the_same_key_with_another_body_is_422(api):
    api.place(api.buyer["token"], "k", api.order_body(qty=1))
    r = api.place(api.buyer["token"], "k", api.order_body(qty=2))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "/problems/idempotency-key-reused"


def test_a_replay_after_the_promotion_closed_still_returns_the_order(api):
    first = api.place(api.buyer["token"], "late", api.order_body())
    api.platform.store.db.connection().execute("UPDATE promotions SET ends_at = starts_at + 1")
    api.platform.catalog._promotions.clear()  # as if the one-second cache had expired
    again = api.place(api.buyer["token"], "late", api.order_body())
    assert again.status_code == 201 and again.content == first.content
    fresh = api.place(api.buyer["token"], "new", api.order_body())
    assert fresh.json()["type"] == "/problems/promotion-not-open"


def test_an_order_without_a_key_is_refused_and_names_the_header(api):
    r = api.client.post("/v1/orders", json=api.order_body(), headers=api.auth(api.buyer["token"]))
    assert r.status_code == 422
    assert r.json()["field"] == "Idempotency-Key"


def test_sold_out_limit_and_budget_each_get_their_own_problem(tmp_path: Path):
    plan = SeedPlan(
        buyers=6, skus=2, stock=3, limit_per_buyer=2, subsidy_fen=1_000, budget_fen=4_000
    )
    for api in make_api(tmp_path, plan):
        b = [x["token"] for x in api.seeded.buyers]
        assert api.place(b[0], "1", api.order_body(qty=2)).status_code == 201
        limit = api.place(b[0], "2", api.order_body(qty=1))
        assert limit.json()["type"] == "/problems/buyer-limit-reached"
        sold = api.place(b[1], "1", api.order_body(qty=2))
        assert sold.status_code == 409 and sold.json()["type"] == "/problems/sold-out"
        assert api.place(b[1], "2", api.order_body(sku="sku-0002", qty=1)).status_code == 201
        budget = api.place(b[2], "1", api.order_body(sku="sku-0002", qty=2))
        assert budget.json()["type"] == "/problems/subsidy-budget-exhausted"
        assert "budget" in budget.json()["detail"]


def test_an_unknown_sku_and_an_unknown_store_are_404(api):
    r = api.place(api.buyer["token"], "k", api.order_body(sku="sku-9999"))
    assert r.status_code == 404 and r.json()["type"] == "/problems/unknown-sku"
    body = api.order_body()
    body["fulfilment"] = {"kind": "pickup", "store_id": "st-nowhere"}
    r = api.place(api.buyer["token"], "k2", body)
    assert r.status_code == 404 and r.json()["type"] == "/problems/unknown-store"


def test_a_promotion_not_yet_open_refuses_orders(api):
    from datetime import timedelta

    from megasale.domain.promotions import PromoItem

    operator = api.platform.accounts.authenticate(api.seeded.operator_token)
    now = api.platform.clock.now()
    api.platform.catalog.create_promotion(
        operator,
        name="Tomorrow",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        budget_fen=0,
        items=[PromoItem("sku-0001", 100, 1)],
        promotion_id="later",
    )
    r = api.place(api.buyer["token"], "k", api.order_body(promotion_id="later"))
    assert r.status_code == 409 and r.json()["type"] == "/problems/promotion-not-open"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["lines"][0].update(quantity="two"), "lines[0].quantity"),
        (lambda b: b["lines"][0].update(quantity="1"), "lines[0].quantity"),  # strict: no coercion
        (lambda b: b["lines"][0].update(quantity=0), "lines[0].quantity"),
        (lambda b: b.update(lines=[]), "lines"),
        (lambda b: b["fulfilment"].update(kind="drone"), "fulfilment"),
        (lambda b: b.pop("promotion_id"), "promotion_id"),
        (lambda b: b.update(surprise=1), "surprise"),
    ],
)
def test_a_malformed_body_says_which_field(api, mutate, field):
    body = api.order_body()
    mutate(body)
    r = api.place(api.buyer["token"], "k", body)
    assert r.status_code == 400
    problem = r.json()
    assert problem["type"] == "/problems/malformed-request"
    assert field in problem["detail"]


def test_a_body_that_is_not_json_is_400_problem(api):
    r = api.client.post(
        "/v1/orders",
        content=b"{not json",
        headers=api.auth(
            api.buyer["token"], **{"Idempotency-Key": "k", "Content-Type": "application/json"}
        ),
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


def test_an_oversized_body_is_413_problem(api):
    body = api.order_body(payment_id="x" * 20_000)
    r = api.place(api.buyer["token"], "k", body)
    assert r.status_code == 413
    assert r.json()["type"] == "/problems/body-too-large"


def test_the_openapi_document_is_served(api):
    doc = api.client.get("/schema/openapi.json").json()
    assert "/v1/orders" in doc["paths"]
    assert doc["info"]["title"] == "megasale"
    place = doc["paths"]["/v1/orders"]["post"]
    body = place["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"promotion_id", "lines", "fulfilment"}
    assert body["properties"]["lines"]["items"]["properties"]["quantity"]["type"] == "integer"
    assert "201" in place["responses"]
