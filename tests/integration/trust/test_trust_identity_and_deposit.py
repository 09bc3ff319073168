"""Real-name checks, program memberships, the deposit and buyer claims, through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.trust.trust_harness import GOOD_ID, GOOD_USCC

SHOP = "/v1/merchant/shops/shop-01"


def submit(api, number=GOOD_USCC, kind="uscc", shop="shop-01", merchant=0):
    return api.post(
        f"/v1/merchant/shops/{shop}/verification",
        api.merchant(merchant),
        {"legal_name": "Haier Trading Co", "kind": kind, "number": number},
    )


def test_a_verified_shop_shows_the_badge_only_once_the_operator_verifies_it(api):
    r = submit(api)
    assert r.status_code == 201
    assert r.json()["status"] == "pending"
    assert r.json()["masked"] == "91**************43"
    assert "verified" not in api.badges("shop-01")
    pending = api.client.get("/v1/operator/verifications", headers=api.operator).json()
    assert [c["shop_id"] for c in pending] == ["shop-01"]
    api.ok("/v1/operator/verifications/shop-01/verify", api.operator)
    assert "verified" in api.badges("shop-01")


def test_the_operator_can_revoke_a_verification_and_the_badge_goes(api):
    submit(api)
    api.ok("/v1/operator/verifications/shop-01/verify", api.operator)
    done = api.ok("/v1/operator/verifications/shop-01/revoke", api.operator, {"note": "forged"})
    assert done["status"] == "revoked"
    assert done["note"] == "forged"
    assert "verified" not in api.badges("shop-01")


def test_a_rejected_check_can_be_submitted_again(api):
    submit(api)
    api.ok("/v1/operator/verifications/shop-01/reject", api.operator, {"note": "blurred scan"})
    assert submit(api, GOOD_ID, "resident_id").status_code == 201


def test_a_merchant_leaves_verification_on_its_own(api):
    submit(api)
    api.ok("/v1/operator/verifications/shop-01/verify", api.operator)
    api.join("shop-01", "returns")
    assert api.ok(f"{SHOP}/verification/withdraw", api.merchant())["status"] == "withdrawn"
    assert api.badges("shop-01") == {"returns_7d"}


def test_an_invalid_number_is_refused_with_a_reason_and_without_the_number(api):
    bad = "91350100M000100Y44"
    r = submit(api, bad)
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/invalid-identity"
    assert "check character" in r.json()["detail"]
    assert bad not in r.text and bad[:-2] not in r.text


def test_an_identity_backs_no_more_shops_than_configured(api):
    assert api.platform.trust.service.config.max_shops_per_identity == 3
    for n in range(3):
        assert submit(api, shop=f"shop-0{n + 1}", merchant=n).status_code == 201
    r = submit(api, shop="shop-04", merchant=3)
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/identity-limit-reached"
    # a shop that withdraws frees its place
    api.ok("/v1/merchant/shops/shop-01/verification/withdraw", api.merchant(0))
    assert submit(api, shop="shop-04", merchant=3).status_code == 201


def test_the_deposit_badge_shows_only_while_the_balance_covers_the_requirement(api):
    api.join("shop-01", "deposit")
    out = api.ok(f"{SHOP}/deposit/top-up", api.merchant(), {"fen": 999_999})
    assert out["required_fen"] == 1_000_000  # shop-01 sells TVs and fridges
    assert not out["badge"]
    assert "deposit" not in api.badges("shop-01")
    out = api.ok(f"{SHOP}/deposit/top-up", api.merchant(), {"fen": 1})
    assert out["badge"] and out["balance_fen"] == 1_000_000
    assert "deposit" in api.badges("shop-01")


def test_large_appliances_need_a_larger_deposit_than_small_ones(api):
    shop = api.ok(
        "/v1/merchant/shops", api.merchant(), {"name": "Small Things", "shop_id": "small-1"}
    )
    api.ok(
        "/v1/merchant/shops/small-1/skus",
        api.merchant(),
        {"name": "Kettle", "category": "small_appliance", "list_price_fen": 9900, "stock": 3},
    )
    api.join(shop["shop_id"], "deposit")
    out = api.ok("/v1/merchant/shops/small-1/deposit/top-up", api.merchant(), {"fen": 200_000})
    assert out["required_fen"] == 200_000 and out["badge"]
    api.ok(
        "/v1/merchant/shops/small-1/skus",
        api.merchant(),
        {"name": "50-inch TV", "category": "tv", "list_price_fen": 199900, "stock": 3},
    )
    assert "deposit" not in api.badges("small-1")


def test_an_awarded_claim_is_paid_from_the_deposit_and_can_cost_the_badge(api):
    api.join("shop-01", "deposit")
    api.ok(f"{SHOP}/deposit/top-up", api.merchant(), {"fen": 1_000_000})
    order = api.order()
    claim = api.ok(
        f"/v1/orders/{order['order_id']}/claims",
        api.buyer(),
        {"description": "screen cracked", "asked_fen": 50_000},
    )
    assert [
        c["claim_id"] for c in api.client.get("/v1/operator/claims", headers=api.operator).json()
    ] == [claim["claim_id"]]
    awarded = api.ok(
        f"/v1/operator/claims/{claim['claim_id']}/award", api.operator, {"fen": 30_000}
    )
    assert awarded["status"] == "awarded" and awarded["awarded_fen"] == 30_000
    deposit = api.client.get(f"{SHOP}/deposit", headers=api.merchant()).json()
    assert deposit["balance_fen"] == 970_000
    assert [e["fen"] for e in deposit["entries"]] == [1_000_000, -30_000]
    assert "deposit" not in api.badges("shop-01")
    api.ok(f"{SHOP}/deposit/top-up", api.merchant(), {"fen": 30_000})
    assert "deposit" in api.badges("shop-01")


def test_an_award_larger_than_the_deposit_is_refused_and_nothing_moves(api):
    api.join("shop-01", "deposit")
    api.ok(f"{SHOP}/deposit/top-up", api.merchant(), {"fen": 10_000})
    order = api.order()
    claim = api.ok(
        f"/v1/orders/{order['order_id']}/claims",
        api.buyer(),
        {"description": "x", "asked_fen": 20_000},
    )
    r = api.post(f"/v1/operator/claims/{claim['claim_id']}/award", api.operator, {"fen": 20_000})
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/insufficient-deposit"
    assert api.client.get(f"{SHOP}/deposit", headers=api.merchant()).json()["balance_fen"] == 10_000
    assert (
        api.platform.trust.service.claims(
            api.platform.accounts.authenticate(api.seeded.operator_token)
        )[0].status
        == "open"
    )


def test_the_deposit_is_paid_back_only_after_cooling_off_with_nothing_open(api):
    api.join("shop-01", "deposit")
    api.ok(f"{SHOP}/deposit/top-up", api.merchant(), {"fen": 1_000_000})
    r = api.post(f"{SHOP}/deposit/pay-back", api.merchant())
    assert r.status_code == 403  # still in the program
    order = api.order()
    claim = api.ok(
        f"/v1/orders/{order['order_id']}/claims",
        api.buyer(),
        {"description": "late", "asked_fen": 100},
    )
    api.leave("shop-01", "deposit")
    assert "deposit" not in api.badges("shop-01")
    api.clock.advance(timedelta(days=14))
    r = api.post(f"{SHOP}/deposit/pay-back", api.merchant())
    assert r.status_code == 409 and "cooling-off" in r.json()["detail"]
    api.clock.advance(timedelta(days=1, seconds=1))
    r = api.post(f"{SHOP}/deposit/pay-back", api.merchant())
    assert r.status_code == 409 and "claim" in r.json()["detail"]
    api.ok(f"/v1/operator/claims/{claim['claim_id']}/dismiss", api.operator, {"note": "no proof"})
    out = api.ok(f"{SHOP}/deposit/pay-back", api.merchant())
    assert out["balance_fen"] == 0
    assert [e["kind"] for e in out["entries"]] == ["top_up", "payback"]


def test_a_top_up_needs_the_program_and_a_claim_needs_a_positive_amount(api):
    r = api.post(f"{SHOP}/deposit/top-up", api.merchant(), {"fen": 100})
    assert r.status_code == 403
    order = api.order()
    r = api.post(
        f"/v1/orders/{order['order_id']}/claims", api.buyer(), {"description": "x", "asked_fen": 0}
    )
    assert r.status_code == 400
