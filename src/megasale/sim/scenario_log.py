"""The generated order log: columnar integers, rendered to the brief's text columns on demand.

:class:`OrderLog` is a ``Sequence[OrderRow]`` in time order. Rows are built one at a time when
asked for; whole columns are available two ways: as integer arrays (``log.columns``, cheap, for
analysis) and as the text that goes into the file (``log.text()``, rendered once and cached).
Ids are 1-based: ``o0000001``, ``b0000001``, ``s0001``, ``k00001``, ``st0001``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Final, overload

import msgspec
import numpy as np

from megasale.domain.order_log import ORDER_LOG_COLUMNS
from megasale.sim.scenario_addresses import AddressBook
from megasale.sim.scenario_render import (
    fixed_decimal,
    hex_ids,
    ipv4,
    iso_times,
    numbered_ids,
    small_ints,
)
from megasale.sim.scenario_types import I64

__all__ = ["ORDER_COLUMNS", "OrderColumns", "OrderLog", "OrderRow"]

ORDER_COLUMNS: Final = ORDER_LOG_COLUMNS
"""The brief's order-log columns, in file order."""


class OrderRow(msgspec.Struct, frozen=True):
    """One order line; ``pickup_store_id`` and ``picked_up_at`` are ``None`` when missing."""

    order_id: str
    created_at: datetime
    buyer_id: str
    shop_id: str
    sku_id: str
    quantity: int
    amount_fen: int
    subsidy_fen: int
    ip: str
    device_id: str
    payment_id: str
    phone: str
    address: str
    pickup_store_id: str | None
    picked_up_at: datetime | None
    buyer_registered_at: datetime


@dataclass(frozen=True, slots=True)
class OrderColumns:
    """The log as integers in time order. Times are ms after T0; ids are 0-based numbers."""

    t_ms: I64
    buyer: I64
    shop: I64
    sku: I64
    quantity: I64
    amount_fen: I64
    subsidy_fen: I64
    ip: I64
    device: I64
    payment: I64
    phone: I64
    address: I64
    store: I64
    """-1 for shipped orders."""
    picked_up_ms: I64
    """-1 for orders never collected (and shipped ones): test ``collected``."""
    collected: np.ndarray
    registered_ms: I64


class OrderLog(Sequence[OrderRow]):
    """The day's orders in time order (see the module docstring)."""

    def __init__(
        self,
        columns: OrderColumns,
        addresses: AddressBook,
        t0: datetime,
        buyers: int,
        shops: int,
        skus: int,
        stores: int,
    ) -> None:
        self.columns = columns
        self.t0 = t0
        self._addresses = addresses
        self._sizes = (buyers, shops, skus, stores)

    def __len__(self) -> int:
        return len(self.columns.t_ms)

    @overload
    def __getitem__(self, index: int) -> OrderRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[OrderRow]: ...
    def __getitem__(self, index: int | slice) -> OrderRow | Sequence[OrderRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._row(index)

    def __iter__(self) -> Iterator[OrderRow]:
        for i in range(len(self)):
            yield self._row(i)

    @property
    def gmv_fen(self) -> int:
        return int(self.columns.amount_fen.sum())

    def text(self) -> dict[str, list[str]]:
        """Every column as the text written to the file; ``""`` where a value is missing.

        Rendered once and kept (about 1 GB for a million rows); the writers use
        :meth:`text_chunks` instead, which keeps only one chunk at a time.
        """
        return self._text

    def text_chunks(self, rows: int) -> Iterator[dict[str, list[str]]]:
        """The text of consecutive chunks of ``rows`` orders, in order."""
        for start in range(0, len(self), rows):
            if "_text" in self.__dict__:
                yield {k: v[start : start + rows] for k, v in self._text.items()}
            else:
                yield self._render(start, min(start + rows, len(self)))

    @cached_property
    def _text(self) -> dict[str, list[str]]:
        return self._render(0, len(self))

    def _render(self, start: int, stop: int) -> dict[str, list[str]]:
        c = self.columns
        part = slice(start, stop)
        buyers, _, _, _ = self._sizes
        n = len(self)
        store, collected = c.store[part], c.collected[part]
        return {
            "order_id": numbered_ids(
                "o", np.arange(start, stop, dtype=np.int64), max(7, len(str(n)))
            ),
            "created_at": iso_times(c.t_ms[part], self.t0),
            "buyer_id": numbered_ids("b", c.buyer[part], max(7, len(str(buyers)))),
            "shop_id": numbered_ids("s", c.shop[part], 4),
            "sku_id": numbered_ids("k", c.sku[part], 5),
            "quantity": small_ints(c.quantity[part]),
            "amount_fen": small_ints(c.amount_fen[part]),
            "subsidy_fen": small_ints(c.subsidy_fen[part]),
            "ip": ipv4(c.ip[part]),
            "device_id": hex_ids("d", c.device[part], 15),
            "payment_id": hex_ids("pm", c.payment[part], 12),
            "phone": fixed_decimal(c.phone[part], 11),
            "address": self._addresses.render(c.address[part]),
            "pickup_store_id": numbered_ids("st", np.maximum(store, 0), 4, store >= 0),
            "picked_up_at": iso_times(c.picked_up_ms[part], self.t0, collected),
            "buyer_registered_at": iso_times(c.registered_ms[part], self.t0),
        }

    def _row(self, i: int) -> OrderRow:
        c, text = self.columns, self._text
        collected = bool(c.collected[i])
        return OrderRow(
            order_id=text["order_id"][i],
            created_at=self.t0 + timedelta(milliseconds=int(c.t_ms[i])),
            buyer_id=text["buyer_id"][i],
            shop_id=text["shop_id"][i],
            sku_id=text["sku_id"][i],
            quantity=int(c.quantity[i]),
            amount_fen=int(c.amount_fen[i]),
            subsidy_fen=int(c.subsidy_fen[i]),
            ip=text["ip"][i],
            device_id=text["device_id"][i],
            payment_id=text["payment_id"][i],
            phone=text["phone"][i],
            address=text["address"][i],
            pickup_store_id=text["pickup_store_id"][i] or None,
            picked_up_at=(
                self.t0 + timedelta(milliseconds=int(c.picked_up_ms[i])) if collected else None
            ),
            buyer_registered_at=self.t0 + timedelta(milliseconds=int(c.registered_ms[i])),
        )
