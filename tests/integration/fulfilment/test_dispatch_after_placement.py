"""Dispatch: each placed order gets its code or shipment exactly once, whatever happens."""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.integration.fulfilment.test_carrier_shipping import ADDRESS

from megasale.domain.errors import UnknownOrder
from megasale.domain.fulfilment import PickupPolicy
from megasale.domain.orders import OrderStatus
from megasale.domain.shipments import DEFAULT_CARRIERS, choose_carrier
from megasale.services.order_events import decode_status_changed
from megasale.storage import sqlite_fulfilment


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


def test_a_clash_in_a_later_insert_of_the_batch_writes_each_code_once(desk, monkeypatch):
    monkeypatch.setattr(sqlite_fulfilment, "_ROWS_PER_INSERT", 2)
    orders = [desk.place(n) for n in range(3)]
    # the third code's first hash is the first's: the batch's second INSERT clashes
    hashes = iter([b"one" * 11, b"two" * 11, b"one" * 11, b"three" * 7])
    salts = itertools.count()

    def clashing_issue(order_id: str) -> tuple[str, bytes]:
        return f"salt-{next(salts)}", next(hashes)

    store = desk.platform.fulfilment.store
    store.dispatch_placed(desk.clock.now(), clashing_issue, DEFAULT_CARRIERS, PickupPolicy())
    assert [store.pickup_of(o["order_id"]).salt for o in orders] == ["salt-0", "salt-1", "salt-3"]
    with contextlib.closing(sqlite3.connect(desk.platform.store.db.path)) as conn:
        assert conn.execute("SELECT count(*) FROM pickup_codes").fetchone()[0] == 3


def test_a_clash_of_tracking_numbers_gets_the_next_salt_instead_of_failing_the_batch(desk):
    first = desk.place(0, address=ADDRESS)
    second = desk.place(1, address=ADDRESS)
    carrier = choose_carrier(first["order_id"], DEFAULT_CARRIERS)
    taken = carrier.tracking_number(first["order_id"], "")
    store = desk.platform.fulfilment.store
    with store.db.write() as conn:  # another order already has the first order's number
        conn.execute(
            "INSERT INTO shipments VALUES ('o-other', ?, ?, 'awaiting_handover', 0, 0, 0, NULL)",
            (carrier.carrier_id, taken),
        )
    desk.dispatch()
    assert store.shipment_of(first["order_id"]).tracking_number == carrier.tracking_number(
        first["order_id"], "1"
    )
    other = choose_carrier(second["order_id"], DEFAULT_CARRIERS)
    assert store.shipment_of(second["order_id"]).tracking_number == other.tracking_number(
        second["order_id"], ""
    )


def test_a_batch_makes_ready_only_the_pickups_still_placed_each_with_one_event(desk):
    kept, cancelled, shipped = desk.place(0), desk.place(1), desk.place(2, address=ADDRESS)
    desk.platform.store.change_order_status(
        cancelled["order_id"], OrderStatus.CANCELLED, desk.clock.now(), release=True
    )
    desk.dispatch()
    assert desk.order(kept["order_id"])["status"] == "ready_for_pickup"
    assert desk.order(cancelled["order_id"], n=1)["status"] == "cancelled"
    assert desk.order(shipped["order_id"], n=2)["status"] == "placed"
    store = desk.platform.fulfilment.store
    assert store.pickup_of(kept["order_id"]).state == "waiting"
    with pytest.raises(UnknownOrder):
        store.pickup_of(cancelled["order_id"])
    ready = [
        decode_status_changed(e.payload)
        for e in desk.platform.store.read_events(0, 1_000)
        if e.event_id.endswith(":ready_for_pickup")
    ]
    assert [(e.order_id, e.previous, e.buyer_id, e.released) for e in ready] == [
        (kept["order_id"], "placed", kept["buyer_id"], False)
    ]
    assert ready[0].amount_fen == kept["amount_fen"] and ready[0].shop_id == kept["shop_id"]


def _dispatched(db: Path, pickup_id: str, shipping_id: str) -> bool:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        codes = conn.execute("SELECT count(*) FROM pickup_codes WHERE order_id = ?", (pickup_id,))
        shipments = conn.execute(
            "SELECT count(*) FROM shipments WHERE order_id = ?", (shipping_id,)
        )
        return bool(codes.fetchone()[0] == 1 and shipments.fetchone()[0] == 1)


def test_the_fulfilment_worker_process_dispatches_and_only_one_per_database(desk):
    """``megasale fulfilment-worker``, as ``serve`` starts it: it dispatches what was placed,
    and a second one for the same database waits for the first one's lock."""
    pickup = desk.place()
    shipping = desk.place(1, address=ADDRESS)
    db = desk.platform.store.db.path
    env = {**os.environ, "MEGASALE_FULFILMENT_INTERVAL_S": "0.05"}
    command = [sys.executable, "-m", "megasale.cli", "fulfilment-worker", "--db", str(db)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    second = None
    try:
        deadline = time.monotonic() + 30
        while not _dispatched(Path(db), pickup["order_id"], shipping["order_id"]):
            assert first.poll() is None, "the worker stopped"
            assert time.monotonic() < deadline, "nothing was dispatched"
            time.sleep(0.1)
        assert first.stdout is not None
        assert first.stdout.readline().startswith(b"megasale fulfilment-worker: dispatching")
        second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
        time.sleep(2.5)  # it tries the lock every second
        assert second.poll() is None  # still waiting: the first holds the lock
    finally:
        for process in (first, second):
            if process is not None:
                process.terminate()
                process.wait(10)
    assert second is not None and second.stdout is not None
    assert second.stdout.read() == b""  # it never dispatched
