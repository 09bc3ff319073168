"""Every route refuses the wrong caller: no token, the wrong role, another tenant's object."""

from __future__ import annotations

import pytest

from megasale.services.ports import Role

PUBLIC = {
    ("GET", "/v1/health"),
    ("POST", "/v1/noop"),
    ("POST", "/v1/buyers"),
    ("GET", "/v1/skus/{sku_id:str}"),
    ("GET", "/v1/promotions/{promotion_id:str}"),
    ("GET", "/static/{file_path:path}"),
}

# route -> (the role allowed, a concrete path, a valid body)
PROTECTED = {
    ("POST", "/v1/orders"): ("buyer", "/v1/orders", "order"),
    ("GET", "/v1/orders"): ("buyer", "/v1/orders", None),
    ("GET", "/v1/orders/{order_id:str}"): ("buyer", "/v1/orders/o-x", None),
    ("POST", "/v1/merchant/shops"): ("merchant", "/v1/merchant/shops", {"name": "New"}),
    ("GET", "/v1/merchant/shops"): ("merchant", "/v1/merchant/shops", None),
    ("GET", "/v1/merchant/shops/{shop_id:str}/skus"): (
        "merchant",
        "/v1/merchant/shops/shop-01/skus",
        None,
    ),
    ("POST", "/v1/merchant/shops/{shop_id:str}/skus"): (
        "merchant",
        "/v1/merchant/shops/shop-01/skus",
        {"name": "Fan", "category": "small_appliance", "list_price_fen": 100, "stock": 1},
    ),
    ("POST", "/v1/merchant/skus/{sku_id:str}/stock"): (
        "merchant",
        "/v1/merchant/skus/sku-0001/stock",
        {"delta": 1},
    ),
    ("POST", "/v1/operator/accounts"): ("operator", "/v1/operator/accounts", {"name": "M"}),
    ("POST", "/v1/operator/stores"): (
        "operator",
        "/v1/operator/stores",
        {"store_id": "st-x", "name": "X", "chain": "C", "city": "Y", "city_tier": 3},
    ),
    ("POST", "/v1/operator/promotions"): ("operator", "/v1/operator/promotions", "promotion"),
    ("GET", "/v1/operator/promotions/{promotion_id:str}"): (
        "operator",
        "/v1/operator/promotions/promo-1",
        None,
    ),
    ("POST", "/v1/operator/promotions/{promotion_id:str}/budget"): (
        "operator",
        "/v1/operator/promotions/promo-1/budget",
        {"fen": 100},
    ),
}


def app_routes(app):
    found = set()
    for route in app.routes:
        for method in getattr(route, "methods", ()):
            if method in {"GET", "POST", "PUT", "PATCH", "DELETE"} and not route.path.startswith(
                "/schema"
            ):
                found.add((method, route.path))
    return found


def test_every_route_is_listed_here_as_public_or_protected(api):
    assert app_routes(api.client.app) == PUBLIC | set(PROTECTED)


def body_for(api, body):
    if body == "order":
        return api.order_body()
    if body == "promotion":
        return {
            "name": "P",
            "starts_at": "2026-11-11T00:00:00+08:00",
            "ends_at": "2026-11-12T00:00:00+08:00",
            "budget_fen": 0,
            "items": [{"sku_id": "sku-0001", "promo_price_fen": 100}],
        }
    return body


def call(api, method, path, token, body):
    headers = {"Idempotency-Key": "authz"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if method == "GET":
        return api.client.get(path, headers=headers)
    return api.client.post(path, json=body_for(api, body), headers=headers)


def tokens(api):
    clerk = api.platform.accounts.open(Role.CLERK, "Clerk", store_id="st-bj-01")
    return {
        "operator": api.seeded.operator_token,
        "merchant": api.seeded.merchants[0]["token"],
        "buyer": api.seeded.buyers[0]["token"],
        "clerk": clerk.token,
    }


@pytest.mark.parametrize("route", sorted(PROTECTED))
def test_a_protected_route_needs_a_valid_token(api, route):
    _, path, body = PROTECTED[route]
    assert call(api, route[0], path, None, body).status_code == 401
    r = call(api, route[0], path, "not-a-real-token", body)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("route", sorted(PROTECTED))
def test_a_protected_route_refuses_every_other_role(api, route):
    allowed, path, body = PROTECTED[route]
    for role, token in tokens(api).items():
        r = call(api, route[0], path, token, body)
        if role == allowed:
            assert r.status_code < 400 or r.status_code == 404, (role, r.text)
        else:
            assert r.status_code == 403, (role, r.text)
            assert r.json()["type"] == "/problems/not-allowed"


def test_a_merchant_never_touches_another_merchants_shop(api):
    other = api.seeded.merchants[1]["token"]  # owns shop-02, not shop-01
    h = {"Authorization": f"Bearer {other}"}
    assert api.client.get("/v1/merchant/shops/shop-01/skus", headers=h).status_code == 403
    r = api.client.post(
        "/v1/merchant/shops/shop-01/skus",
        json={"name": "Fake", "category": "tv", "list_price_fen": 1, "stock": 1},
        headers=h,
    )
    assert r.status_code == 403
    r = api.client.post("/v1/merchant/skus/sku-0001/stock", json={"delta": -1}, headers=h)
    assert r.status_code == 403
    assert api.client.get("/v1/skus/sku-0001").json()["stock_left"] == 5
    shops = api.client.get("/v1/merchant/shops", headers=h).json()
    assert [s["shop_id"] for s in shops] == ["shop-02"]


def test_a_buyer_never_sees_another_buyers_order(api):
    a, b = api.seeded.buyers[0]["token"], api.seeded.buyers[1]["token"]
    order = api.place(a, "k", api.order_body()).json()
    r = api.client.get(f"/v1/orders/{order['order_id']}", headers={"Authorization": f"Bearer {b}"})
    assert r.status_code == 404
    assert api.client.get("/v1/orders", headers={"Authorization": f"Bearer {b}"}).json() == []


def test_a_buyers_key_does_not_collide_with_another_buyers_key(api):
    a, b = api.seeded.buyers[0]["token"], api.seeded.buyers[1]["token"]
    first = api.place(a, "shared-key", api.order_body()).json()
    second = api.place(b, "shared-key", api.order_body()).json()
    assert first["order_id"] != second["order_id"]
    assert second["buyer_id"] == api.seeded.buyers[1]["buyer_id"]
