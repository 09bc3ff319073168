"""The order-log contract that outside tools rely on (the brief): its columns, once.

``megasale export-orders`` writes it, ``megasale detect`` reads it, and the scenario generator
writes labelled days in it.
"""

from __future__ import annotations

__all__ = ["OPTIONAL_COLUMNS", "ORDER_LOG_COLUMNS", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS = ("order_id", "created_at", "buyer_id", "shop_id")
OPTIONAL_COLUMNS = (
    "sku_id",
    "quantity",
    "amount_fen",
    "subsidy_fen",
    "ip",
    "device_id",
    "payment_id",
    "phone",
    "address",
    "pickup_store_id",
    "picked_up_at",
    "buyer_registered_at",
)
#: every column, in file order
ORDER_LOG_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
