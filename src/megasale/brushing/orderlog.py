"""Read the brief's order log (CSV with a header, or JSON Lines) into an :class:`OrderTable`.

Every cell is read as text, checked column by column, then converted in bulk. The first bad
row stops the read with an :class:`OrderLogError` that names the file, the line, the column and
what was wrong: nothing is silently dropped.
"""

from __future__ import annotations

import csv
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from megasale.brushing.frame import (
    MISSING,
    Codes,
    Names,
    OrderTable,
    encode,
    small_pages,
    sort_integers,
)
from megasale.brushing.log_times import fixed_width_times, layout_bytes, other_times
from megasale.brushing.views import (
    building_expr,
    device_family_expr,
    phone_block_expr,
    subnet_expr,
)
from megasale.domain.order_log import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

__all__ = [
    "ALIASES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "LogFormat",
    "OrderLogError",
    "read_order_log",
    "table_from_frames",
]

LogFormat = Literal["csv", "jsonl", "auto"]

ALIASES = {
    "orderid": "order_id",
    "shopid": "shop_id",
    "userid": "buyer_id",
    "event_time": "created_at",
}
_TIME_COLUMNS = ("created_at", "picked_up_at", "buyer_registered_at")
_INT_COLUMNS = {"quantity": 1, "amount_fen": 0, "subsidy_fen": 0}  # column -> smallest value
_BAD_TIME = "not a time: expected ISO 8601 with an offset or YYYY-MM-DD HH:MM:SS"


class OrderLogError(ValueError):
    """An order log that cannot be read: ``path``, 1-based ``line``, ``column``, ``reason``."""

    def __init__(self, path: Path, line: int | None, column: str | None, reason: str) -> None:
        self.path, self.line, self.column, self.reason = path, line, column, reason
        where = f"{path}" + (f", line {line}" if line is not None else "")
        where += f", column {column}" if column is not None else ""
        super().__init__(f"{where}: {reason}")


def read_order_log(
    path: str | Path, fmt: LogFormat = "auto", local_timezone: str = "UTC"
) -> OrderTable:
    """Read an order log; times without an offset are wall-clock time in ``local_timezone``."""
    path = Path(path)
    fmt = _guess_format(path) if fmt == "auto" else fmt
    with small_pages():  # many short-lived large arrays: see :func:`small_pages`
        frame = _read_csv(path) if fmt == "csv" else _read_jsonl(path)
        frame = _canonical_columns(frame, path, fmt)
        parsed = _parse(frame, path, fmt, local_timezone)
        return table_from_frames(frame, parsed)


def _guess_format(path: Path) -> Literal["csv", "jsonl"]:
    if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    return "jsonl" if head.startswith(b"{") else "csv"


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, infer_schema=False, raise_if_empty=False)
    except (pl.exceptions.PolarsError, OSError) as error:
        _locate_csv_problem(path)
        raise OrderLogError(path, None, None, f"not a readable CSV file ({error})") from error


def _locate_csv_problem(path: Path) -> None:
    with path.open(newline="", encoding="utf-8", errors="strict") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
            for row in reader:
                if row and len(row) != len(header):
                    raise OrderLogError(
                        path,
                        reader.line_num,
                        None,
                        f"{len(row)} fields where the header has {len(header)}",
                    )
        except UnicodeDecodeError as error:
            raise OrderLogError(path, None, None, f"not UTF-8 text ({error})") from error
        except csv.Error as error:
            raise OrderLogError(path, reader.line_num, None, str(error)) from error


def _read_jsonl(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_ndjson(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as error:
        _locate_jsonl_problem(path)
        raise OrderLogError(path, None, None, f"not readable JSON Lines ({error})") from error
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List | pl.Struct | pl.Array):
            row = int(frame[name].is_not_null().arg_max() or 0)
            raise OrderLogError(path, _jsonl_line(path, row), name, "a nested value, not a scalar")
    return frame.with_columns(pl.all().cast(pl.String))


def _locate_jsonl_problem(path: Path) -> None:
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise OrderLogError(path, number, None, f"not JSON ({error.msg})") from error
            if not isinstance(value, dict):
                raise OrderLogError(path, number, None, "not a JSON object")


def _jsonl_line(path: Path, row: int) -> int:
    seen = -1
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            seen += bool(text.strip())
            if seen == row:
                return number
    return row + 1


def _csv_line(path: Path, row: int) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        seen = -1
        for record in reader:
            seen += bool(record)
            if seen == row:
                return reader.line_num
    return row + 2


def _line_of(path: Path, fmt: str, row: int) -> int:
    return _csv_line(path, row) if fmt == "csv" else _jsonl_line(path, row)


def _canonical_columns(frame: pl.DataFrame, path: Path, fmt: str) -> pl.DataFrame:
    renames = {a: c for a, c in ALIASES.items() if a in frame.columns and c not in frame.columns}
    frame = frame.rename(renames)
    header_line = 1 if fmt == "csv" else None
    for column in REQUIRED_COLUMNS:
        if column not in frame.columns:
            alias = [a for a, c in ALIASES.items() if c == column]
            also = f" (or {alias[0]})" if alias else ""
            raise OrderLogError(path, header_line, column, f"required column{also} is missing")
    keep = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in frame.columns]
    if fmt == "csv":
        return frame.select(keep)  # the CSV reader already reads empty cells as missing
    empty_is_missing = [
        pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).otherwise(None).alias(c)
        for c in keep
    ]
    return frame.select(empty_is_missing)


