"""No one acts on what is not theirs: shops, deposits, returns, orders."""

from __future__ import annotations

SHOP1 = "/v1/merchant/shops/shop-01"


def test_a_merchant_cannot_act_on_another_merchants_shop_or_deposit(api):
    other = api.merchant(1)  # owns shop-02
    body = {"legal_name": "X", "kind": "uscc", "number": "91350100M000100Y43"}
    for path, payload in [
        (f"{SHOP1}/verification", body),
        (f"{SHOP1}/verification/withdraw", {}),
        (f"{SHOP1}/programs/deposit/join", {}),
        (f"{SHOP1}/programs/returns/join", {}),
        (f"{SHOP1}/programs/returns/leave", {}),
        (f"{SHOP1}/deposit/top-up", {"fen": 100}),
        (f"{SHOP1}/deposit/pay-back", {}),
        (
            "/v1/merchant/skus/sku-0001/return-policy",
            {"returnable": False, "exclusion_reason": "perishable"},
        ),
    ]:
        r = api.post(path, other, payload)
        assert r.status_code == 403, (path, r.text)
    for path in (f"{SHOP1}/deposit", f"{SHOP1}/verification", f"{SHOP1}/returns"):
        assert api.client.get(path, headers=other).status_code == 403, path
    assert api.badges("shop-01") == set()
    assert api.platform.trust.returns.exclusion_of("sku-0001") is None


def test_a_merchant_cannot_decide_another_merchants_returns(api):
    api.join("shop-01", "returns")
    order = api.order()
    api.receive(order["order_id"])
    ret = api.ok(f"/v1/orders/{order['order_id']}/returns", api.buyer(), {"reason": "meh"})
    other = api.merchant(1)
    for action, body in (("approve", {}), ("reject", {"note": "no"}), ("received", {})):
        r = api.post(f"/v1/merchant/returns/{ret['return_id']}/{action}", other, body)
        assert r.status_code == 403, (action, r.text)
    assert api.platform.trust.returns._returns.get_return(ret["return_id"]).status == "approved"


def test_a_buyer_cannot_return_or_claim_on_another_buyers_order(api):
    api.join("shop-01", "returns")
    order = api.order(buyer=0)
    api.receive(order["order_id"])
    other = api.buyer(1)
    r = api.post(f"/v1/orders/{order['order_id']}/returns", other, {"reason": "mine now"})
    assert r.status_code == 404
    r = api.post(
        f"/v1/orders/{order['order_id']}/claims", other, {"description": "x", "asked_fen": 1}
    )
    assert r.status_code == 404
    assert (
        api.client.get(f"/v1/orders/{order['order_id']}/returns", headers=other).status_code == 404
    )
    assert (
        api.client.get(f"/v1/orders/{order['order_id']}/returns", headers=api.buyer(0)).json() == []
    )


def test_only_an_operator_rules_on_identities_and_claims(api):
    api.post(
        f"{SHOP1}/verification",
        api.merchant(),
        {"legal_name": "X", "kind": "uscc", "number": "91350100M000100Y43"},
    )
    for who in (api.merchant(), api.buyer()):
        assert api.post("/v1/operator/verifications/shop-01/verify", who).status_code == 403
    assert "verified" not in api.badges("shop-01")
