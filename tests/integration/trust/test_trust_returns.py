"""Returns: the 7-day no-reason guarantee, merchants' decisions, refunds, through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from megasale.domain.orders import OrderStatus

WEEK = timedelta(days=7)


def ask(api, order_id, reason=None, buyer=0):
    return api.post(f"/v1/orders/{order_id}/returns", api.buyer(buyer), {"reason": reason})


def figures(api):
    return api.client.get("/v1/operator/promotions/promo-1", headers=api.operator).json()


def test_a_guaranteed_return_is_approved_at_once_and_refunded_when_the_goods_come_back(api):
    api.join("shop-01", "returns")
    order = api.order(qty=2)
    api.receive(order["order_id"])
    stock_before = api.client.get("/v1/skus/sku-0001").json()["stock_left"]
    budget_before = figures(api)["budget_left_fen"]
    api.clock.advance(timedelta(days=3))
    r = ask(api, order["order_id"])
    assert r.status_code == 201, r.text
    ret = r.json()
    assert (ret["route"], ret["status"]) == ("no_reason", "approved")
    done = api.ok(f"/v1/merchant/returns/{ret['return_id']}/received", api.merchant())
    assert done["status"] == "refunded"
    assert done["refunded_fen"] == order["pay_fen"]
    assert api.platform.store.get_order(order["order_id"]).status is OrderStatus.RETURNED
    assert api.client.get("/v1/skus/sku-0001").json()["stock_left"] == stock_before + 2
    assert figures(api)["budget_left_fen"] == budget_before + order["subsidy_fen"]


def test_a_delivered_order_opens_the_window_too(api):
    api.join("shop-01", "returns")
    order = api.order()
    api.receive(order["order_id"], delivered=True)
    assert ask(api, order["order_id"]).json()["route"] == "no_reason"


def test_outside_the_window_a_return_needs_a_reason_and_the_merchants_decision(api):
    api.join("shop-01", "returns")
    order = api.order()
    api.receive(order["order_id"])
    api.clock.advance(WEEK + timedelta(microseconds=1))
    r = ask(api, order["order_id"])
    assert r.status_code == 422
    assert "reason" in r.json()["detail"]
    ret = ask(api, order["order_id"], "the door squeaks").json()
    assert (ret["route"], ret["status"]) == ("merchant_decides", "requested")
    assert (
        api.post(f"/v1/merchant/returns/{ret['return_id']}/received", api.merchant()).status_code
        == 409
    )
    approved = api.ok(f"/v1/merchant/returns/{ret['return_id']}/approve", api.merchant())
    assert approved["status"] == "approved"


def test_a_return_can_only_start_once_the_goods_arrived(api):
    api.join("shop-01", "returns")
    order = api.order()
    r = ask(api, order["order_id"], "changed my mind")
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/return-refused"


def test_an_order_placed_before_the_shop_joined_needs_a_reason(api):
    early = api.order()
    api.clock.advance(timedelta(minutes=1))
    api.join("shop-01", "returns")
    api.receive(early["order_id"])
    assert ask(api, early["order_id"]).status_code == 422
    assert ask(api, early["order_id"], "wrong colour").json()["route"] == "merchant_decides"


def test_leaving_the_program_binds_future_orders_only(api):
    api.join("shop-01", "returns")
    before = api.order(buyer=0)
    api.clock.advance(timedelta(minutes=1))
    api.leave("shop-01", "returns")
    assert "returns_7d" not in api.badges("shop-01")
    api.clock.advance(timedelta(minutes=1))
    after = api.order(buyer=1)
    api.receive(before["order_id"])
    api.receive(after["order_id"])
    assert ask(api, before["order_id"]).json()["route"] == "no_reason"
    assert ask(api, after["order_id"], buyer=1).status_code == 422


def test_a_sku_excluded_by_law_needs_a_reason_and_is_marked_before_purchase(api):
    api.join("shop-01", "returns")
    r = api.post(
        "/v1/merchant/skus/sku-0001/return-policy",
        api.merchant(),
        {"returnable": False, "exclusion_reason": "custom_made"},
    )
    assert r.status_code == 200, r.text
    page = api.client.get("/skus/sku-0001").text
    assert "Made to the buyer" in page
    hit = [h for h in api.client.get("/v1/search?q=smart+tv").json() if h["sku_id"] == "sku-0001"]
    assert hit[0]["return_exclusion"] == "custom_made"
    order = api.order()
    api.receive(order["order_id"])
    assert ask(api, order["order_id"]).status_code == 422
    bad = api.post(
        "/v1/merchant/skus/sku-0001/return-policy", api.merchant(), {"returnable": False}
    )
    assert bad.status_code == 422


def test_a_merchant_may_refund_part_but_never_more_than_was_paid(api):
    api.join("shop-01", "returns")
    order = api.order()
    api.receive(order["order_id"])
    ret = ask(api, order["order_id"]).json()
    path = f"/v1/merchant/returns/{ret['return_id']}/received"
    r = api.post(path, api.merchant(), {"refund_fen": order["pay_fen"] + 1})
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/refund-too-large"
    done = api.ok(path, api.merchant(), {"refund_fen": order["pay_fen"] - 500})
    assert done["refunded_fen"] == order["pay_fen"] - 500
    assert api.post(path, api.merchant(), {"refund_fen": 1}).status_code == 409  # already refunded


def test_a_merchant_rejects_a_request_with_a_note(api):
    order = api.order()
    api.receive(order["order_id"])
    ret = ask(api, order["order_id"], "do not like it").json()
    done = api.ok(
        f"/v1/merchant/returns/{ret['return_id']}/reject", api.merchant(), {"note": "used"}
    )
    assert (done["status"], done["note"]) == ("rejected", "used")
    listed = api.client.get("/v1/merchant/shops/shop-01/returns", headers=api.merchant()).json()
    assert [x["return_id"] for x in listed] == [ret["return_id"]]
    assert api.platform.store.get_order(order["order_id"]).status is OrderStatus.COLLECTED


def test_an_approved_return_is_refunded_by_itself_after_the_configured_days(api):
    api.join("shop-01", "returns")
    order = api.order()
    api.receive(order["order_id"])
    ret = ask(api, order["order_id"]).json()
    days = api.platform.trust.returns.config.auto_refund_after
    api.clock.advance(days - timedelta(seconds=1))
    assert api.ok("/v1/operator/returns/refund-overdue", api.operator) == []
    api.clock.advance(timedelta(seconds=1))
    done = api.ok("/v1/operator/returns/refund-overdue", api.operator)
    assert [(d["return_id"], d["status"]) for d in done] == [(ret["return_id"], "refunded")]
    assert done[0]["refunded_fen"] == order["pay_fen"]


def test_the_refund_event_carries_the_refund_and_the_returned_subsidy(api):
    import msgspec

    api.join("shop-01", "returns")
    order = api.order()
    api.receive(order["order_id"])
    ret = ask(api, order["order_id"]).json()
    api.ok(f"/v1/merchant/returns/{ret['return_id']}/received", api.merchant())
    events = [
        e for e in api.platform.store.read_events(0, 1000) if e.kind == "order.status_changed"
    ]
    last = msgspec.json.decode(events[-1].payload)
    assert last["status"] == "returned"
    assert last["refund_fen"] == order["pay_fen"]
    assert last["subsidy_returned_fen"] == order["subsidy_fen"]


def test_the_window_through_the_api_ends_exactly_seven_times_24_hours_after_receipt(api):
    api.join("shop-01", "returns")
    first, second = api.order(buyer=0), api.order(buyer=1)
    api.receive(first["order_id"])
    api.receive(second["order_id"])
    api.clock.advance(WEEK)
    assert ask(api, first["order_id"]).json()["route"] == "no_reason"
    api.clock.advance(timedelta(microseconds=1))
    assert ask(api, second["order_id"], buyer=1).status_code == 422
