"""One pickup code, a hundred clerks' taps at once over real HTTP on two server processes."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from tests.e2e.servers import RawConnection, Server

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.services.ports import Role
from megasale.sim.seed import SeedPlan, seed_platform

ATTEMPTS = 100


def test_a_hundred_concurrent_redemptions_over_two_servers_give_exactly_one_collection(tmp_path):
    db = tmp_path / "storm.db"
    platform = build_platform(Settings(db_path=db))
    seeded = seed_platform(platform, SeedPlan(buyers=2, skus=2, stock=10))
    clerk = platform.accounts.open(Role.CLERK, "Counter clerk", store_id="st-bj-01").token
    platform.store.close()
    buyer = {"Authorization": f"Bearer {seeded.buyers[0]['token']}"}
    servers = [Server(db), Server(db)]
    try:
        order = httpx.post(
            f"{servers[0].base}/v1/orders",
            json={
                "promotion_id": seeded.promotion_id,
                "lines": [{"sku_id": "sku-0001", "quantity": 1}],
                "fulfilment": {"kind": "pickup", "store_id": "st-bj-01"},
            },
            headers={**buyer, "Idempotency-Key": "storm"},
        ).json()
        deadline = time.monotonic() + 15
        while True:  # the servers' fulfilment worker issues the code right after placement
            r = httpx.get(f"{servers[1].base}/v1/orders/{order['order_id']}/pickup-code",
                          headers=buyer)  # fmt: skip
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert r.status_code == 200, r.text
        code = r.json()["code"]

        async def storm() -> list[tuple[int, bytes]]:
            conns = [RawConnection(servers[n % 2].port) for n in range(ATTEMPTS)]
            start = asyncio.Event()

            async def tap(conn: RawConnection) -> tuple[int, bytes]:
                await start.wait()
                return await conn.post(
                    "/v1/clerk/pickups", {"code": code}, {"Authorization": f"Bearer {clerk}"}
                )

            tasks = [asyncio.create_task(tap(c)) for c in conns]
            await asyncio.sleep(0.05)
            start.set()
            answers = await asyncio.gather(*tasks)
            for c in conns:
                await c.close()
            return answers

        answers = asyncio.run(storm())
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] + [409] * (ATTEMPTS - 1)
        kinds = {json.loads(body)["type"] for status, body in answers if status == 409}
        assert kinds == {"/problems/pickup-already-collected"}
        final = httpx.get(f"{servers[0].base}/v1/orders/{order['order_id']}", headers=buyer)
        assert final.json()["status"] == "collected"
    finally:
        for server in servers:
            server.stop()
