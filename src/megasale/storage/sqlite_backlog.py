"""The backlog on SQLite: what is still to ship, to collect, or stuck with a carrier.

Every query walks one of the fulfilment tables' ``(state, time)`` indexes, so counts are range
scans over an index and the oldest items are its first entries: no sort over the day's orders.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta

from megasale.domain.shipments import ShipmentStatus
from megasale.services.fulfilment_ports import (
    AgeBucket,
    Backlog,
    StoreQueue,
    StuckShipments,
    WaitingItem,
)
from megasale.storage.sqlite_db import from_micros, to_micros

__all__ = ["AGE_BUCKETS", "read_backlog"]

_US = timedelta(microseconds=1)

#: (label, younger than) for the unshipped orders; the last bucket is everything older
AGE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("under 1 h", timedelta(hours=1)),
    ("1-6 h", timedelta(hours=6)),
    ("6-24 h", timedelta(hours=24)),
    ("1-3 days", timedelta(days=3)),
)


def _count(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _unshipped(
    conn: sqlite3.Connection, now: int, oldest: int
) -> tuple[int, list[AgeBucket], list[WaitingItem]]:
    sql = "SELECT count(*) FROM shipments WHERE status = 'awaiting_handover' AND placed_at > ?"
    total = _count(conn, "SELECT count(*) FROM shipments WHERE status = 'awaiting_handover'", ())
    buckets: list[AgeBucket] = []
    below = 0
    for label, age in AGE_BUCKETS:
        within = _count(conn, sql, (now - age // _US,))
        buckets.append(AgeBucket(label, within - below))
        below = within
    buckets.append(AgeBucket(f"over {AGE_BUCKETS[-1][0].split('-')[-1]}", total - below))
    items = [
        WaitingItem(oid, from_micros(placed), carrier)
        for oid, placed, carrier in conn.execute(
            "SELECT order_id, placed_at, carrier_id FROM shipments "
            "WHERE status = 'awaiting_handover' ORDER BY placed_at LIMIT ?",
            (oldest,),
        )
    ]
    return total, buckets, items


def _pickups(conn: sqlite3.Connection, stores: int) -> tuple[int, list[StoreQueue]]:
    queues = [
        StoreQueue(store, int(n), from_micros(first))
        for store, n, first in conn.execute(
            "SELECT store_id, count(*), min(placed_at) AS first FROM pickup_codes "
            "WHERE state = 'waiting' GROUP BY store_id ORDER BY first LIMIT ?",
            (stores,),
        )
    ]
    total = _count(conn, "SELECT count(*) FROM pickup_codes WHERE state = 'waiting'", ())
    return total, queues


def _stuck(
    conn: sqlite3.Connection, now: int, status: ShipmentStatus, older_than: timedelta, oldest: int
) -> StuckShipments:
    cutoff = now - older_than // _US
    count = _count(
        conn,
        "SELECT count(*) FROM shipments WHERE status = ? AND status_at <= ?",
        (status.value, cutoff),
    )
    items = [
        WaitingItem(oid, from_micros(at), carrier)
        for oid, at, carrier in conn.execute(
            "SELECT order_id, status_at, carrier_id FROM shipments "
            "WHERE status = ? AND status_at <= ? ORDER BY status_at LIMIT ?",
            (status.value, cutoff, oldest),
        )
    ]
    return StuckShipments(status, older_than, count, items)


def read_backlog(
    conn: sqlite3.Connection,
    at: datetime,
    stuck_after: Mapping[ShipmentStatus, timedelta],
    oldest: int,
) -> Backlog:
    """The backlog at ``at`` from one read snapshot; ``oldest`` items (or stores) per list."""
    now = to_micros(at)
    total, buckets, items = _unshipped(conn, now, oldest)
    waiting, queues = _pickups(conn, oldest)
    return Backlog(
        at=at,
        unshipped_total=total,
        unshipped_by_age=buckets,
        unshipped_oldest=items,
        pickups_waiting_total=waiting,
        pickups_by_store=queues,
        stuck=[_stuck(conn, now, s, age, oldest) for s, age in stuck_after.items()],
    )
