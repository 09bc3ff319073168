from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.testing import TestClient

from megasale.bootstrap import build_platform
from megasale.config import Settings, parse_networks
from megasale.services.platform import Platform
from megasale.sim.seed import Seeded, SeedPlan, seed_platform
from megasale.web.app import create_app


@dataclass
class Api:
    client: TestClient  # type: ignore[type-arg]
    platform: Platform
    seeded: Seeded

    def auth(self, token: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **headers}

    @property
    def buyer(self) -> dict[str, str]:
        return self.seeded.buyers[0]

    def order_body(self, sku: str = "sku-0001", qty: int = 1, **extra: object) -> dict[str, object]:
        return {
            "promotion_id": self.seeded.promotion_id,
            "lines": [{"sku_id": sku, "quantity": qty}],
            "fulfilment": {"kind": "pickup", "store_id": "st-bj-01"},
            **extra,
        }

    def place(self, token: str, key: str, body: dict[str, object], **headers: str):  # type: ignore[no-untyped-def]
        return self.client.post(
            "/v1/orders", json=body, headers=self.auth(token, **{"Idempotency-Key": key}, **headers)
        )


def make_api(tmp_path: Path, plan: SeedPlan, trusted: list[str] | None = None) -> Iterator[Api]:
    settings = Settings(
        db_path=tmp_path / "api.db",
        trusted_proxies=parse_networks(trusted or []),
        max_body_bytes=8192,
    )
    platform = build_platform(settings)
    seeded = seed_platform(platform, plan)
    app = create_app(platform, settings)
    with TestClient(app) as client:
        yield Api(client, platform, seeded)
    platform.store.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, SeedPlan(buyers=4, skus=6, stock=5, limit_per_buyer=2))
