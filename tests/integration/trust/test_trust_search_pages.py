"""Search ranks by relevance, then trust; the pages show badges, prices, stock and exclusions."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.trust.trust_harness import GOOD_USCC


def ids(hits):
    return [h["sku_id"] for h in hits]


def full_trust(api, shop, n):
    api.post(
        f"/v1/merchant/shops/{shop}/verification",
        api.merchant(n),
        {"legal_name": "Co", "kind": "uscc", "number": GOOD_USCC},
    )
    api.ok(f"/v1/operator/verifications/{shop}/verify", api.operator)
    api.join(shop, "deposit", n)
    api.ok(f"/v1/merchant/shops/{shop}/deposit/top-up", api.merchant(n), {"fen": 1_000_000})
    api.join(shop, "returns", n)


def test_search_finds_skus_by_name_category_and_shop_name(api):
    assert set(ids(api.client.get("/v1/search?q=washer").json())) == {"sku-0007", "sku-0008"}
    assert set(ids(api.client.get("/v1/search?q=air+conditioner").json())) == {
        "sku-0003",
        "sku-0004",
    }
    by_shop = api.client.get("/v1/search?q=haier").json()
    assert set(ids(by_shop)) == {"sku-0001", "sku-0006"}


def test_a_sku_listed_later_is_found_at_once(api):
    api.ok(
        "/v1/merchant/shops/shop-02/skus",
        api.merchant(1),
        {
            "name": "Dehumidifier 12 L",
            "category": "small_appliance",
            "list_price_fen": 99900,
            "stock": 4,
            "sku_id": "sku-new",
        },
    )
    assert ids(api.client.get("/v1/search?q=dehumid").json()) == ["sku-new"]


def test_among_equally_relevant_results_the_trusted_shop_ranks_first(api):
    # sku-0001 (shop-01) and sku-0002 (shop-02) are both TVs; bm25 puts sku-0002 a hair ahead
    plain = ids(api.client.get("/v1/search?q=tv").json())
    assert plain == ["sku-0002", "sku-0001"]
    full_trust(api, "shop-01", 0)
    api.clock.advance(timedelta(seconds=5))
    trusted = api.client.get("/v1/search?q=tv").json()
    assert ids(trusted) == ["sku-0001", "sku-0002"]
    assert trusted[0]["trust_score"] == 1.0 and trusted[1]["trust_score"] == 0.0


def test_trust_never_lifts_a_weak_match_above_a_strong_one(api):
    api.ok("/v1/merchant/shops", api.merchant(), {"name": "TV Corner", "shop_id": "tv-corner"})
    api.ok(
        "/v1/merchant/shops/tv-corner/skus",
        api.merchant(),
        {
            "name": "Wall bracket",
            "category": "small_appliance",
            "list_price_fen": 9900,
            "stock": 9,
            "sku_id": "bracket",
        },
    )
    full_trust(api, "tv-corner", 0)
    api.clock.advance(timedelta(seconds=5))
    hits = api.client.get("/v1/search?q=tv").json()
    assert ids(hits) == ["sku-0002", "sku-0001", "bracket"]  # matched on the shop name only
    assert hits[2]["trust_score"] == 1.0


def test_the_guaranteed_filter_keeps_only_shops_with_deposit_and_returns(api):
    full_trust(api, "shop-02", 1)
    api.join("shop-01", "returns")  # returns alone is not the guarantee
    api.clock.advance(timedelta(seconds=5))
    hits = api.client.get("/v1/search?q=tv&guaranteed=true").json()
    assert ids(hits) == ["sku-0002"]
    page = api.client.get("/search?q=tv&guaranteed=true").text
    assert "sku-0002" in page and "sku-0001" not in page


def test_the_product_page_shows_promo_price_stock_and_badges_with_their_promise(api):
    full_trust(api, "shop-01", 0)
    api.clock.advance(timedelta(seconds=5))
    page = api.client.get("/skus/sku-0001")
    assert page.status_code == 200
    text = page.text
    assert "¥2,124.15" in text and "¥2,499.00" in text  # promo price, list price
    assert "Only 5 left" in text
    for key in ("verified", "deposit", "returns_7d"):
        assert f'data-badge="{key}"' in text
    assert "without giving a reason" in text


def test_the_store_page_lists_the_shops_products_and_says_when_it_has_no_badges(api):
    page = api.client.get("/shops/shop-03").text
    assert "Gree Direct" in page
    assert "sku-0003" in page and "sku-0008" in page
    assert 'data-badges="none"' in page
    assert api.client.get("/shops/nope").status_code == 404


def test_badges_come_from_state_and_go_when_the_shop_leaves(api):
    full_trust(api, "shop-01", 0)
    assert api.platform.trust.badges_of("shop-01") == frozenset(
        {"verified", "deposit", "returns_7d"}
    )
    api.leave("shop-01", "returns")
    api.leave("shop-01", "deposit")
    assert api.badges("shop-01") == {"verified"}
    assert api.platform.trust.badges_of("shop-01") == frozenset({"verified"})


def test_names_are_escaped_on_the_pages(api):
    api.ok(
        "/v1/merchant/shops",
        api.merchant(),
        {"name": "<script>alert(1)</script>", "shop_id": "xss"},
    )
    page = api.client.get("/shops/xss").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
