"""Columnar pieces of the day: a block of orders, and the register of buyers and their labels.

Each population (the honest bulk, each ring, each crowd) produces one :class:`OrderBlock`;
the day is their concatenation sorted by time. Every column holds integers: indices into the
catalog and address book, identity codes (see :mod:`megasale.sim.scenario_identity`), and
milliseconds relative to T0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from megasale.sim.scenario_types import I64

__all__ = ["NOT_COLLECTED", "SHIPPED", "BuyerRegistry", "GroupInfo", "OrderBlock"]

SHIPPED = -1
"""``store`` of an order shipped to its address."""
NOT_COLLECTED = -1
"""``pickup_delay_ms`` of an order not (or not yet) collected, or shipped."""


@dataclass(frozen=True, slots=True)
class OrderBlock:
    """Orders as parallel integer columns, one order line per position."""

    t_ms: I64
    buyer: I64
    sku: I64
    quantity: I64
    ip: I64
    device: I64
    payment: I64
    phone: I64
    address: I64
    store: I64
    pickup_delay_ms: I64

    def __post_init__(self) -> None:
        n = len(self.t_ms)
        for field in fields(self):
            column = getattr(self, field.name)
            if column.shape != (n,):
                raise ValueError(f"column {field.name} has shape {column.shape}, expected ({n},)")

    def __len__(self) -> int:
        return len(self.t_ms)

    def take(self, rows: I64) -> OrderBlock:
        """The orders at ``rows`` (indices or a boolean mask), in that order."""
        return OrderBlock(*(getattr(self, f.name)[rows] for f in fields(self)))

    def with_times(self, t_ms: I64) -> OrderBlock:
        return OrderBlock(t_ms, *(getattr(self, f.name) for f in fields(self)[1:]))

    @staticmethod
    def concat(blocks: list[OrderBlock]) -> OrderBlock:
        if not blocks:
            raise ValueError("no order blocks to join")
        return OrderBlock(
            *(np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(OrderBlock))
        )


@dataclass(frozen=True, slots=True)
class _Enrolment:
    first: int
    count: int
    label: str
    group_id: str


class BuyerRegistry:
    """Hands out buyer numbers in blocks and remembers each block's label and group.

    Buyer numbers are internal; the public ``buyer_id`` is assigned from a random permutation at
    the end, so nothing about a buyer's id says which population it came from.
    """

    def __init__(self) -> None:
        self._enrolments: list[_Enrolment] = []
        self._registered: list[I64] = []
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def enrol(self, registered_ms: I64, label: str, group_id: str = "") -> I64:
        """New buyers registered at ``registered_ms`` (relative to T0); returns their numbers."""
        count = len(registered_ms)
        self._enrolments.append(_Enrolment(self._size, count, label, group_id))
        self._registered.append(np.asarray(registered_ms, dtype=np.int64))
        self._size += count
        return np.arange(self._size - count, self._size, dtype=np.int64)

    def registered_ms(self) -> I64:
        return np.concatenate(self._registered) if self._registered else np.zeros(0, np.int64)

    def labels(self) -> tuple[tuple[str, ...], tuple[str, ...], I64]:
        """``(labels, group_ids, enrolment of each buyer)``: a buyer's label is
        ``labels[enrolment[b]]``."""
        labels = tuple(e.label for e in self._enrolments)
        groups = tuple(e.group_id for e in self._enrolments)
        counts = np.array([e.count for e in self._enrolments], dtype=np.int64)
        return labels, groups, np.repeat(np.arange(len(counts), dtype=np.int64), counts)


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """One labelled ring or crowd as generated: its size and the parameters it was drawn with."""

    kind: str
    group_id: str
    label: str
    """``ring:<kind>`` or ``crowd:<kind>``."""
    buyers: int
    orders: int
    params: dict[str, int | float | str]
