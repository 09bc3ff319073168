"""``megasale export-orders``: the order log in the brief's format, pseudonymised.

One row per order line with the brief's column names; ``picked_up_at`` is when a clerk handed
the goods over. Payment ids (and phones, once captured) are replaced by a keyed hash: the same
value always gives the same token, so detection still links orders that share one, but the
value cannot be recovered or confirmed without the key. The key comes from configuration
(``MEGASALE_PSEUDONYM_KEY`` or a key file next to the database), never from the database.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Literal, TextIO

import msgspec

from megasale.domain.order_log import ORDER_LOG_COLUMNS
from megasale.services.fulfilment_ports import FulfilmentStore, OrderLogRow

__all__ = ["EXPORT_COLUMNS", "ExportFormat", "export_order_log", "pseudonym"]

ExportFormat = Literal["csv", "jsonl"]

#: what the platform has of the contract: no phone is captured at placement, and account age is
#: left out of the export
NOT_EXPORTED = frozenset({"phone", "buyer_registered_at"})
EXPORT_COLUMNS = tuple(c for c in ORDER_LOG_COLUMNS if c not in NOT_EXPORTED)


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """A stable token for ``value``: 128 bits of HMAC-SHA256 under ``key``, per kind of value."""
    mac = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[:3]}_{mac[:32]}"


def _time(at: datetime | None) -> str:
    return "" if at is None else at.isoformat()


def _cells(row: OrderLogRow, key: bytes) -> list[str]:
    return [
        row.order_id,
        _time(row.created_at),
        row.buyer_id,
        row.shop_id,
        row.sku_id,
        str(row.quantity),
        str(row.amount_fen),
        str(row.subsidy_fen),
        row.ip,
        row.device_id or "",
        pseudonym(key, "payment", row.payment_id) if row.payment_id else "",
        row.address or "",
        row.pickup_store_id or "",
        _time(row.picked_up_at),
    ]


def export_order_log(
    store: FulfilmentStore,
    key: bytes,
    out: TextIO,
    fmt: ExportFormat = "csv",
    *,
    chunk: int = 5_000,
) -> int:
    """Write every order line to ``out``; the number of rows written (header not counted)."""
    if len(key) < 16:
        raise ValueError("the pseudonym key must be at least 16 bytes")
    rows = 0
    chunks: Iterator[list[OrderLogRow]] = store.order_log(chunk)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for part in chunks:
            writer.writerows(_cells(r, key) for r in part)
            rows += len(part)
        return rows
    encode = msgspec.json.Encoder().encode
    for part in chunks:
        for r in part:
            record = {
                name: cell
                for name, cell in zip(EXPORT_COLUMNS, _cells(r, key), strict=True)
                if cell != ""
            }
            out.write(encode(record).decode() + "\n")
        rows += len(part)
    return rows
