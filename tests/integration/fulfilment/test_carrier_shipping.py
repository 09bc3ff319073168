"""Shipping: a shipment per order, carrier reports through a signed webhook, hand-over files."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from megasale.services.carrier_webhook import sign

ADDRESS = "Room 1203, 88 Jianshe Road, Wuhan"


def shipped_order(desk, n: int = 0) -> tuple[dict[str, object], dict[str, object]]:
    order = desk.place(n, address=ADDRESS)
    desk.dispatch()
    r = desk.client.get(f"/v1/orders/{order['order_id']}/shipment", headers=desk.buyer(n))
    assert r.status_code == 200, r.text
    return order, r.json()


def report(desk, shipment, status, event_id, *, at=None, signed_at=None, secret=None, raw=None):
    body = (
        raw
        or json.dumps(
            {
                "event_id": event_id,
                "tracking_number": shipment["tracking_number"],
                "status": status,
                "at": (at or desk.clock.now()).isoformat(),
            }
        ).encode()
    )
    carrier = shipment["carrier_id"]
    secret = secret or desk.platform.fulfilment.carrier_secret(carrier)
    stamp = int((signed_at or desk.clock.now()).timestamp())
    headers = {
        "X-Megasale-Timestamp": str(stamp),
        "X-Megasale-Signature": sign(secret, stamp, body),
        "Content-Type": "application/json",
    }
    return desk.client.post(f"/v1/carriers/{carrier}/events", content=body, headers=headers)


def test_a_shipping_order_gets_a_carrier_and_tracking_number_awaiting_hand_over(desk):
    order, shipment = shipped_order(desk)
    assert shipment["status"] == "awaiting_handover"
    assert shipment["carrier_id"] in {"sf", "zto", "yto", "jd"}
    assert desk.order(order["order_id"])["status"] == "placed"


def test_carrier_reports_move_the_order_and_delivery_starts_the_return_window(desk):
    order, shipment = shipped_order(desk)
    assert report(desk, shipment, "picked_up", "e1").status_code == 200
    assert desk.order(order["order_id"])["status"] == "shipped"
    desk.clock.advance(timedelta(hours=5))
    assert report(desk, shipment, "in_transit", "e2").json()["status"] == "in_transit"
    desk.clock.advance(timedelta(hours=20))
    delivered_at = desk.clock.now() - timedelta(minutes=3)
    r = report(desk, shipment, "delivered", "e3", at=delivered_at)
    assert r.status_code == 200
    assert r.json()["delivered_at"].startswith(delivered_at.isoformat()[:19])
    got = desk.platform.store.get_order(order["order_id"])
    assert got.status == "delivered"
    assert got.received_at == delivered_at


def test_a_replayed_call_is_refused_and_changes_nothing(desk):
    order, shipment = shipped_order(desk)
    assert report(desk, shipment, "picked_up", "e1").status_code == 200
    again = report(desk, shipment, "picked_up", "e1")
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/replayed-webhook"
    same_id_other_status = report(desk, shipment, "delivered", "e1")
    assert same_id_other_status.status_code == 409
    assert desk.order(order["order_id"])["status"] == "shipped"


def test_unsigned_wrongly_signed_and_stale_calls_are_refused(desk):
    order, shipment = shipped_order(desk)
    body = json.dumps({"event_id": "e1", "tracking_number": shipment["tracking_number"],
                       "status": "picked_up", "at": desk.clock.now().isoformat()}).encode()  # fmt: skip
    unsigned = desk.client.post(f"/v1/carriers/{shipment['carrier_id']}/events", content=body)
    assert unsigned.status_code == 401
    assert unsigned.json()["type"] == "/problems/webhook-refused"
    other = "0" * 64
    assert report(desk, shipment, "picked_up", "e2", secret=other).status_code == 401
    stale = desk.clock.now() - timedelta(minutes=10)
    assert report(desk, shipment, "picked_up", "e3", signed_at=stale).status_code == 401
    assert desk.order(order["order_id"])["status"] == "placed"
    # none of the refused calls used up its event id
    assert report(desk, shipment, "picked_up", "e3").status_code == 200


def test_a_report_that_makes_no_sense_is_refused_with_a_clear_error(desk):
    order, shipment = shipped_order(desk)
    r = report(desk, shipment, "delivered", "e1")
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/invalid-shipment-transition"
    assert "awaiting_handover cannot be reported delivered" in r.json()["detail"]
    assert report(desk, shipment, "picked_up", "e2").status_code == 200
    assert report(desk, shipment, "delivered", "e3").status_code == 200
    late = report(desk, shipment, "in_transit", "e4")
    assert late.status_code == 409
    assert "final" in late.json()["detail"]
    assert desk.order(order["order_id"])["status"] == "delivered"


def test_a_failed_delivery_cancels_the_order_with_stock_and_subsidy_back(desk):
    stock, budget = desk.stock(), desk.budget_left()
    order, shipment = shipped_order(desk)
    assert report(desk, shipment, "picked_up", "e1").status_code == 200
    assert report(desk, shipment, "failed", "e2").status_code == 200
    assert desk.order(order["order_id"])["status"] == "cancelled"
    assert (desk.stock(), desk.budget_left()) == (stock, budget)


def test_an_unknown_parcel_or_carrier_is_404(desk):
    _, shipment = shipped_order(desk)
    wrong = dict(shipment, tracking_number="SF000000000000")
    assert report(desk, wrong, "picked_up", "e1").status_code == 404
    r = desk.client.post("/v1/carriers/pigeon/events", content=b"{}")
    assert r.status_code == 404


def test_the_hand_over_file_lists_each_carriers_parcels_awaiting_pickup_oldest_first(desk):
    shipments = []
    for n in range(6):
        shipments.append(shipped_order(desk, n % 6)[1])
        desk.clock.advance(timedelta(minutes=1))
    picked = shipments[0]
    assert report(desk, picked, "picked_up", "e1").status_code == 200
    listed: dict[str, list[str]] = {}
    for carrier in ("sf", "zto", "yto", "jd"):
        r = desk.client.get(f"/v1/operator/carriers/{carrier}/handover.csv", headers=desk.operator)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert all(row["ship_address"] == ADDRESS for row in rows)
        assert [row["placed_at"] for row in rows] == sorted(row["placed_at"] for row in rows)
        listed[carrier] = [row["order_id"] for row in rows]
    everyone = sorted(o for ids in listed.values() for o in ids)
    assert everyone == sorted(s["order_id"] for s in shipments[1:])
    for s in shipments[1:]:
        assert s["order_id"] in listed[s["carrier_id"]]