def _parse(frame: pl.DataFrame, path: Path, fmt: str, local_timezone: str) -> pl.DataFrame:
    """Times and whole numbers, converted; the first bad cell raises :class:`OrderLogError`."""
    times = [c for c in _TIME_COLUMNS if c in frame.columns]
    numbers = [c for c in _INT_COLUMNS if c in frame.columns]
    # A lazy query: polars reads the columns side by side (an eager select runs them in turn).
    parsed = (
        frame.lazy()
        .select(
            [layout_bytes(c) for c in times]
            + [pl.col(c).str.strip_chars().cast(pl.Int64, strict=False) for c in numbers]
        )
        .collect()
    )
    for column in times:
        values, valid = fixed_width_times(parsed[column].to_numpy())
        times_of = pl.select(pl.when(pl.Series(valid)).then(pl.Series(column, values))).to_series()
        left = np.flatnonzero(frame[column].is_not_null().to_numpy() & ~valid)
        if left.size:
            times_of = times_of.scatter(left, other_times(frame[column][left], local_timezone))
        parsed = parsed.with_columns(times_of.alias(column))
    parsed = parsed.select(*times, *numbers)
    problems: list[tuple[str, pl.Series, str]] = [
        (c, frame[c].is_null(), "empty, but this column is required") for c in REQUIRED_COLUMNS
    ]
    problems += [(c, frame[c].is_not_null() & parsed[c].is_null(), _BAD_TIME) for c in times]
    for column in numbers:
        least = _INT_COLUMNS[column]
        bad = frame[column].is_not_null() & (parsed[column].is_null() | (parsed[column] < least))
        problems.append((column, bad, f"not a whole number of at least {least}"))
    for column, mask, reason in problems:
        if mask.any():
            row = int(mask.arg_max() or 0)
            value = frame[column][row]
            shown = "" if value is None else f" ({value!r})"
            raise OrderLogError(path, _line_of(path, fmt, row), column, f"{reason}{shown}")
    return parsed


def _codes(series: pl.Series, exact: bool) -> tuple[Codes, Names]:
    """Dense codes of a text column and the text of each code.

    A code is the rank of the value's 64-bit hash among the column's distinct hashes, and its
    text is the value at its first row, picked out only when read. When ``exact`` (buyers and
    shops, whose names are the output), a collision (two texts, one code) is caught by
    comparing every value with the text of its code, and the column is encoded the slow way.
    For the identifier views a collision, about one chance in 10^7 on a million distinct
    values, would link two strangers through one value.
    """
    present = series.is_not_null().to_numpy()
    complete = bool(present.all())
    hashes = series.hash().to_numpy()
    present_codes, first = _hash_ranks(hashes if complete else hashes[present])
    first_rows = first if complete else np.flatnonzero(present)[first]
    if exact:
        # From one chunk: a gather across the reader's hundred-odd chunks costs ten times more.
        names = series.rechunk().gather(first_rows)
        values = series if complete else series.filter(pl.Series(present))
        if not (names.gather(present_codes) == values).all():
            physical = series.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(MISSING)
            codes, first_rows = encode(physical.to_numpy())
            return codes, Names(series.gather(first_rows))
        distinct_names = Names(names)
    else:
        distinct_names = Names(series, first_rows)
    if complete:
        return present_codes, distinct_names
    codes = np.full(series.len(), MISSING, dtype=np.int32)
    codes[present] = present_codes
    return codes, distinct_names


