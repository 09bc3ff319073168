"""The columnar order table that every view and detector reads.

One row per order line. Identifiers are dense integer codes (``-1`` for a missing value) with
the original strings kept beside them, so detectors work on numpy arrays and only the outputs
go back to strings. Times are integer microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "MISSING",
    "Codes",
    "IntArray",
    "Names",
    "OrderTable",
    "TimeArray",
    "by_shop_and_time",
    "distinct",
    "encode",
    "small_pages",
    "sort_integers",
]

IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int32]

MISSING = -1
"""Code and time value that stands for an empty cell."""


_PAGES_LOCK = threading.Lock()
_PAGES_USERS = 0
_PAGES_BEFORE = True


@contextmanager
def small_pages() -> Iterator[None]:
    """Within the block, numpy does not ask the kernel for huge pages for its large arrays.

    numpy advises huge pages (``madvise``) for every array of 4 MiB or more. The readers and
    detectors make hundreds of such arrays that live a few milliseconds, and on a kernel that
    compacts memory on demand for those requests (``defrag`` set to ``madvise``, a common
    default) each costs more in system time than it saves: at a million orders, reading
    (after the CSV parse) and detection spent 1.1-1.3 s of system time with them and about
    0.6 s without. Results do not change. Nested and concurrent blocks are counted: the
    setting is restored when the last one ends.
    """
    global _PAGES_USERS, _PAGES_BEFORE
    # numpy's own switch (what ``NUMPY_MADVISE_HUGEPAGE=0`` sets at import); absent, no-op.
    setter = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(setter, "_set_madvise_hugepage", None)
    with _PAGES_LOCK:
        if _PAGES_USERS == 0 and setter is not None:
            _PAGES_BEFORE = bool(setter(False))
        _PAGES_USERS += 1
    try:
        yield
    finally:
        with _PAGES_LOCK:
            _PAGES_USERS -= 1
            if _PAGES_USERS == 0 and setter is not None:
                setter(_PAGES_BEFORE)


_POLARS_SORT_FROM = 1 << 16
"""Arrays of at least this many integers are sorted by polars."""


def sort_integers(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``np.sort`` of an integer array, by polars when it is large (the result may be
    read-only).

    polars sorts a million 64-bit integers with half the CPU time of numpy's sort (about 26
    against 51 ms here, spread over two threads). Integers have one sorted order, so the
    result is the same.
    """
    if values.shape[0] < _POLARS_SORT_FROM or values.dtype.kind not in "iu":
        return np.sort(values)
    ordered: npt.NDArray[Any] = pl.Series(values).sort().to_numpy()
    return ordered


