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
