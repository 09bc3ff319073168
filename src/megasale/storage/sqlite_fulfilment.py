"""The SQLite adapter of :class:`~megasale.services.fulfilment_ports.FulfilmentStore`.

Every order move goes through :func:`megasale.storage.sqlite_orders.change_status` (or, for a
dispatch batch's pickups, :func:`~megasale.storage.sqlite_orders.advance_orders`, the same for
many orders at once) inside this module's own write transactions, so the order's status, its
event and the fulfilment record (pickup code, shipment, carrier event, wrong-code count) commit
together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from megasale.domain.catalog import PartnerStore
from megasale.domain.errors import (
    ReplayedWebhook,
    UnknownOrder,
    UnknownShipment,
    UnknownStore,
)
from megasale.domain.fulfilment import PickupPolicy, StoreRecord
from megasale.domain.orders import OrderStatus
from megasale.domain.shipments import (
    Carrier,
    Shipment,
    ShipmentStatus,
    check_shipment_transition,
    choose_carrier,
)
from megasale.services.fulfilment_ports import (
    Backlog,
    HandoverRow,
    IssueCode,
    OrderLogRow,
    PickupRecord,
    Redemption,
)
from megasale.services.order_events import ORDER_PLACED, OrderPlaced, decode_order_placed
from megasale.storage.sqlite_backlog import read_backlog
from megasale.storage.sqlite_db import SqliteDatabase, from_micros, insert_many, to_micros
from megasale.storage.sqlite_orders import advance_orders, change_status
from megasale.storage.sqlite_pickups import cancel_order, expire_pickup, redeem_code

__all__ = ["DISPATCH_CONSUMER", "SqliteFulfilment"]

DISPATCH_CONSUMER = "fulfilment.dispatch"
#: events per dispatch transaction, which holds the file's write lock while the order writer
#: waits for it (some 0.1-0.2 ms per order): with 500, orders' p99 at 5,000/s was 87-92 ms,
#: with 64 (and a pause between transactions, FulfilmentWorker) 31-44 ms
_DISPATCH_BATCH = 64
_CLASH_RETRIES = 8


def _opt_time(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


_READY = OrderStatus.READY_FOR_PICKUP
#: rows per INSERT of a dispatch batch (well under SQLite's bound on parameters)
_ROWS_PER_INSERT = 500
Row = list[object]


def _insert_retrying(
    conn: sqlite3.Connection, table: str, rows: list[Row], again: Callable[[Row, int], Row]
) -> None:
    """Insert ``rows``, a statement per ``_ROWS_PER_INSERT``; if a row of one clashes with a
    unique key (the statement is undone whole), that statement's rows go in one at a time,
    and a row that clashes again as ``again(row, attempt)`` makes it (a fresh salt), up to
    ``_CLASH_RETRIES`` tries in all."""
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        try:
            insert_many(conn, table, chunk)
        except sqlite3.IntegrityError:
            for row in chunk:
                _insert_one(conn, table, row, again)


def _insert_one(
    conn: sqlite3.Connection, table: str, row: Row, again: Callable[[Row, int], Row]
) -> None:
    marks = ",".join("?" * len(row))
    for attempt in range(1, _CLASH_RETRIES + 1):
        try:
            conn.execute(f"INSERT INTO {table} VALUES ({marks})", row)
            return
        except sqlite3.IntegrityError as exc:
            if attempt == _CLASH_RETRIES:
                raise RuntimeError(
                    f"no row for {row[0]} in {table} after {attempt} tries: {exc}"
                ) from exc
            row = again(row, attempt)


def _first_of_each(placed: Iterable[OrderPlaced]) -> list[OrderPlaced]:
    """Each order once (its event id is unique, so a second event for one order is not
    expected; were there one, it is left alone, as dispatching the order once leaves it)."""
    seen: set[str] = set()
    first = []
    for p in placed:
        if p.order_id not in seen:
            seen.add(p.order_id)
            first.append(p)
    return first


def _add_shipments(
    conn: sqlite3.Connection, shipped: list[OrderPlaced], carriers: tuple[Carrier, ...], now: int
) -> None:
    """A shipment for each order of ``shipped`` that has none yet (tracking numbers have 12
    digits: on the rare clash, the next salt gives another)."""
    if not shipped:
        return
    ids = [p.order_id for p in shipped]
    marks = ",".join("?" * len(ids))
    query = f"SELECT order_id FROM shipments WHERE order_id IN ({marks})"
    have = {r[0] for r in conn.execute(query, ids)}
    by_id = {c.carrier_id: c for c in carriers}
    rows: list[Row] = []
    for p in shipped:
        if p.order_id in have:
            continue
        carrier = choose_carrier(p.order_id, carriers)
        placed_at = to_micros(datetime.fromisoformat(p.placed_at))
        rows.append([p.order_id, carrier.carrier_id, carrier.tracking_number(p.order_id, ""),
                     "awaiting_handover", placed_at, now, now, None])  # fmt: skip

    def again(row: Row, attempt: int) -> Row:
        carrier = by_id[str(row[1])]
        return [row[0], row[1], carrier.tracking_number(str(row[0]), str(attempt)), *row[3:]]

    _insert_retrying(conn, "shipments", rows, again)


class SqliteFulfilment:
    """Pickup codes, shipments and the backlog on the platform's SQLite file."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    # -- partner stores -------------------------------------------------------------------
    def import_stores(self, records: Sequence[StoreRecord]) -> int:
        with self.db.write() as conn:
            conn.executemany(
                "INSERT INTO partner_stores VALUES (?, ?, ?, ?, ?) ON CONFLICT (store_id) DO "
                "UPDATE SET name = excluded.name, chain = excluded.chain, city = excluded.city, "
                "city_tier = excluded.city_tier",
                [
                    (r.store.store_id, r.store.name, r.store.chain, r.store.city, r.store.city_tier)
                    for r in records
                ],
            )
            conn.executemany(
                "INSERT INTO partner_store_details VALUES (?, ?, ?) ON CONFLICT (store_id) DO "
                "UPDATE SET address = excluded.address, opening_hours = excluded.opening_hours",
                [(r.store.store_id, r.address, r.opening_hours) for r in records],
            )
        return len(records)

    def store_record(self, store_id: str) -> StoreRecord:
        row = (
            self.db.connection()
            .execute(
                "SELECT s.store_id, s.name, s.chain, s.city, s.city_tier, d.address, "
                "d.opening_hours FROM partner_stores s LEFT JOIN partner_store_details d "
                "USING (store_id) WHERE s.store_id = ?",
                (store_id,),
            )
            .fetchone()
        )
        if row is None:
            raise UnknownStore(f"no partner store {store_id}")
        return StoreRecord(PartnerStore(*row[:5]), row[5] or "", row[6] or "")

    # -- after placement ------------------------------------------------------------------
    def dispatch_placed(
        self, at: datetime, issue: IssueCode, carriers: tuple[Carrier, ...], policy: PickupPolicy
    ) -> int:
        """Give the orders of the next events their pickup code or shipment, in one transaction.

        The batch is written a statement per kind of row, not per order: the pickup orders are
        made ready for pickup together (:func:`~megasale.storage.sqlite_orders.advance_orders`),
        then their codes and the shipments go in as one INSERT each (of up to
        ``_ROWS_PER_INSERT`` rows). A clash of codes or tracking numbers (a keyed hash of 50
        bits, a number of 12 digits) fails such an INSERT whole; its rows are then written one
        by one, a fresh salt for the one that clashed.
        """
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT seq FROM checkpoints WHERE consumer = ?", (DISPATCH_CONSUMER,)
            ).fetchone()
            after = int(row[0]) if row else 0
            events = conn.execute(
                "SELECT seq, kind, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, _DISPATCH_BATCH),
            ).fetchall()
            if not events:
                return 0
            placed = _first_of_each(
                decode_order_placed(bytes(p)) for _, k, p in events if k == ORDER_PLACED
            )
            pickups = [p for p in placed if p.fulfilment == "pickup"]
            ready = set(advance_orders(conn, [p.order_id for p in pickups], _READY, at))
            now = to_micros(at)
            expires = to_micros(at + policy.pickup_ttl)
            codes: list[Row] = []
            for p in pickups:
                if p.order_id in ready:  # the others had moved on (cancelled): nothing to collect
                    salt, lookup_hash = issue(p.order_id)
                    placed_at = to_micros(datetime.fromisoformat(p.placed_at))
                    codes.append([p.order_id, p.pickup_store_id, salt, lookup_hash, "waiting",
                                  placed_at, now, expires, None, None])  # fmt: skip

            def reissued(row: Row, _attempt: int) -> Row:
                return [*row[:2], *issue(str(row[0])), *row[4:]]

            _insert_retrying(conn, "pickup_codes", codes, reissued)
            shipped = [p for p in placed if p.fulfilment != "pickup"]
            _add_shipments(conn, shipped, carriers, now)
            conn.execute(
                "INSERT INTO checkpoints VALUES (?, ?) ON CONFLICT (consumer) DO UPDATE "
                "SET seq = excluded.seq",
                (DISPATCH_CONSUMER, int(events[-1][0])),
            )
        return len(events)

    # -- pickup ---------------------------------------------------------------------------
    def pickup_of(self, order_id: str) -> PickupRecord:
        row = (
            self.db.connection()
            .execute(
                "SELECT order_id, store_id, salt, state, issued_at, expires_at, collected_at, "
                "collected_by FROM pickup_codes WHERE order_id = ?",
                (order_id,),
            )
            .fetchone()
        )
        if row is None:
            raise UnknownOrder(f"order {order_id} has no pickup code (yet)")
        oid, store, salt, state, issued, expires, collected, by = row
        return PickupRecord(
            oid,
            store,
            salt,
            state,
            from_micros(issued),
            from_micros(expires),
            _opt_time(collected),
            by,
        )

    def redeem(
        self, clerk_id: str, store_id: str, lookup_hash: bytes, at: datetime, policy: PickupPolicy
    ) -> Redemption:
        with self.db.write() as conn:
            return redeem_code(conn, clerk_id, store_id, lookup_hash, at, policy)

    def expire_pickups(self, at: datetime, limit: int) -> list[str]:
        with self.db.write() as conn:
            due = [
                str(r[0])
                for r in conn.execute(
                    "SELECT order_id FROM pickup_codes WHERE state = 'waiting' AND expires_at <= ? "
                    "ORDER BY expires_at LIMIT ?",
                    (to_micros(at), limit),
                )
            ]
            for order_id in due:
                expire_pickup(conn, order_id, at)
        return due

    # -- shipping -------------------------------------------------------------------------
    def shipment_of(self, order_id: str) -> Shipment:
        row = (
            self.db.connection()
            .execute(
                "SELECT order_id, carrier_id, tracking_number, status, created_at, status_at, "
                "delivered_at FROM shipments WHERE order_id = ?",
                (order_id,),
            )
            .fetchone()
        )
        if row is None:
            raise UnknownShipment(f"order {order_id} has no shipment (yet)")
        return _shipment(row)

    def record_carrier_event(
        self,
        carrier_id: str,
        event_id: str,
        tracking_number: str,
        status: ShipmentStatus,
        at: datetime,
        received_at: datetime,
    ) -> Shipment:
        micros = to_micros(at)
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT order_id, carrier_id, tracking_number, status, created_at, status_at, "
                "delivered_at FROM shipments WHERE carrier_id = ? AND tracking_number = ?",
                (carrier_id, tracking_number),
            ).fetchone()
            if row is None:
                raise UnknownShipment(f"{carrier_id} has no parcel {tracking_number} from us")
            shipment = _shipment(row)
            try:
                conn.execute(
                    "INSERT INTO carrier_events VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        carrier_id,
                        event_id,
                        shipment.order_id,
                        status.value,
                        micros,
                        to_micros(received_at),
                    ),
                )
            except sqlite3.IntegrityError:
                raise ReplayedWebhook(
                    f"event {event_id} of {carrier_id} was already received"
                ) from None
            check_shipment_transition(shipment.status, status)
            if status is ShipmentStatus.PICKED_UP:
                change_status(conn, shipment.order_id, OrderStatus.SHIPPED, at)
            elif status is ShipmentStatus.DELIVERED:
                change_status(conn, shipment.order_id, OrderStatus.DELIVERED, at)
            elif status is ShipmentStatus.FAILED:
                cancel_order(conn, shipment.order_id, at)
            delivered = micros if status is ShipmentStatus.DELIVERED else None
            conn.execute(
                "UPDATE shipments SET status = ?, status_at = ?, "
                "delivered_at = coalesce(?, delivered_at) WHERE order_id = ?",
                (status.value, micros, delivered, shipment.order_id),
            )
            return _shipment(
                (*row[:3], status.value, row[4], micros, delivered if delivered else row[6])
            )

    def handover_rows(self, carrier_id: str) -> list[HandoverRow]:
        rows = self.db.connection().execute(
            "SELECT s.order_id, s.tracking_number, o.shop_id, o.ship_address, "
            "(SELECT sum(quantity) FROM order_lines l WHERE l.order_id = s.order_id), s.placed_at "
            "FROM shipments s JOIN orders o USING (order_id) "
            "WHERE s.carrier_id = ? AND s.status = 'awaiting_handover' ORDER BY s.placed_at",
            (carrier_id,),
        )
        return [
            HandoverRow(oid, tracking, shop, address or "", int(units), from_micros(placed))
            for oid, tracking, shop, address, units, placed in rows
        ]

    # -- the backlog and the order log ---------------------------------------------------
    def backlog(
        self, at: datetime, stuck_after: Mapping[ShipmentStatus, timedelta], oldest: int
    ) -> Backlog:
        with self.db.read() as conn:
            return read_backlog(conn, at, stuck_after, oldest)

    # -- the order log --------------------------------------------------------------------
    def order_log(self, chunk: int) -> Iterator[list[OrderLogRow]]:
        with self.db.read() as conn:
            cursor = conn.execute(
                "SELECT o.order_id, o.placed_at, o.buyer_id, o.shop_id, l.sku_id, l.quantity, "
                "l.amount_fen, l.subsidy_fen, o.ip, o.device_id, o.payment_id, o.ship_address, "
                "o.pickup_store_id, CASE WHEN o.fulfilment = 'pickup' THEN o.received_at END "
                "FROM orders o JOIN order_lines l ON l.order_id = o.order_id "
                "ORDER BY o.order_id, l.line_no"
            )
            while rows := cursor.fetchmany(chunk):
                yield [
                    OrderLogRow(
                        r[0],
                        from_micros(r[1]),
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        r[6],
                        r[7],
                        r[8],
                        r[9],
                        r[10],
                        r[11],
                        r[12],
                        _opt_time(r[13]),
                    )
                    for r in rows
                ]


def _shipment(row: Sequence[object]) -> Shipment:
    oid, carrier, tracking, status, created, status_at, delivered = row
    assert isinstance(created, int) and isinstance(status_at, int)
    return Shipment(
        str(oid),
        str(carrier),
        str(tracking),
        ShipmentStatus(str(status)),
        from_micros(created),
        from_micros(status_at),
        from_micros(delivered) if isinstance(delivered, int) else None,
    )
