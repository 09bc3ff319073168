"""Flagged rings hold subsidies until an analyst confirms (forfeit) or clears (release) them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.integration.api.conftest import make_api

from megasale.domain.orders import OrderStatus
from megasale.services.brushing_events import decode_ring_flagged, decode_ring_ruling
from megasale.services.ports import Role
from megasale.sim.seed import SeedPlan


@dataclass(frozen=True)
class Flag:
    ring_id: str
    kind: str
    score: float
    order_ids: tuple[str, ...]
    evidence: bytes = b'{"shared_payment": "card-9", "buyers": 3}'


@pytest.fixture
def api(tmp_path: Path):
    plan = SeedPlan(buyers=6, skus=2, stock=50, subsidy_fen=1_000, budget_fen=100_000)
    yield from make_api(tmp_path, plan)


def place(api, n, buyer):
    r = api.place(api.seeded.buyers[buyer]["token"], f"k{n}", api.order_body())
    assert r.status_code == 201, r.text
    return r.json()


def deliver(api, order_id):
    now = api.platform.clock.now()
    api.platform.store.change_order_status(order_id, OrderStatus.SHIPPED, now)
    api.platform.store.change_order_status(order_id, OrderStatus.DELIVERED, now)


def analyst(api):
    token = api.platform.accounts.open(Role.ANALYST, "Risk analyst").token
    return {"Authorization": f"Bearer {token}"}


def budget_left(api):
    return api.platform.store.promotion_figures(api.seeded.promotion_id).budget_left_fen


def test_a_flagged_ring_holds_its_subsidy_and_shows_its_evidence(api):
    orders = [place(api, n, n % 3) for n in range(3)]
    ring = api.platform.risk.flag(
        Flag("R-1", "ip_rotator", 0.97, tuple(o["order_id"] for o in orders))
    )
    assert ring.held_fen == 3_000 and ring.gmv_fen == sum(o["amount_fen"] for o in orders)
    listed = api.client.get("/v1/risk/rings?status=flagged", headers=analyst(api)).json()
    assert [(r["ring_id"], r["orders"], r["held_fen"]) for r in listed] == [("R-1", 3, 3_000)]
    detail = api.client.get("/v1/risk/rings/R-1", headers=analyst(api)).json()
    assert detail["evidence"] == {"shared_payment": "card-9", "buyers": 3}
    assert sorted(detail["order_ids"]) == sorted(o["order_id"] for o in orders)
    flagged = [
        e for e in api.platform.store.read_events(0, 100) if e.kind == "brushing.ring_flagged"
    ]
    assert decode_ring_flagged(flagged[0].payload).subsidy_fen == 3_000


def test_held_subsidy_is_not_paid_out_until_the_ring_is_cleared(api):
    orders = [place(api, n, n) for n in range(4)]
    for o in orders:
        deliver(api, o["order_id"])
    api.platform.risk.flag(
        Flag("R-2", "lockstep", 0.9, (orders[0]["order_id"], orders[1]["order_id"]))
    )
    operator = {"Authorization": f"Bearer {api.seeded.operator_token}"}
    paid = api.client.post("/v1/operator/subsidies/payout", headers=operator).json()
    assert paid == {"orders": 2, "paid_fen": 2_000}
    figures = api.client.get("/v1/risk/subsidies", headers=analyst(api)).json()
    assert figures == {"paid_fen": 2_000, "held_fen": 2_000, "forfeited_fen": 0, "owed_fen": 0}
    cleared = api.client.post("/v1/risk/rings/R-2/clear", headers=analyst(api)).json()
    assert cleared["status"] == "cleared" and cleared["held_fen"] == 0
    assert api.client.post("/v1/operator/subsidies/payout", headers=operator).json() == {
        "orders": 2,
        "paid_fen": 2_000,
    }
    # paying out again pays nothing twice
    assert api.client.post("/v1/operator/subsidies/payout", headers=operator).json()["orders"] == 0


def test_a_confirmed_ring_forfeits_its_subsidy_back_to_the_budget(api):
    orders = [place(api, n, n) for n in range(3)]
    before = budget_left(api)
    api.platform.risk.flag(Flag("R-3", "ip_farm", 0.99, tuple(o["order_id"] for o in orders)))
    confirmed = api.client.post("/v1/risk/rings/R-3/confirm", headers=analyst(api)).json()
    assert confirmed["status"] == "confirmed" and confirmed["ruled_by"]
    assert budget_left(api) == before + 3_000
    for o in orders:
        deliver(api, o["order_id"])
    operator = {"Authorization": f"Bearer {api.seeded.operator_token}"}
    assert api.client.post("/v1/operator/subsidies/payout", headers=operator).json()["orders"] == 0
    figures = api.client.get("/v1/risk/subsidies", headers=analyst(api)).json()
    assert figures["forfeited_fen"] == 3_000 and figures["paid_fen"] == 0
    rulings = [
        e for e in api.platform.store.read_events(0, 100) if e.kind == "brushing.ring_confirmed"
    ]
    assert decode_ring_ruling(rulings[0].payload).ring_id == "R-3"


def test_a_ring_is_ruled_on_once(api):
    o = place(api, 1, 0)
    api.platform.risk.flag(Flag("R-4", "ip_farm", 0.9, (o["order_id"],)))
    assert api.client.post("/v1/risk/rings/R-4/clear", headers=analyst(api)).status_code == 200
    again = api.client.post("/v1/risk/rings/R-4/confirm", headers=analyst(api))
    assert again.status_code == 409
    assert "already cleared" in again.json()["detail"]


def test_flagging_a_ring_again_adds_only_its_new_orders_and_holds_each_order_once(api):
    a, b, c = (place(api, n, n) for n in range(3))
    api.platform.risk.flag(Flag("R-5", "ip_rotator", 0.8, (a["order_id"], b["order_id"])))
    ring = api.platform.risk.flag(Flag("R-5", "ip_rotator", 0.9, (b["order_id"], c["order_id"])))
    assert len(ring.order_ids) == 3 and ring.held_fen == 3_000 and ring.score == 0.9
    other = api.platform.risk.flag(Flag("R-6", "lockstep", 0.7, (a["order_id"],)))
    assert other.held_fen == 0  # already held by R-5
    flags = [
        decode_ring_flagged(e.payload)
        for e in api.platform.store.read_events(0, 100)
        if e.kind == "brushing.ring_flagged"
    ]
    assert [len(f.order_ids) for f in flags] == [2, 1, 1]


def test_a_cancelled_order_is_never_paid_nor_held(api):
    o = place(api, 1, 0)
    api.platform.store.change_order_status(
        o["order_id"], OrderStatus.CANCELLED, api.platform.clock.now(), release=True
    )
    ring = api.platform.risk.flag(Flag("R-7", "ip_farm", 0.9, (o["order_id"],)))
    assert ring.held_fen == 0


def test_a_buyer_or_merchant_cannot_read_or_rule_on_rings(api):
    o = place(api, 1, 0)
    api.platform.risk.flag(Flag("R-8", "ip_farm", 0.9, (o["order_id"],)))
    for token in (api.seeded.buyers[0]["token"], api.seeded.merchants[0]["token"]):
        h = {"Authorization": f"Bearer {token}"}
        assert api.client.get("/v1/risk/rings", headers=h).status_code == 403
        assert api.client.post("/v1/risk/rings/R-8/confirm", headers=h).status_code == 403
    assert (
        json.loads(api.client.get("/v1/risk/rings/R-8", headers=analyst(api)).content)["status"]
        == "flagged"
    )
