"""Every route refuses the wrong caller: no token, the wrong role, another tenant's object."""

from __future__ import annotations

import pytest

from megasale.services.ports import Role

_TS = "/v1/merchant/shops/{shop_id:str}"  # the trust program's merchant routes

PUBLIC = {
    ("GET", "/v1/health"),
    ("POST", "/v1/noop"),
    ("POST", "/v1/buyers"),
    ("GET", "/v1/skus/{sku_id:str}"),
    ("GET", "/v1/promotions/{promotion_id:str}"),
    ("GET", "/static/{file_path:path}"),
    # the trust program's storefront and search (issue 4)
    ("GET", "/v1/search"),
    ("GET", "/v1/shops/{shop_id:str}/trust"),
    ("GET", "/search"),
    ("GET", "/shops/{shop_id:str}"),
    ("GET", "/skus/{sku_id:str}"),
    ("GET", "/live"),  # the page's shell only: its figures come from the stream below
    # fulfilment (issue 5): the backlog page's shell, and carriers' calls (signed, not bearer)
    ("GET", "/operator/backlog"),
    ("POST", "/v1/carriers/{carrier_id:str}/events"),
}

# route -> (the roles allowed, "|" between several, a concrete path, a valid body)
PROTECTED = {
    **{  # the trust program (issue 4); shop-x, ret-x, clm-x, o-x name nothing: 404 once allowed
        ("POST", f"{_TS}/verification"): (
            "merchant",
            "/v1/merchant/shops/shop-01/verification",
            {"legal_name": "Haier Co", "kind": "uscc", "number": "91350100M000100Y43"},
        ),
        ("GET", f"{_TS}/verification"): (
            "merchant",
            "/v1/merchant/shops/shop-01/verification",
            None,
        ),
        ("POST", f"{_TS}/verification/withdraw"): (
            "merchant",
            "/v1/merchant/shops/shop-x/verification/withdraw",
            {},
        ),
        ("POST", f"{_TS}/programs/{{program:str}}/join"): (
            "merchant",
            "/v1/merchant/shops/shop-01/programs/deposit/join",
            {},
        ),
        ("POST", f"{_TS}/programs/{{program:str}}/leave"): (
            "merchant",
            "/v1/merchant/shops/shop-x/programs/deposit/leave",
            {},
        ),
        ("GET", f"{_TS}/deposit"): ("merchant", "/v1/merchant/shops/shop-01/deposit", None),
        ("POST", f"{_TS}/deposit/top-up"): (
            "merchant",
            "/v1/merchant/shops/shop-x/deposit/top-up",
            {"fen": 100},
        ),
        ("POST", f"{_TS}/deposit/pay-back"): (
            "merchant",
            "/v1/merchant/shops/shop-x/deposit/pay-back",
            {},
        ),
        ("GET", f"{_TS}/returns"): ("merchant", "/v1/merchant/shops/shop-01/returns", None),
        ("POST", "/v1/merchant/skus/{sku_id:str}/return-policy"): (
            "merchant",
            "/v1/merchant/skus/sku-0001/return-policy",
            {"returnable": False, "exclusion_reason": "custom_made"},
        ),
        ("POST", "/v1/merchant/returns/{return_id:str}/approve"): (
            "merchant",
            "/v1/merchant/returns/ret-x/approve",
            {},
        ),
        ("POST", "/v1/merchant/returns/{return_id:str}/reject"): (
            "merchant",
            "/v1/merchant/returns/ret-x/reject",
            {"note": "no"},
        ),
        ("POST", "/v1/merchant/returns/{return_id:str}/received"): (
            "merchant",
            "/v1/merchant/returns/ret-x/received",
            {},
        ),
        ("POST", "/v1/orders/{order_id:str}/returns"): ("buyer", "/v1/orders/o-x/returns", {}),
        ("GET", "/v1/orders/{order_id:str}/returns"): ("buyer", "/v1/orders/o-x/returns", None),
        ("POST", "/v1/orders/{order_id:str}/claims"): (
            "buyer",
            "/v1/orders/o-x/claims",
            {"description": "broken", "asked_fen": 100},
        ),
        ("GET", "/v1/operator/verifications"): ("operator", "/v1/operator/verifications", None),
        ("POST", "/v1/operator/verifications/{shop_id:str}/{decision:str}"): (
            "operator",
            "/v1/operator/verifications/shop-x/verify",
            None,
        ),
        ("GET", "/v1/operator/claims"): ("operator", "/v1/operator/claims", None),
        ("POST", "/v1/operator/claims/{claim_id:str}/award"): (
            "operator",
            "/v1/operator/claims/clm-x/award",
            {"fen": 1},
        ),
        ("POST", "/v1/operator/claims/{claim_id:str}/dismiss"): (
            "operator",
            "/v1/operator/claims/clm-x/dismiss",
            {"note": "no"},
        ),
        ("POST", "/v1/operator/returns/refund-overdue"): (
            "operator",
            "/v1/operator/returns/refund-overdue",
            {},
        ),
    },
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
    ("POST", "/live/session"): ("operator", "/live/session", {}),
    ("GET", "/live/stream"): ("operator", "/live/stream?frames=1", None),
    ("GET", "/v1/operator/live"): ("operator", "/v1/operator/live", None),
    ("GET", "/v1/operator/live/series"): ("operator", "/v1/operator/live/series", None),
    ("GET", "/metrics"): ("operator", "/metrics", None),
    ("GET", "/v1/risk/rings"): ("analyst|operator", "/v1/risk/rings", None),
    ("GET", "/v1/risk/rings/{ring_id:str}"): ("analyst|operator", "/v1/risk/rings/R-x", None),
    ("POST", "/v1/risk/rings/{ring_id:str}/confirm"): (
        "analyst|operator",
        "/v1/risk/rings/R-x/confirm",
        {},
    ),
    ("POST", "/v1/risk/rings/{ring_id:str}/clear"): (
        "analyst|operator",
        "/v1/risk/rings/R-x/clear",
        {},
    ),
    ("GET", "/v1/risk/subsidies"): ("analyst|operator", "/v1/risk/subsidies", None),
    ("POST", "/v1/operator/subsidies/payout"): ("operator", "/v1/operator/subsidies/payout", {}),
    **{  # fulfilment (issue 5); o-x names no order: 404 once allowed
        ("POST", "/v1/operator/stores/import"): (
            "operator",
            "/v1/operator/stores/import",
            {
                "csv": "store_id,name,chain,city,city_tier,address,opening_hours\n"
                "st-imp,Imported,Suning,Wuhan,2,1 Road,09:00-21:00\n"
            },
        ),
        ("GET", "/v1/orders/{order_id:str}/pickup-code"): (
            "buyer",
            "/v1/orders/o-x/pickup-code",
            None,
        ),
        ("GET", "/v1/orders/{order_id:str}/shipment"): ("buyer", "/v1/orders/o-x/shipment", None),
        ("POST", "/v1/clerk/pickups"): ("clerk", "/v1/clerk/pickups", {"code": "00000000000"}),
        ("GET", "/v1/operator/carriers/{carrier_id:str}/handover.csv"): (
            "operator",
            "/v1/operator/carriers/sf/handover.csv",
            None,
        ),
        ("GET", "/v1/operator/backlog"): ("operator", "/v1/operator/backlog", None),
        ("POST", "/v1/operator/fulfilment/run"): ("operator", "/v1/operator/fulfilment/run", {}),
    },
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
        "analyst": api.platform.accounts.open(Role.ANALYST, "Analyst").token,
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
        if role in allowed.split("|"):
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
