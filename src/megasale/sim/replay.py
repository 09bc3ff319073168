"""Replay a generated promotion day into a store, in-process and fast.

The catalog, the buyers (with the day's registration times), every order and every pickup go
in through the store's own port, so the event log ends up as it would after the day: for tests
and benchmarks of what consumes the log (streaming detection, the live screen, the backlog).
Replaying through the HTTP API, at many times real speed, is the simulator's job.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from megasale.domain.catalog import PartnerStore, Shop, Sku
from megasale.domain.orders import (
    ClientContext,
    Order,
    OrderLine,
    OrderStatus,
    Pickup,
    Shipping,
)
from megasale.domain.promotions import PromoItem, Promotion
from megasale.services.accounts import hash_token
from megasale.services.ports import Account, Placement, Role, Store, StoredResponse
from megasale.sim.scenario import OrderRow, Scenario

__all__ = ["Replayed", "order_of", "replay_day"]

_BATCH = 500


@dataclass(frozen=True)
class Replayed:
    promotion_id: str
    orders: int
    pickups: int


def order_of(row: OrderRow, category: str, promotion_id: str) -> Order:
    """The platform's order for one line of a generated day."""
    return Order(
        order_id=row.order_id,
        buyer_id=row.buyer_id,
        shop_id=row.shop_id,
        promotion_id=promotion_id,
        lines=(
            OrderLine(
                row.sku_id,
                category,
                row.quantity,
                row.amount_fen // row.quantity,
                row.amount_fen,
                row.subsidy_fen,
            ),
        ),
        fulfilment=Pickup(row.pickup_store_id) if row.pickup_store_id else Shipping(row.address),
        client=ClientContext(row.ip, row.device_id, row.payment_id),
        placed_at=row.created_at,
    )


def _answer(outcome: object) -> StoredResponse:
    return StoredResponse(201 if isinstance(outcome, Order) else 409, b"{}")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def replay_day(store: Store, day: Scenario, *, promotion_id: str = "day") -> Replayed:
    """Put ``day`` into ``store``: catalog, buyers, orders in time order, then the pickups."""
    with tempfile.TemporaryDirectory() as folder:
        day.write_catalog(folder)
        shops = _read(Path(folder, "shops.csv"))
        skus = _read(Path(folder, "skus.csv"))
        stores = _read(Path(folder, "stores.csv"))
    merchants = [
        (Account(f"m-{s['shop_id']}", Role.MERCHANT, s["name"]), hash_token(secrets.token_hex()))
        for s in shops
    ]
    store.add_accounts(merchants)
    rows = list(day.orders)
    demand: dict[str, int] = {}
    for row in rows:
        demand[row.sku_id] = demand.get(row.sku_id, 0) + row.quantity
    category = {sku["sku_id"]: sku["category"] for sku in skus}
    store.add_catalog(
        shops=[Shop(s["shop_id"], f"m-{s['shop_id']}", s["name"]) for s in shops],
        skus=[
            Sku(
                k["sku_id"],
                k["shop_id"],
                k["sku_id"],
                k["category"],
                int(k["list_price_fen"]),
                max(int(k["stock"]), demand.get(k["sku_id"], 0)),
            )
            for k in skus
        ],
        stores=[
            PartnerStore(t["store_id"], t["name"], t["chain"], t["city"], int(t["tier"]))
            for t in stores
        ],
    )
    store.add_promotion(
        Promotion(
            promotion_id=promotion_id,
            name="Replayed promotion day",
            starts_at=day.t0 - timedelta(days=1),
            ends_at=day.t0 + timedelta(days=2),
            budget_fen=sum(r.subsidy_fen for r in rows) + 1,
            items={
                s["sku_id"]: PromoItem(s["sku_id"], int(s["promo_price_fen"]), 10_000) for s in skus
            },
        )
    )
    buyers: dict[str, Account] = {}
    for row in rows:
        if row.buyer_id not in buyers:
            buyers[row.buyer_id] = Account(
                row.buyer_id, Role.BUYER, row.buyer_id, created_at=row.buyer_registered_at
            )
    store.add_accounts([(a, hash_token(secrets.token_hex())) for a in buyers.values()])
    digest = hashlib.sha256(b"replay").digest()
    # One timeline of orders and pickups in time order, written in chunks (each chunk's orders
    # before its pickups: a pickup always comes after its order), so that the event log reads
    # as it would after a live day.
    timeline: list[tuple[datetime, int, OrderRow]] = [(r.created_at, 0, r) for r in rows]
    timeline += [(r.picked_up_at, 1, r) for r in rows if r.picked_up_at is not None]
    timeline.sort(key=lambda entry: (entry[0], entry[1]))
    pickups = 0
    for start in range(0, len(timeline), _BATCH):
        chunk = timeline[start : start + _BATCH]
        placed = [
            Placement(
                order_of(row, category[row.sku_id], promotion_id),
                f"replay-{row.order_id}",
                digest,
                _answer,
            )
            for _, kind, row in chunk
            if kind == 0
        ]
        if placed:
            store.take_orders(placed)
        changes: list[tuple[str, OrderStatus, datetime]] = []
        for at, kind, row in chunk:
            if kind == 1:
                changes.append((row.order_id, OrderStatus.READY_FOR_PICKUP, at))
                changes.append((row.order_id, OrderStatus.COLLECTED, at))
        if changes:
            store.change_order_statuses(changes)
            pickups += len(changes) // 2
    return Replayed(promotion_id, len(rows), pickups)
