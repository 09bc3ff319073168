"""The backlog views and the partner-store import, through the operator's routes."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.fulfilment.test_carrier_shipping import ADDRESS, report

from megasale.services.ports import Role
from megasale.sim.partner_network import generate_network, network_csv


def test_the_backlog_counts_unshipped_orders_by_age_and_pickups_per_store_oldest_first(desk):
    old_pickup = desk.place(store="st-sh-01")
    desk.clock.advance(timedelta(hours=20))  # the promotion runs a day: order within it
    desk.place(store="st-bj-01")
    desk.place(n=1, store="st-sh-01")
    for _ in range(2):
        desk.place(address=ADDRESS)
    desk.clock.advance(timedelta(hours=2))
    desk.place(n=2, address=ADDRESS)
    desk.dispatch()
    r = desk.client.get("/v1/operator/backlog?oldest=5", headers=desk.operator)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["unshipped_total"] == 3
    assert {a["label"]: a["count"] for a in b["unshipped_by_age"]} == {
        "under 1 h": 1,
        "1-6 h": 2,
        "6-24 h": 0,
        "1-3 days": 0,
        "over 3 days": 0,
    }
    assert b["pickups_waiting_total"] == 3
    queues = [(q["store_id"], q["waiting"]) for q in b["pickups_by_store"]]
    assert queues == [("st-sh-01", 2), ("st-bj-01", 1)]  # the store with the oldest first
    ages = [w["since"] for w in b["unshipped_oldest"]]
    assert ages == sorted(ages)
    assert old_pickup["order_id"] not in [w["order_id"] for w in b["unshipped_oldest"]]


def test_shipments_stuck_in_a_state_too_long_are_listed_per_state(desk):
    orders = [desk.place(n, address=ADDRESS) for n in range(3)]
    desk.dispatch()
    shipments = [
        desk.client.get(f"/v1/orders/{o['order_id']}/shipment", headers=desk.buyer(n)).json()
        for n, o in enumerate(orders)
    ]
    assert report(desk, shipments[0], "picked_up", "a1").status_code == 200
    assert report(desk, shipments[1], "picked_up", "b1").status_code == 200
    assert report(desk, shipments[1], "in_transit", "b2").status_code == 200
    desk.clock.advance(timedelta(hours=25))
    b = desk.client.get("/v1/operator/backlog", headers=desk.operator).json()
    stuck = {s["status"]: s for s in b["stuck"]}
    assert stuck["awaiting_handover"]["count"] == 1
    assert stuck["picked_up"]["count"] == 1
    assert stuck["picked_up"]["oldest"][0]["order_id"] == orders[0]["order_id"]
    assert stuck["in_transit"]["count"] == 0  # in transit is stuck only after 72 h
    desk.clock.advance(timedelta(hours=48))
    b = desk.client.get("/v1/operator/backlog", headers=desk.operator).json()
    assert {s["status"]: s["count"] for s in b["stuck"]}["in_transit"] == 1


def test_the_backlog_page_is_served(desk):
    r = desk.client.get("/operator/backlog")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "/v1/operator/backlog" in r.text


def test_the_operator_imports_the_seeded_network_and_a_clerk_can_belong_to_a_new_store(desk):
    records = generate_network()[:400]
    text = network_csv(records)
    r = desk.client.post(
        "/v1/operator/stores/import",
        content=text.encode(),
        headers={**desk.operator, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 400}
    small = records[-1].store.store_id
    clerk = desk.platform.accounts.open(Role.CLERK, "New clerk", store_id=small)
    assert clerk.account.store_id == small
    order = desk.place(store=small)
    view = desk.client.get(
        f"/v1/orders/{desk.code_of(order['order_id']) and order['order_id']}/pickup-code",
        headers=desk.buyer(),
    ).json()
    assert view["address"] == records[-1].address
    assert view["opening_hours"] == records[-1].opening_hours


def test_a_bad_store_file_names_every_bad_line_and_imports_nothing(desk):
    text = (
        "store_id,name,chain,city,city_tier,address,opening_hours\n"
        "st-new-1,Fine,Suning,Wuhan,2,1 Road,09:00-21:00\n"
        "st-new-2,Bad,Suning,Wuhan,9,1 Road,09:00-21:00\n"
        "st-new-3,Bad,Suning,Wuhan,2,1 Road,nine to five\n"
    )
    r = desk.client.post(
        "/v1/operator/stores/import",
        content=text.encode(),
        headers={**desk.operator, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "line 3" in detail and "line 4" in detail and "line 2" not in detail
    assert desk.client.post(
        "/v1/orders",
        json={"promotion_id": "promo-1", "lines": [{"sku_id": "sku-0001", "quantity": 1}],
              "fulfilment": {"kind": "pickup", "store_id": "st-new-1"}},
        headers={**desk.buyer(), "Idempotency-Key": "x"},
    ).status_code == 404  # fmt: skip
