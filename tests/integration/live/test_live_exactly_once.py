"""Exactly once: whatever is replayed, redelivered or killed, the screen equals the SQL sums."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.servers import Server
from tests.integration.api.conftest import Api, make_api
from tests.integration.live.live_sale import (
    cancel,
    clear_ring,
    collect_and_return,
    flag_ring,
    place_orders,
    screen_figures,
    sql_figures,
)

from megasale.live.aggregator import SaleFigures
from megasale.live.setup import follow_sale
from megasale.sim.seed import SeedPlan

PLAN = SeedPlan(buyers=12, skus=6, stock=500, limit_per_buyer=50)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, PLAN)


def a_sale_with_corrections(api: Api) -> list[dict]:
    """Orders, two cancellations, a partial and a full refund, two rings (one cleared)."""
    orders = place_orders(api, 30)
    store = api.platform.store
    ids = [o["order_id"] for o in orders]
    cancel(store, ids[0])
    cancel(store, ids[5])
    collect_and_return(store, ids[1], refund_fen=orders[1]["amount_fen"] // 3)
    collect_and_return(store, ids[2], refund_fen=orders[2]["amount_fen"])
    flag_ring(store.db, "ring-1", [ids[3], ids[4], ids[5]])
    flag_ring(store.db, "ring-2", [ids[4], ids[6]])  # ids[4] named twice
    flag_ring(store.db, "ring-3", [ids[7]])
    clear_ring(store.db, "ring-3")
    return orders


def test_the_screen_equals_a_straight_sql_sum_over_the_orders_table(api, tmp_path):
    a_sale_with_corrections(api)
    runner = follow_sale(api.platform.store, api.platform.clock)
    runner.catch_up()
    shown = screen_figures(_as_dict(runner))
    expected = sql_figures(tmp_path / "api.db")
    assert shown == expected
    assert expected["net"] < expected["gross"]
    assert expected["net_of_brushing"] < expected["net"]


def _as_dict(runner) -> dict:  # type: ignore[no-untyped-def]
    import msgspec

    return msgspec.json.decode(runner.snapshot_json())


def test_replaying_the_log_twice_and_redelivering_events_counts_nothing_twice(api, tmp_path):
    a_sale_with_corrections(api)
    store = api.platform.store
    events = store.read_events(0, 10_000)
    once = SaleFigures()
    once.fold_all(events)
    twice = SaleFigures()
    twice.fold_all(events)
    twice.fold_all(events)
    for event in events[::3]:
        twice.fold(event)
    for name in ("gross_fen", "net_fen", "net_of_brushing_fen", "orders", "subsidy_spent_fen"):
        assert getattr(twice, name) == getattr(once, name), name
    assert twice.buyers == once.buyers
    assert twice.duplicates_ignored == len(events) + len(events[::3])
    assert once.gross_fen == sql_figures(tmp_path / "api.db")["gross"]


def test_a_runner_stopped_mid_log_and_a_new_one_agree_with_the_sql_sums(api, tmp_path):
    a_sale_with_corrections(api)
    store = api.platform.store
    first = follow_sale(store, api.platform.clock)
    first.batch = 7
    first.figures.fold_all(store.read_events(0, 20))  # stopped here, as by a crash
    first.look_at_log()
    assert first.freshness().behind_events == store.last_seq() - 20 > 0
    assert first.freshness().lag_s >= 0
    second = follow_sale(store, api.platform.clock)
    second.batch = 7
    second.catch_up()
    assert second.freshness().behind_events == 0
    assert screen_figures(_as_dict(second)) == sql_figures(tmp_path / "api.db")


def test_the_running_server_follows_the_log_as_orders_come_in(api, tmp_path):
    place_orders(api, 5)
    deadline = time.monotonic() + 5
    op = api.auth(api.seeded.operator_token)
    while time.monotonic() < deadline:
        shown = api.client.get("/v1/operator/live", headers=op).json()
        if shown["orders"] == 5:
            break
        time.sleep(0.05)
    assert screen_figures(shown) == sql_figures(tmp_path / "api.db")


@pytest.mark.slow
def test_a_server_killed_mid_stream_restarts_with_every_order_counted_once(tmp_path):
    """kill -9 while orders stream in, restart on the same file: the screen equals SQL."""
    from megasale.bootstrap import build_platform
    from megasale.config import Settings
    from megasale.sim.seed import seed_platform

    db = tmp_path / "kill.db"
    platform = build_platform(Settings(db_path=db))
    seeded = seed_platform(platform, PLAN)
    platform.store.close()
    op = {"Authorization": f"Bearer {seeded.operator_token}"}

    def order(client: httpx.Client, n: int) -> int:
        buyer = seeded.buyers[n % len(seeded.buyers)]
        body = {
            "promotion_id": seeded.promotion_id,
            "lines": [{"sku_id": seeded.skus[n % 6]["sku_id"], "quantity": 1}],
            "fulfilment": {"kind": "pickup", "store_id": "st-bj-01"},
        }
        headers = {"Authorization": f"Bearer {buyer['token']}", "Idempotency-Key": f"k-{n}"}
        try:
            return client.post("/v1/orders", json=body, headers=headers, timeout=5).status_code
        except httpx.TransportError:
            return 0

    server = Server(db)
    try:
        with httpx.Client(base_url=server.base) as client:
            for n in range(40):
                order(client, n)
            # the screen is mid-stream: orders keep coming while the process dies
            for n in range(40, 60):
                order(client, n)
                if n == 50:
                    server.kill()
    finally:
        server.stop()
    server = Server(db)
    try:
        first = settled(server.base, op, db)
        assert first["orders"] >= 40
        # a redelivery after the restart (the same client retrying its keys) adds nothing
        with httpx.Client(base_url=server.base) as client:
            for n in range(45):
                order(client, n)
        assert settled(server.base, op, db)["orders"] == first["orders"]
    finally:
        server.stop()


def settled(base: str, headers: dict[str, str], db: Path) -> dict[str, int]:
    """The screen's figures once it has folded everything and they equal the SQL sums.

    Other consumers (the streaming detector) may append events at any time, so both sides are
    read again until they agree or 10 s pass; then they must be equal.
    """
    deadline = time.monotonic() + 10
    while True:
        expected = sql_figures(db)
        shown = httpx.get(f"{base}/v1/operator/live", headers=headers).json()
        caught_up = shown["freshness"]["behind_events"] == 0
        if (caught_up and screen_figures(shown) == expected) or time.monotonic() > deadline:
            assert screen_figures(shown) == expected
            return expected
        time.sleep(0.1)
