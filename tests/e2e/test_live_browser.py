"""The live screen in a real headless browser: orders placed over the API show within a second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.e2e import servers
from tests.e2e.conftest import screenshot
from tests.e2e.servers import Server

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.services.brushing_events import RingFlagged, ring_flagged
from megasale.sim.seed import Seeded, SeedPlan, seed_platform
from megasale.storage.sqlite_events import append_event
from megasale.storage.sqlite_store import SqliteStore


@pytest.fixture
def sale(tmp_path: Path, page) -> Iterator[tuple[Server, Seeded]]:  # type: ignore[no-untyped-def]
    db = tmp_path / "live.db"
    platform = build_platform(Settings(db_path=db))
    seeded = seed_platform(platform, SeedPlan(buyers=8, skus=6, stock=200, limit_per_buyer=20))
    platform.store.close()
    server = Server(db, "--no-detection")  # only the rings this test flags itself
    try:
        yield server, seeded
    finally:
        page.goto("about:blank")  # close the event stream first: the server drains on stop
        server.stop()


def place(client: httpx.Client, seeded: Seeded, n: int) -> dict:
    buyer = seeded.buyers[n % len(seeded.buyers)]
    where = (
        {"kind": "pickup", "store_id": "st-cd-01"}
        if n % 2
        else {"kind": "shipping", "address": "Shanghai, Pudong, 88 Century Avenue"}
    )
    r = client.post(
        "/v1/orders",
        json={
            "promotion_id": seeded.promotion_id,
            "lines": [{"sku_id": seeded.skus[n % len(seeded.skus)]["sku_id"], "quantity": 1}],
            "fulfilment": where,
        },
        headers={"Authorization": f"Bearer {buyer['token']}", "Idempotency-Key": f"b-{n}"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def server_db(server: Server) -> Path:
    return Path(server.proc.args[server.proc.args.index("--db") + 1])  # type: ignore[union-attr]


def shown_fen(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.get_attribute("#gmv", "data-fen") or 0)


def test_an_order_placed_through_the_api_shows_on_the_wall_screen_within_a_second(page, sale):
    server, seeded = sale
    page.goto(f"{server.base}/live#token={seeded.operator_token}")
    page.wait_for_function("document.body.dataset.version !== undefined", timeout=5_000)
    assert "token" not in page.url  # the token left the address bar for a cookie
    assert page.is_hidden("#signin")
    assert shown_fen(page) == 0

    with httpx.Client(base_url=server.base, timeout=5) as client:
        total = 0
        for n in range(3):
            before_text = page.inner_text("#gmv")
            order = place(client, seeded, n)
            total += order["amount_fen"]
            placed = time.monotonic()
            page.wait_for_function(
                f"Number(document.getElementById('gmv').dataset.fen) === {total}", timeout=1_000
            )
            took = time.monotonic() - placed
            assert took < 1.0
        page.wait_for_timeout(700)  # let the count-up animation land
        assert page.inner_text("#gmv") != before_text
        assert page.inner_text("#gmv") == f"¥{total // 100:,}"
        assert page.inner_text("#orders") == "3"
    # the risk team flags a ring: its order leaves "net of brushing" and an alert shows
    flagged = SqliteStore(server_db(server))
    try:
        event = RingFlagged("ring-7", "ip_rotation", 0.91, [order["order_id"]], ["b"], 1, 0, "now")
        with flagged.db.write() as conn:
            append_event(conn, *ring_flagged(event), datetime.now(UTC))
    finally:
        flagged.close()
    page.wait_for_selector("#alerts li.flagged", timeout=1_000)
    assert page.inner_text("#net-brushing") == f"¥{(total - order['amount_fen']) // 100:,}"
    assert page.locator("#cities li").count() == 2
    assert page.locator("#milestones li.next").count() == 1
    assert page.locator("#curve-chart canvas").count() >= 1
    screenshot(page, "live-screen")


def test_the_screen_without_a_session_asks_for_the_operator_token(page, sale):
    server, _ = sale
    page.goto(f"{server.base}/live")
    page.wait_for_selector("#signin:not([hidden])", timeout=5_000)
    screenshot(page, "live-screen-signed-out")


def test_the_screen_reconnects_by_itself_after_the_server_restarts(
    page, sale, tmp_path, monkeypatch
):
    server, seeded = sale
    page.goto(f"{server.base}/live#token={seeded.operator_token}")
    page.wait_for_function("document.body.dataset.version !== undefined", timeout=5_000)
    server.kill()  # as a crash: the stream drops mid-flight
    monkeypatch.setattr(servers, "free_port", lambda: server.port)  # come back on the same port
    restarted = Server(tmp_path / "live.db", "--no-detection")
    try:
        with httpx.Client(base_url=restarted.base, timeout=5) as client:
            total = place(client, seeded, 7)["amount_fen"]
        page.wait_for_function(
            f"Number(document.getElementById('gmv').dataset.fen) === {total}", timeout=10_000
        )
        assert page.get_attribute("#fresh-dot", "class") != "dot down"
    finally:
        restarted.stop()
