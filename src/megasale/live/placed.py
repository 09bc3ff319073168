"""What the live screen reads of an ``order.placed`` event, and its decoder.

A narrower view of :class:`~megasale.services.order_events.OrderPlaced` (the contract, which
this module does not change): msgspec skips the fields the screen does not show (SKU, IP,
device, payment, the fulfilment kind, which ``pickup_store_id`` already tells) without
building them, which is most of what decoding costs.
"""

from __future__ import annotations

import msgspec

__all__ = ["PlacedLine", "PlacedOrder", "decode_placed"]


class PlacedLine(msgspec.Struct, gc=False):
    category: str
    quantity: int
    amount_fen: int


class PlacedOrder(msgspec.Struct, gc=False):
    order_id: str
    buyer_id: str
    shop_id: str
    promotion_id: str
    placed_at: str
    amount_fen: int
    subsidy_fen: int
    lines: list[PlacedLine]
    pickup_store_id: str | None = None
    ship_address: str | None = None


decode_placed = msgspec.json.Decoder(PlacedOrder).decode
