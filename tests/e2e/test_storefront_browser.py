"""The storefront in a real headless browser: badges appear when a shop joins, go when it leaves."""

from __future__ import annotations

import httpx
from tests.e2e.conftest import screenshot
from tests.e2e.servers import Server

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.sim.seed import SeedPlan, seed_platform

USCC = "91350100M000100Y43"
BADGES = ["verified", "deposit", "returns_7d"]


def seed(db):
    platform = build_platform(Settings(db_path=db))
    try:
        return seed_platform(platform, SeedPlan(buyers=2, skus=10, stock=7))
    finally:
        platform.store.close()


def shown(page) -> list[str]:
    return page.eval_on_selector_all(
        ".shop-head [data-badge]", "els => els.map(e => e.dataset.badge)"
    )


def test_badges_appear_for_a_shop_in_the_programs_and_go_when_it_leaves(tmp_path, page):
    db = tmp_path / "store.db"
    seeded = seed(db)
    server = Server(db)
    try:
        api = httpx.Client(base_url=server.base, timeout=10)
        m = {"Authorization": f"Bearer {seeded.merchants[0]['token']}"}
        op = {"Authorization": f"Bearer {seeded.operator_token}"}
        shop = "/v1/merchant/shops/shop-01"

        page.goto(f"{server.base}/shops/shop-01")
        assert shown(page) == []
        assert page.locator(".shop-head [data-badges=none]").is_visible()

        body = {"legal_name": "Haier Trading Co", "kind": "uscc", "number": USCC}
        assert api.post(f"{shop}/verification", json=body, headers=m).status_code == 201
        assert api.post("/v1/operator/verifications/shop-01/verify", headers=op).status_code == 200
        for program in ("deposit", "returns"):
            assert api.post(f"{shop}/programs/{program}/join", headers=m).status_code == 200
        r = api.post(f"{shop}/deposit/top-up", json={"fen": 1_000_000}, headers=m)
        assert r.json()["badge"] is True

        page.reload()
        assert shown(page) == BADGES
        assert page.get_by_text("7-day no-reason returns").first.is_visible()
        screenshot(page, "storefront-shop-with-badges")

        page.goto(f"{server.base}/search?q=tv")
        first = page.locator("article.card").first
        assert first.get_attribute("data-sku") == "sku-0001"  # the trusted shop's TV leads
        assert first.locator("[data-badge]").count() == 3
        screenshot(page, "storefront-search")

        page.goto(f"{server.base}/skus/sku-0001")
        assert page.locator(".product [data-badge]").count() == 3
        assert "¥2,124.15" in page.locator(".price").inner_text()
        screenshot(page, "storefront-product")

        for program in ("deposit", "returns"):
            assert api.post(f"{shop}/programs/{program}/leave", headers=m).status_code == 200
        assert api.post(f"{shop}/verification/withdraw", headers=m).status_code == 200
        page.goto(f"{server.base}/shops/shop-01")
        assert shown(page) == []
        screenshot(page, "storefront-shop-after-leaving")
    finally:
        server.stop()
    log = server.log.read_bytes()
    assert USCC.encode() not in log and USCC[:17].encode() not in log
