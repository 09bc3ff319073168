"""The operator's backlog page in a real browser over a real server."""

from __future__ import annotations

import time

import httpx
from tests.e2e.conftest import screenshot
from tests.e2e.servers import Server

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.sim.seed import SeedPlan, seed_platform


def test_the_backlog_page_shows_what_is_waiting_and_asks_for_a_token_without_one(tmp_path, page):
    db = tmp_path / "page.db"
    platform = build_platform(Settings(db_path=db))
    seeded = seed_platform(platform, SeedPlan(buyers=6, skus=2, stock=50, limit_per_buyer=10))
    platform.store.close()
    server = Server(db)
    try:
        for n, fulfilment in enumerate(
            [{"kind": "pickup", "store_id": "st-bj-01"}] * 3
            + [{"kind": "pickup", "store_id": "st-cd-01"}]
            + [{"kind": "shipping", "address": "88 Jianshe Road, Wuhan"}] * 2
        ):
            r = httpx.post(
                f"{server.base}/v1/orders",
                json={
                    "promotion_id": seeded.promotion_id,
                    "lines": [{"sku_id": "sku-0001", "quantity": 1}],
                    "fulfilment": fulfilment,
                },
                headers={
                    "Authorization": f"Bearer {seeded.buyers[n]['token']}",
                    "Idempotency-Key": f"page-{n}",
                },
            )
            assert r.status_code == 201, r.text
        operator = {"Authorization": f"Bearer {seeded.operator_token}"}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            backlog = httpx.get(f"{server.base}/v1/operator/backlog", headers=operator).json()
            if backlog["pickups_waiting_total"] == 4 and backlog["unshipped_total"] == 2:
                break
            time.sleep(0.1)
        assert (backlog["pickups_waiting_total"], backlog["unshipped_total"]) == (4, 2), backlog
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.base}/operator/backlog")
        page.wait_for_selector("#signin", state="visible")
        page.goto(f"{server.base}/operator/backlog#token={seeded.operator_token}")
        page.wait_for_selector("#main", state="visible")
        page.wait_for_selector("#pickup-stores tr")
        assert errors == []
        assert page.inner_text("#pickups-total").startswith("4"), page.inner_text("body")
        assert page.inner_text("#unshipped-total").startswith("2")
        stores = page.inner_text("#pickup-stores")
        assert "st-bj-01" in stores and "st-cd-01" in stores
        assert "token=" not in page.url  # the token leaves the address bar
        screenshot(page, "backlog")
    finally:
        server.stop()
