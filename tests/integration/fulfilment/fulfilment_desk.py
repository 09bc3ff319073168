"""A platform over a fresh database with a clock the tests move, served by the real app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient

from megasale.bootstrap import build_platform
from megasale.config import Settings
from megasale.domain.pickup_codes import check_character
from megasale.services.clock import FakeClock
from megasale.services.platform import Platform
from megasale.services.ports import Role
from megasale.sim.seed import Seeded, SeedPlan, seed_platform
from megasale.web.app import create_app


@dataclass
class Desk:
    """The app, the platform behind it, the seeded catalog and a clerk at two stores."""

    client: TestClient  # type: ignore[type-arg]
    platform: Platform
    seeded: Seeded
    clock: FakeClock
    clerks: dict[str, str]  # store id -> clerk token
    placed: int = 0

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def operator(self) -> dict[str, str]:
        return self.auth(self.seeded.operator_token)

    def buyer(self, n: int = 0) -> dict[str, str]:
        return self.auth(self.seeded.buyers[n]["token"])

    def place(
        self,
        n: int = 0,
        *,
        store: str | None = "st-bj-01",
        address: str | None = None,
        lines: list[tuple[str, int]] | None = None,
        payment_id: str | None = None,
        key: str | None = None,
    ) -> dict[str, object]:
        fulfilment = (
            {"kind": "pickup", "store_id": store}
            if address is None
            else {"kind": "shipping", "address": address}
        )
        body: dict[str, object] = {
            "promotion_id": self.seeded.promotion_id,
            "lines": [{"sku_id": s, "quantity": q} for s, q in (lines or [("sku-0001", 1)])],
            "fulfilment": fulfilment,
        }
        if payment_id is not None:
            body["payment_id"] = payment_id
        self.placed += 1
        headers = {**self.buyer(n), "Idempotency-Key": key or f"k-{self.placed}"}
        r = self.client.post("/v1/orders", json=body, headers=headers)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def dispatch(self) -> None:
        assert self.platform.fulfilment is not None
        self.platform.fulfilment.dispatch_all()

    def code_of(self, order_id: str, n: int = 0) -> str:
        self.dispatch()
        r = self.client.get(f"/v1/orders/{order_id}/pickup-code", headers=self.buyer(n))
        assert r.status_code == 200, r.text
        return r.json()["code"]  # type: ignore[no-any-return]

    def redeem(self, code: str, store: str = "st-bj-01"):  # type: ignore[no-untyped-def]
        return self.client.post(
            "/v1/clerk/pickups", json={"code": code}, headers=self.auth(self.clerks[store])
        )

    def order(self, order_id: str, n: int = 0) -> dict[str, object]:
        r = self.client.get(f"/v1/orders/{order_id}", headers=self.buyer(n))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def stock(self, sku: str = "sku-0001") -> int:
        return int(self.client.get(f"/v1/skus/{sku}").json()["stock_left"])

    def budget_left(self) -> int:
        r = self.client.get(
            f"/v1/operator/promotions/{self.seeded.promotion_id}", headers=self.operator
        )
        return int(r.json()["budget_left_fen"])


def valid_unknown_code(n: int = 0) -> str:
    """A well-formed code (its check character right) that no order was given."""
    body = f"{n:010d}"
    return body + check_character(body)


def make_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.setenv("MEGASALE_PICKUP_WRONG_PER_CLERK", "3")
    monkeypatch.setenv("MEGASALE_PICKUP_WRONG_PER_STORE", "5")
    monkeypatch.setenv("MEGASALE_PICKUP_TTL_HOURS", "48")
    monkeypatch.setenv("MEGASALE_FULFILMENT_INTERVAL_S", "3600")  # the tests dispatch by hand
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    settings = Settings(db_path=tmp_path / "fulfil.db")
    platform = build_platform(settings, clock=clock)
    seeded = seed_platform(platform, SeedPlan(buyers=6, skus=6, stock=50, limit_per_buyer=20))
    clerks = {
        store: platform.accounts.open(Role.CLERK, f"Clerk {store}", store_id=store).token
        for store in ("st-bj-01", "st-sh-01")
    }
    with TestClient(create_app(platform, settings)) as client:
        yield Desk(client, platform, seeded, clock, clerks)
    platform.store.close()
