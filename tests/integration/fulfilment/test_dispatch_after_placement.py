"""Dispatch: each placed order gets its code or shipment exactly once, whatever happens."""

from __future__ import annotations

import itertools

from tests.integration.fulfilment.test_carrier_shipping import ADDRESS

from megasale.domain.fulfilment import PickupPolicy
from megasale.domain.shipments import DEFAULT_CARRIERS


def test_dispatching_again_or_from_a_second_process_issues_nothing_twice(desk):
    pickup = desk.place()
    shipping = desk.place(1, address=ADDRESS)
    fulfilment = desk.platform.fulfilment
    assert fulfilment.dispatch_all() > 0
    code = desk.code_of(pickup["order_id"])
    tracking = fulfilment.store.shipment_of(shipping["order_id"]).tracking_number
    assert fulfilment.dispatch_all() == 0  # caught up: the checkpoint moved with the batch
    # a second process that lost its checkpoint reads the same events again
    desk.platform.store.save_checkpoint("fulfilment.dispatch", 0)
    assert fulfilment.dispatch_all() > 0
    assert desk.code_of(pickup["order_id"]) == code
    assert fulfilment.store.shipment_of(shipping["order_id"]).tracking_number == tracking
    statuses = [
        e.event_id
        for e in desk.platform.store.read_events(0, 1_000)
        if e.event_id.endswith(":ready_for_pickup")
    ]
    assert statuses == [f"order.status_changed:{pickup['order_id']}:ready_for_pickup"]


def test_a_clash_of_two_codes_gets_a_fresh_salt_instead_of_failing_the_batch(desk):
    first, second = desk.place(), desk.place(1)
    hashes = itertools.chain([b"same" * 8, b"same" * 8], (bytes([n]) * 32 for n in range(1, 9)))
    salts = itertools.count()

    def clashing_issue(order_id: str) -> tuple[str, bytes]:
        return f"salt-{next(salts)}", next(hashes)

    store = desk.platform.fulfilment.store
    store.dispatch_placed(desk.clock.now(), clashing_issue, DEFAULT_CARRIERS, PickupPolicy())
    a, b = store.pickup_of(first["order_id"]), store.pickup_of(second["order_id"])
    assert (a.salt, b.salt) == ("salt-0", "salt-2")
    assert desk.order(second["order_id"], n=1)["status"] == "ready_for_pickup"
