"""Pickup at a partner store: a code per order, redeemed once, by a clerk of that store."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.integration.fulfilment.fulfilment_desk import valid_unknown_code

from megasale.domain.errors import PickupAlreadyCollected
from megasale.services.ports import Account, Role


def test_a_placed_pickup_order_becomes_ready_with_a_code_the_buyer_sees(desk):
    order = desk.place()
    assert order["status"] == "placed"  # placement does nothing more than before
    code = desk.code_of(order["order_id"])
    assert desk.order(order["order_id"])["status"] == "ready_for_pickup"
    assert len(code.replace("-", "")) == 11
    r = desk.client.get(f"/v1/orders/{order['order_id']}/pickup-code", headers=desk.buyer())
    assert r.json()["code"] == code  # the same code every time the buyer looks
    assert r.json()["store_id"] == "st-bj-01"
    assert r.json()["state"] == "waiting"


def test_another_buyer_cannot_see_the_code(desk):
    order = desk.place()
    desk.dispatch()
    r = desk.client.get(f"/v1/orders/{order['order_id']}/pickup-code", headers=desk.buyer(1))
    assert r.status_code == 404


def test_the_clerk_of_the_store_redeems_it_once_and_collected_at_is_the_moment(desk):
    order = desk.place()
    code = desk.code_of(order["order_id"])
    desk.clock.advance(timedelta(minutes=17, microseconds=250))
    r = desk.redeem(code.lower().replace("-", " "))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "collected"
    view = desk.client.get(f"/v1/orders/{order['order_id']}/pickup-code", headers=desk.buyer())
    assert view.json()["collected_at"] is not None
    collected = view.json()["collected_at"]
    assert collected.startswith(desk.clock.now().isoformat()[:19])
    again = desk.redeem(code)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/pickup-already-collected"


def test_a_clerk_of_another_store_cannot_redeem_it(desk):
    order = desk.place(store="st-bj-01")
    code = desk.code_of(order["order_id"])
    r = desk.redeem(code, store="st-sh-01")
    assert r.status_code == 403
    assert r.json()["type"] == "/problems/pickup-at-another-store"
    assert desk.order(order["order_id"])["status"] == "ready_for_pickup"
    assert desk.redeem(code, store="st-bj-01").status_code == 200


def test_an_expired_code_is_refused_and_the_order_cancelled_with_stock_and_subsidy_back(desk):
    stock, budget = desk.stock(), desk.budget_left()
    order = desk.place(lines=[("sku-0001", 2)])
    code = desk.code_of(order["order_id"])
    assert desk.stock() == stock - 2 and desk.budget_left() < budget
    desk.clock.advance(timedelta(hours=48, seconds=1))
    r = desk.redeem(code)
    assert r.status_code == 410
    assert r.json()["type"] == "/problems/pickup-expired"
    assert desk.order(order["order_id"])["status"] == "cancelled"
    assert (desk.stock(), desk.budget_left()) == (stock, budget)
    assert desk.redeem(code).status_code == 410


def test_the_sweep_expires_unredeemed_pickups_only_after_their_time(desk):
    stock, budget = desk.stock(), desk.budget_left()
    waiting = desk.place()
    collected = desk.place(n=1)
    desk.dispatch()
    assert desk.redeem(desk.code_of(collected["order_id"], n=1)).status_code == 200
    desk.clock.advance(timedelta(hours=47))
    assert desk.platform.fulfilment.expire_due() == []
    desk.clock.advance(timedelta(hours=2))
    assert desk.platform.fulfilment.expire_due() == [waiting["order_id"]]
    assert desk.order(waiting["order_id"])["status"] == "cancelled"
    assert desk.order(collected["order_id"], n=1)["status"] == "collected"
    assert desk.stock() == stock - 1  # the collected unit stays sold
    assert desk.budget_left() < budget


def test_a_typo_is_refused_by_the_check_character_without_counting_as_a_guess(desk):
    order = desk.place()
    code = desk.code_of(order["order_id"]).replace("-", "")
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    for _ in range(10):
        r = desk.redeem(typo)
        assert r.status_code == 422
        assert r.json()["type"] == "/problems/mistyped-pickup-code"
    assert desk.redeem(code).status_code == 200


def test_wrong_codes_are_limited_per_clerk_with_retry_after_in_a_sliding_window(desk):
    for n in range(3):
        r = desk.redeem(valid_unknown_code(n))
        assert r.status_code == 404
        assert r.json()["type"] == "/problems/unknown-pickup-code"
        desk.clock.advance(timedelta(minutes=1))
    order = desk.place()
    code = desk.code_of(order["order_id"])
    r = desk.redeem(code)  # even the right code waits: the clerk is locked out for now
    assert r.status_code == 429
    assert r.json()["type"] == "/problems/too-many-attempts"
    assert int(r.headers["retry-after"]) == 7 * 60  # the first wrong code leaves the window then
    desk.clock.advance(timedelta(minutes=7))
    assert desk.redeem(code).status_code == 200


def test_wrong_codes_are_limited_per_store_across_its_clerks(desk):
    platform = desk.platform
    clerks = [
        platform.accounts.open(Role.CLERK, f"Temp {n}", store_id="st-bj-01").token for n in range(3)
    ]
    wrong = 0
    for token in clerks:
        for _ in range(2):
            r = desk.client.post(
                "/v1/clerk/pickups",
                json={"code": valid_unknown_code(wrong)},
                headers=desk.auth(token),
            )
            wrong += 1
            expected = 404 if wrong <= 5 else 429
            assert r.status_code == expected, (wrong, r.text)
    assert "store" in r.json()["detail"]
    other = desk.redeem(valid_unknown_code(99), store="st-sh-01")
    assert other.status_code == 404  # another store is not affected


def test_a_hundred_concurrent_redemptions_of_one_code_give_exactly_one_success(desk):
    order = desk.place()
    code = desk.code_of(order["order_id"])
    clerk = desk.platform.accounts.authenticate(desk.clerks["st-bj-01"])
    assert isinstance(clerk, Account)
    fulfilment = desk.platform.fulfilment
    start = threading.Barrier(100)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        start.wait()
        try:
            fulfilment.redeem(clerk, code)
            result = "collected"
        except PickupAlreadyCollected:
            result = "already"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(outcomes)) == ["already", "collected"]
    assert outcomes.count("collected") == 1
    assert len(outcomes) == 100
    events = [
        e
        for e in desk.platform.store.read_events(0, 10_000)
        if e.event_id == f"order.status_changed:{order['order_id']}:collected"
    ]
    assert len(events) == 1