def _hash_ranks(hashes: npt.NDArray[np.uint64]) -> tuple[Codes, npt.NDArray[np.int64]]:
    """Per value, the rank of its hash among the distinct hashes; per rank, the first row.

    What ``np.unique(hashes, return_inverse=True)`` gives, from one plain sort of packed keys
    (the hash's high bits over the row number), which costs a quarter of an argsort
    (:func:`~megasale.brushing.frame.sort_integers`): equal hashes come out in row order, so
    the first of each run is its first row. When two distinct hashes share their high bits
    (about one column in fifty at a million distinct values) the packed order is not quite
    the hash order: a stable sort of that nearly sorted order by the whole hash, a few
    milliseconds, puts it right.
    """
    n = hashes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    bits = np.uint64(max(n - 1, 1).bit_length())
    packed = hashes >> bits
    packed <<= bits
    packed |= np.arange(n, dtype=np.uint64)
    order = (sort_integers(packed) & np.uint64((1 << int(bits)) - 1)).astype(np.int64)
    del packed
    ordered = hashes[order]
    if not bool((ordered[1:] >= ordered[:-1]).all()):
        # Equal hashes stay in row order: they were, and the sort is stable.
        fix = np.argsort(ordered, kind="stable")
        order, ordered = order[fix], ordered[fix]
    starts = np.empty(n, dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    codes = np.empty(n, dtype=np.int32)
    codes[order] = np.cumsum(starts, dtype=np.int32) - 1
    return codes, order[starts]


_VIEWS = {
    "buyer": "buyer_id",
    "shop": "shop_id",
    "sku": "sku_id",
    "ip": "ip",
    "device": "device_id",
    "payment": "payment_id",
    "phone": "phone",
    "address": "address",
}
_DERIVED = {  # view -> (the view it is computed from, the rule)
    "subnet": ("ip", subnet_expr),
    "phone_block": ("phone", phone_block_expr),
    "building": ("address", building_expr),
    "device_family": ("device", device_family_expr),
}


def table_from_frames(text: pl.DataFrame, parsed: pl.DataFrame) -> OrderTable:
    """Build an :class:`OrderTable` from columns already in memory.

    ``text`` holds the identifier columns as strings (``pl.String``), by their order-log names:
    ``order_id``, ``buyer_id`` and ``shop_id`` are required, ``sku_id``, ``ip``, ``device_id``,
    ``payment_id``, ``phone`` and ``address`` switch their views on (a column left out means the
    view is not used; null is a missing value); other columns are ignored. ``parsed`` has the
    same rows and holds ``created_at`` (required), ``picked_up_at`` and
    ``buyer_registered_at`` as integer microseconds since the epoch, UTC (null is missing),
    and ``quantity``, ``amount_fen`` and ``subsidy_fen`` as integers (null is missing: a
    quantity of 1, no money), each optional. Nothing is validated here: that is the reader's
    work (:func:`read_order_log`).

    The derived views (subnet, phone block, building, device family) use the rules of
    :mod:`megasale.brushing.views`, so every caller sees the same buildings.

    >>> text = pl.DataFrame({"order_id": ["o1", "o2"], "buyer_id": ["a", "b"],
    ...                      "shop_id": ["s", "s"], "phone": ["13800138000", "13800130001"]})
    >>> parsed = pl.DataFrame({"created_at": [0, 60_000_000]})
    >>> table = table_from_frames(text, parsed)
    >>> table.n_orders, table.n_buyers, table.n_shops, table.phone_block.tolist()
    (2, 2, 1, [0, 0])
    """
    columns = {view: c for view, c in _VIEWS.items() if c in text.columns}
    # Every text rule in one pass (polars runs them side by side); a derived view is coded
    # like any other column, so the codes do not depend on how the rows were grouped.
    rules = [pl.col(c).alias(view) for view, c in columns.items() if view != "address"]
    rules += [
        rule(columns[source]).alias(view)
        for view, (source, rule) in _DERIVED.items()
        if source in columns
    ]
    texts = text.lazy().select(rules).collect()  # a lazy query runs its columns in parallel
    fields: dict[str, object] = {}
    names: dict[str, Names] = {}
    # Hashing, sorting and gathering release the GIL: encode the columns side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        encoded = pool.map(
            lambda view: _codes(texts[view], view in {"buyer", "shop"}), texts.columns
        )
        for view, (codes, distinct_names) in zip(texts.columns, encoded, strict=True):
            fields[view], names[view] = codes, distinct_names
    for column in _INT_COLUMNS:
        if column in parsed.columns:
            fields[column] = parsed[column].fill_null(0 if column != "quantity" else 1).to_numpy()
    for column, view in (("picked_up_at", "picked_up"), ("buyer_registered_at", "registered")):
        if column in parsed.columns:
            fields[view] = parsed[column].fill_null(MISSING).to_numpy()
    return OrderTable(
        order_ids=Names(text["order_id"]),
        created=parsed["created_at"].to_numpy().astype(np.int64),
        buyer_names=names.pop("buyer"),
        shop_names=names.pop("shop"),
        sku_names=names.get("sku"),
        names=names,
        **fields,  # type: ignore[arg-type]
    )


_to_table = table_from_frames
"""The former private name, kept until :mod:`megasale.brushing.streaming` uses the public one."""
