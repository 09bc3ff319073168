"""Many buyers, retries and duplicates over real HTTP, two server processes, one SQLite file."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections import defaultdict
from datetime import timedelta

import httpx
import pytest
from tests.e2e.servers import RawConnection, Server

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.domain.promotions import PromoItem, SubsidyRule
from megasale.sim.seed import SeedPlan, seed_platform

BUYERS = 240
HOT_STOCK = 100
BUDGET = 37_000  # 37 subsidised orders of 1,000 fen


def seed(db):
    platform = build_platform(Settings(db_path=db))
    seeded = seed_platform(platform, SeedPlan(buyers=BUYERS, skus=2, stock=HOT_STOCK))
    platform.store.change_stock("sku-0002", 100_000)
    operator = platform.accounts.authenticate(seeded.operator_token)
    now = platform.clock.now()
    for promotion_id, sku, rules, budget in [
        ("hot", "sku-0001", [], 0),
        ("subsidy", "sku-0002", [SubsidyRule(1_000, sku_id="sku-0002")], BUDGET),
    ]:
        platform.catalog.create_promotion(
            operator,
            name=promotion_id,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            budget_fen=budget,
            items=[PromoItem(sku, 10_000, 1)],
            subsidy_rules=rules,
            promotion_id=promotion_id,
        )
    platform.store.close()
    return seeded


async def attempt(conn, buyer, key, body, log):
    """Send until a final answer (anything but 409 in flight or a dropped connection)."""
    headers = {"Authorization": f"Bearer {buyer['token']}", "Idempotency-Key": key}
    for _ in range(200):
        try:
            status, content = await conn.post("/v1/orders", body, headers)
        except ConnectionError:
            await asyncio.sleep(0.01)
            continue
        if status == 409 and json.loads(content)["type"] == "/problems/idempotency-key-in-flight":
            log["in_flight"] += 1
            await asyncio.sleep(0.005)
            continue
        return status, content
    raise AssertionError("no final answer after 200 tries")


async def storm(ports, seeded, workers=100):
    rng = random.Random(7)
    answers: dict[tuple[str, str], list[tuple[int, bytes]]] = defaultdict(list)
    log: dict[str, int] = defaultdict(int)
    jobs = []
    for buyer in seeded.buyers:
        for promotion_id, sku in (("hot", "sku-0001"), ("subsidy", "sku-0002")):
            key = f"{promotion_id}-{buyer['buyer_id']}"
            body = {
                "promotion_id": promotion_id,
                "lines": [{"sku_id": sku, "quantity": 1}],
                "fulfilment": {"kind": "shipping", "address": "Leshan, Shizhong, Road 9"},
            }
            # the first send, a concurrent duplicate to the other server, a later retry
            copies = rng.choice([1, 2, 3])
            for copy in range(copies):
                jobs.append((buyer, key, body, (copy + rng.randrange(2)) % len(ports)))
    rng.shuffle(jobs)
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker():
        conns = [RawConnection(port) for port in ports]
        while not queue.empty():
            buyer, key, body, server = queue.get_nowait()
            status, content = await attempt(conns[server], buyer, key, body, log)
            answers[(buyer["buyer_id"], key)].append((status, content))
        for conn in conns:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(workers)))
    return answers, log


@pytest.mark.slow
def test_a_storm_of_buyers_with_retries_sells_exactly_the_stock_and_spends_at_most_the_budget(
    tmp_path,
):
    db = tmp_path / "storm.db"
    seeded = seed(db)
    # one server process writing its own orders, and two workers sharing an order writer
    servers = [Server(db), Server(db, "--workers", "2", "--consumers", "none")]
    try:
        answers, _ = asyncio.run(storm([s.port for s in servers], seeded))
    finally:
        for s in servers:
            s.stop()

    # one answer per key, whatever server and however often it was asked
    for key, got in answers.items():
        assert len(set(got)) == 1, (key, got)
    accepted = {k: got[0] for k, got in answers.items() if got[0][0] == 201}
    hot = [k for k in accepted if k[1].startswith("hot-")]
    subsidised = [k for k in accepted if k[1].startswith("subsidy-")]
    assert len(hot) == HOT_STOCK
    assert len(subsidised) == BUDGET // 1_000
    refusals = {
        httpx.Response(s, content=c).json()["type"]
        for got in answers.values()
        for s, c in got
        if s != 201
    }
    assert refusals <= {"/problems/sold-out", "/problems/subsidy-budget-exhausted"}

    with sqlite3.connect(db) as conn:
        assert (
            conn.execute("SELECT stock_left FROM skus WHERE sku_id='sku-0001'").fetchone()[0] == 0
        )
        sold = conn.execute(
            "SELECT count(*), count(DISTINCT buyer_id || idempotency_key) FROM orders "
            "WHERE promotion_id='hot'"
        ).fetchone()
        assert sold == (HOT_STOCK, HOT_STOCK)
        spent, left = conn.execute(
            "SELECT (SELECT sum(subsidy_fen) FROM orders WHERE promotion_id='subsidy'), "
            "budget_left_fen FROM promotions WHERE promotion_id='subsidy'"
        ).fetchone()
        assert spent == BUDGET and left == 0
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        assert events == len(accepted)

    # every acknowledged order is there after a restart, exactly as acknowledged
    restarted = Server(db)
    try:
        by_buyer = {b["buyer_id"]: b["token"] for b in seeded.buyers}
        for (buyer_id, _), (_, content) in accepted.items():
            order = httpx.Response(201, content=content).json()
            r = httpx.get(
                f"{restarted.base}/v1/orders/{order['order_id']}",
                headers={"Authorization": f"Bearer {by_buyer[buyer_id]}"},
            )
            assert r.status_code == 200
            assert r.json() == order
    finally:
        restarted.stop()


def test_the_client_ip_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(tmp_path):
    db = tmp_path / "ip.db"
    platform = build_platform(Settings(db_path=db))
    seeded = seed_platform(platform, SeedPlan(buyers=2, skus=1, stock=10))
    platform.store.close()
    trusting = Server(db, "--trusted-proxy", "127.0.0.1")
    plain = Server(db)
    body = {
        "promotion_id": seeded.promotion_id,
        "lines": [{"sku_id": "sku-0001", "quantity": 1}],
        "fulfilment": {"kind": "pickup", "store_id": "st-bj-01"},
    }
    try:
        ids = []
        for n, server in enumerate([trusting, plain]):
            r = httpx.post(
                f"{server.base}/v1/orders",
                json=body,
                headers={
                    "Authorization": f"Bearer {seeded.buyers[n]['token']}",
                    "Idempotency-Key": "ip",
                    "X-Forwarded-For": "198.51.100.1, 203.0.113.77",
                    "X-Device-Id": f"device-{n}",
                },
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["order_id"])
    finally:
        trusting.stop()
        plain.stop()
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT order_id, ip || ' ' || device_id FROM orders"))
    assert rows[ids[0]] == "203.0.113.77 device-0"  # the rightmost hop the proxy saw
    assert rows[ids[1]] == "127.0.0.1 device-1"  # the peer itself: the header proves nothing
