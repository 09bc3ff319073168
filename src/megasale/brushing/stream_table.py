"""The streaming detector's orders as columns: one polars frame of every order, gathered by
the passes, and the batch reader's table built from the rows a pass reads."""

from __future__ import annotations

from operator import attrgetter

import msgspec
import polars as pl

from megasale.brushing.frame import MISSING, OrderTable
from megasale.brushing.orderlog import table_from_frames
from megasale.brushing.views import (
    building_expr,
    device_family_expr,
    phone_block_expr,
    subnet_expr,
)

__all__ = ["OrderColumns", "StreamedOrder", "derived_views", "order_table"]

_TEXT = (
    "order_id",
    "buyer_id",
    "shop_id",
    "sku_id",
    "ip",
    "device_id",
    "payment_id",
    "phone",
    "address",
)
"""The text columns a pass's table is built from (the batch reader has no view of the pickup
store, so that column is not kept)."""


class StreamedOrder(msgspec.Struct, frozen=True, gc=False):
    """One order line as the event log tells it. Times are microseconds since the epoch.

    A struct outside the cyclic garbage collector (it holds only text and integers): the
    detector keeps one per order of the day, and as tracked objects (a named tuple is one)
    they made every full collection walk them all, some 0.3 s at a time in the middle of a
    pass at the peak. It is also cheaper to build than a named tuple or a frozen dataclass.
    """

    order_id: str
    created_at: int
    buyer_id: str
    shop_id: str
    sku_id: str | None = None
    quantity: int = 1
    amount_fen: int = 0
    subsidy_fen: int = 0
    ip: str | None = None
    device_id: str | None = None
    payment_id: str | None = None
    phone: str | None = None
    address: str | None = None
    pickup_store_id: str | None = None
    buyer_registered_at: int = MISSING


_FIELDS: tuple[str, ...] = tuple(
    f for f in StreamedOrder.__struct_fields__ if f != "pickup_store_id"
)
_GETTERS = {name: attrgetter(name) for name in _FIELDS}
_ORDER_SCHEMA = {c: pl.Utf8 if c in _TEXT else pl.Int64 for c in _FIELDS}


class OrderColumns:
    """Every order as columns, built a chunk at a time, for the passes to gather rows from.

    >>> columns = OrderColumns()
    >>> orders = [StreamedOrder(f"o{i}", i, f"b{i}", "s1") for i in range(5)]
    >>> columns.gather(orders, [1, 3], [-1] * 5)["order_id"].to_list()
    ['o1', 'o3']
    """

    def __init__(self) -> None:
        self._chunks: list[pl.DataFrame] = []  # the first ``_framed`` orders as columns
        self._frame: pl.DataFrame | None = None  # the chunks as one frame
        self._framed = 0

    def gather(
        self, orders: list[StreamedOrder], rows: list[int], picked_up: list[int]
    ) -> pl.DataFrame:
        """The rows as columns, gathered from a frame of every order.

        ``orders`` are all the orders so far (the ones not seen before are appended) and
        ``picked_up`` their pickup times. The frame is built by the passes, not as orders
        arrive: a pass turns the orders that arrived since the last one into columns (a
        chunk) and gathers its rows from all.
        A chunk at least half the size of the one before is merged into it, so a day of
        passes keeps a few chunks of sizes that at least double, and each row is copied a
        few times in all rather than once per pass.
        """
        if self._framed < len(orders):
            fresh = orders[self._framed :]
            chunks = self._chunks
            chunks.append(
                pl.DataFrame(
                    {name: list(map(get, fresh)) for name, get in _GETTERS.items()},
                    schema=_ORDER_SCHEMA,
                )
            )
            while len(chunks) >= 2 and chunks[-2].height <= 2 * chunks[-1].height:
                last = chunks.pop()
                chunks[-1] = pl.concat([chunks[-1], last], rechunk=True)
            self._frame = pl.concat(chunks, rechunk=False)
            self._framed = len(orders)
        assert self._frame is not None
        frame = self._frame[pl.Series(rows, dtype=pl.UInt32)]
        picked = [picked_up[i] for i in rows]
        return frame.with_columns(pl.Series("picked_up_at", picked, dtype=pl.Int64))


def derived_views(
    orders: list[StreamedOrder],
) -> tuple[list[str | None], list[str | None], list[str | None], list[str | None]]:
    """Device family, phone block, building and subnet of each order, by the batch rules."""
    frame = pl.DataFrame(
        {
            "device_id": [o.device_id for o in orders],
            "phone": [o.phone for o in orders],
            "address": [o.address for o in orders],
            "ip": [o.ip for o in orders],
        },
        schema={"device_id": pl.Utf8, "phone": pl.Utf8, "address": pl.Utf8, "ip": pl.Utf8},
    ).select(
        device_family_expr("device_id").alias("family"),
        phone_block_expr("phone").alias("block"),
        building_expr("address").alias("building"),
        subnet_expr("ip").alias("subnet"),
    )
    return (
        frame["family"].to_list(),
        frame["block"].to_list(),
        frame["building"].to_list(),
        frame["subnet"].to_list(),
    )


def order_table(frame: pl.DataFrame) -> OrderTable:
    """The batch reader's table from in-memory columns (times in microseconds, -1 missing).

    A text column with no value at all is left out, as a missing column of an order log is:
    that view is not used.
    """
    times = ("created_at", "picked_up_at", "buyer_registered_at")
    parsed = frame.select(
        [pl.when(pl.col(c) >= 0).then(pl.col(c)).otherwise(None).alias(c) for c in times]
        + [pl.col(c) for c in ("quantity", "amount_fen", "subsidy_fen")]
    )
    present = [c for c in _TEXT if frame[c].null_count() < frame.height]
    return table_from_frames(frame.select(present), parsed)
