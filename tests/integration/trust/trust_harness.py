"""The trust program's test harness: a real app over a fresh SQLite file and a clock tests move."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.domain.orders import OrderStatus
from megasale.services.clock import FakeClock
from megasale.services.platform import Platform
from megasale.sim.seed import Seeded, SeedPlan, seed_platform
from megasale.web.app import create_app

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
GOOD_USCC = "91350100M000100Y43"
GOOD_ID = "11010519491231002X"


@dataclass
class TrustApi:
    client: TestClient  # type: ignore[type-arg]
    platform: Platform
    seeded: Seeded
    clock: FakeClock
    db_path: Path

    def h(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def operator(self) -> dict[str, str]:
        return self.h(self.seeded.operator_token)

    def merchant(self, n: int = 0) -> dict[str, str]:
        """Merchant n owns shop-0{n+1}; seeded SKUs go round the shops (sku-0001 -> shop-01)."""
        return self.h(self.seeded.merchants[n]["token"])

    def buyer(self, n: int = 0) -> dict[str, str]:
        return self.h(self.seeded.buyers[n]["token"])

    def buyer_id(self, n: int = 0) -> str:
        return self.seeded.buyers[n]["buyer_id"]

    def post(self, path: str, headers: dict[str, str], body: Any = None) -> Any:
        return self.client.post(path, json=body if body is not None else {}, headers=headers)

    def ok(self, path: str, headers: dict[str, str], body: Any = None) -> Any:
        r = self.post(path, headers, body)
        assert r.status_code < 300, r.text
        return r.json()

    def join(self, shop: str, program: str, n: int = 0) -> None:
        self.ok(f"/v1/merchant/shops/{shop}/programs/{program}/join", self.merchant(n))

    def leave(self, shop: str, program: str, n: int = 0) -> None:
        self.ok(f"/v1/merchant/shops/{shop}/programs/{program}/leave", self.merchant(n))

    def order(
        self, buyer: int = 0, sku: str = "sku-0001", qty: int = 1, key: str | None = None
    ) -> Any:
        r = self.client.post(
            "/v1/orders",
            json={
                "promotion_id": self.seeded.promotion_id,
                "lines": [{"sku_id": sku, "quantity": qty}],
                "fulfilment": {"kind": "pickup", "store_id": "st-bj-01"},
            },
            headers={**self.buyer(buyer), "Idempotency-Key": key or uuid.uuid4().hex},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def receive(self, order_id: str, *, delivered: bool = False) -> datetime:
        """Move an order to collected (or delivered) now, the way fulfilment does."""
        store, at = self.platform.store, self.clock.now()
        if delivered:
            store.change_order_status(order_id, OrderStatus.SHIPPED, at)
            store.change_order_status(order_id, OrderStatus.DELIVERED, at)
        else:
            store.change_order_status(order_id, OrderStatus.READY_FOR_PICKUP, at)
            store.change_order_status(order_id, OrderStatus.COLLECTED, at)
        return at

    def badges(self, shop: str) -> set[str]:
        self.clock.advance(timedelta(microseconds=1))
        r = self.client.get(f"/v1/shops/{shop}/trust")
        assert r.status_code == 200, r.text
        return {b["badge"] for b in r.json()["badges"]}


def make_trust_api(tmp_path: Path, plan: SeedPlan) -> Iterator[TrustApi]:
    clock = FakeClock(T0)
    settings = Settings(db_path=tmp_path / "trust.db")
    platform = build_platform(settings, clock=clock)
    seeded = seed_platform(platform, plan)
    # the seeded promotion opens a minute before T0 and lasts a day: widen it for long tests
    app = create_app(platform, settings)
    with TestClient(app) as client:
        yield TrustApi(client, platform, seeded, clock, settings.db_path)
    platform.store.close()