def distinct(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Sorted distinct values; ``np.unique`` without flags takes a slower hashing path.

    Large integer arrays are sorted by :func:`sort_integers`.
    """
    ordered = sort_integers(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def by_shop_and_time(shop: Codes, created: TimeArray) -> IntArray:
    """Rows by shop, then time, then row: ``np.lexsort((created, shop))``, faster.

    Two stable passes: by time (skipped when the log is already in time order, as logs
    usually are), then by shop as 16-bit keys, which numpy sorts by radix in linear time.
    """
    n = created.shape[0]
    if n == 0 or int(shop.max()) >= 1 << 16 or int(shop.min()) < 0:
        return np.lexsort((created, shop)).astype(np.int64)
    if bool((created[1:] >= created[:-1]).all()):
        return np.argsort(shop.astype(np.uint16), kind="stable").astype(np.int64)
    by_time = np.argsort(created, kind="stable")
    return by_time[np.argsort(shop[by_time].astype(np.uint16), kind="stable")].astype(np.int64)


def encode(values: npt.NDArray[np.int64] | Codes) -> tuple[Codes, IntArray]:
    """Turn arbitrary non-negative keys (``-1`` missing) into dense codes.

    Returns the codes (``-1`` kept) and, per code, the first row where that key appears.
    """
    present = values >= 0
    uniq, first, inverse = np.unique(values[present], return_index=True, return_inverse=True)
    codes = np.full(values.shape[0], MISSING, dtype=np.int32)
    codes[present] = inverse.astype(np.int32)
    rows = np.flatnonzero(present)[first]
    order = np.argsort(rows, kind="stable")
    # Renumber so that codes follow first appearance: stable, readable, independent of hashing.
    remap = np.empty(uniq.shape[0], dtype=np.int32)
    remap[order] = np.arange(uniq.shape[0], dtype=np.int32)
    codes[present] = remap[codes[present]]
    return codes, rows[order].astype(np.int64)


class Names:
    """The original identifier strings, by code; turned into Python strings only when read.

    Indexing with an integer gives one string; with an integer or boolean array, an object
    array of strings, as a numpy array would. With ``rows``, the string of code ``i`` is
    ``values[rows[i]]``: the reader keeps a whole text column and the first row of each code,
    and only the few strings an output names are ever picked out.
    """

    __slots__ = ("_rows", "_values")

    def __init__(
        self,
        values: pl.Series | npt.NDArray[Any] | list[str],
        rows: npt.NDArray[np.int64] | None = None,
    ) -> None:
        self._values = values if isinstance(values, pl.Series) else pl.Series(list(values))
        self._rows = rows

    def __len__(self) -> int:
        return self._values.len() if self._rows is None else int(self._rows.shape[0])

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def __getitem__(self, key: int | np.integer[Any] | npt.NDArray[Any]) -> Any:
        if isinstance(key, int | np.integer):
            return self._values[int(key) if self._rows is None else int(self._rows[key])]
        index = np.asarray(key)
        if index.dtype == np.bool_:
            index = np.flatnonzero(index)
        index = index.astype(np.int64)
        if self._rows is not None:
            index = self._rows[index]
        picked = self._values.gather(index).to_list()
        out = np.empty(len(picked), dtype=object)
        out[:] = picked
        return out

    def tolist(self) -> list[Any]:
        return self.series.to_list()

    @property
    def series(self) -> pl.Series:
        """The strings as a polars Series, code order."""
        if self._rows is not None:
            self._values, self._rows = self._values.gather(self._rows), None
        return self._values


@dataclass(frozen=True, eq=False)
class OrderTable:
    """Order lines as columns.

    ``order_ids``, ``buyer_names`` and ``shop_names`` hold the original identifier strings:
    ``order_ids[i]`` for row ``i``, ``buyer_names[buyer[i]]`` for its buyer. Optional views are
    ``None`` when their column was absent from the log. ``picked_up`` and ``registered`` use
    :data:`MISSING` for empty cells.
    """

    order_ids: Names
    created: TimeArray
    buyer: Codes
    buyer_names: Names
    shop: Codes
    shop_names: Names
    sku: Codes | None = None
    sku_names: Names | None = None
    quantity: IntArray | None = None
    amount_fen: IntArray | None = None
    subsidy_fen: IntArray | None = None
    ip: Codes | None = None
    subnet: Codes | None = None
    device: Codes | None = None
    device_family: Codes | None = None
    payment: Codes | None = None
    phone: Codes | None = None
    phone_block: Codes | None = None
    building: Codes | None = None
    picked_up: TimeArray | None = None
    registered: TimeArray | None = None
    names: dict[str, Names] = field(default_factory=dict)
    """Original strings of the optional identifier views, by view name."""

    def __post_init__(self) -> None:
        # Tests and doctests build tables from plain arrays or lists of strings.
        for name in ("order_ids", "buyer_names", "shop_names", "sku_names"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Names):
                object.__setattr__(self, name, Names(value))
        for view, value in list(self.names.items()):
            if not isinstance(value, Names):
                self.names[view] = Names(value)

    @property
    def n_orders(self) -> int:
        return int(self.created.shape[0])

    @property
    def n_buyers(self) -> int:
        return int(self.buyer_names.shape[0])

    @property
    def n_shops(self) -> int:
        return int(self.shop_names.shape[0])

    def gmv_fen(self, rows: npt.NDArray[np.int64] | None = None) -> int:
        """Sum of ``amount_fen`` over ``rows`` (all rows when ``None``); 0 without the column."""
        if self.amount_fen is None:
            return 0
        values = self.amount_fen if rows is None else self.amount_fen[rows]
        return int(values.sum())

    def subsidy_total_fen(self, rows: npt.NDArray[np.int64] | None = None) -> int:
        """Sum of ``subsidy_fen`` over ``rows``; 0 without the column."""
        if self.subsidy_fen is None:
            return 0
        values = self.subsidy_fen if rows is None else self.subsidy_fen[rows]
        return int(values.sum())
