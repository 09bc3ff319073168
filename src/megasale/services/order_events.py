"""What the event log says about orders: the contract its consumers read.

Every order placed is one ``order.placed`` event, written in the same transaction as the order.
Its ``event_id`` is derived from the order id, so a consumer that keys on it counts each order
once whatever is redelivered.
"""

from __future__ import annotations

import msgspec

from megasale.domain.orders import Order, Pickup, Shipping

__all__ = [
    "ORDER_PLACED",
    "ORDER_STATUS_CHANGED",
    "OrderPlaced",
    "OrderStatusChanged",
    "PlacedLine",
    "decode_order_placed",
    "decode_status_changed",
    "order_placed",
    "status_changed",
]

ORDER_PLACED = "order.placed"
ORDER_STATUS_CHANGED = "order.status_changed"


class PlacedLine(msgspec.Struct, frozen=True):
    sku_id: str
    category: str
    quantity: int
    amount_fen: int
    subsidy_fen: int


class OrderPlaced(msgspec.Struct, frozen=True):
    order_id: str
    buyer_id: str
    shop_id: str
    promotion_id: str
    placed_at: str
    amount_fen: int
    subsidy_fen: int
    fulfilment: str
    pickup_store_id: str | None
    ship_address: str | None
    ip: str
    device_id: str | None
    payment_id: str | None
    lines: list[PlacedLine]


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(OrderPlaced)


def order_placed(order: Order) -> tuple[str, str, bytes]:
    """``(event_id, kind, payload)`` of the event that tells of ``order``."""
    f = order.fulfilment
    event = OrderPlaced(
        order_id=order.order_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        promotion_id=order.promotion_id,
        placed_at=order.placed_at.isoformat(),
        amount_fen=order.amount_fen,
        subsidy_fen=order.subsidy_fen,
        fulfilment=order.fulfilment.kind,
        pickup_store_id=f.store_id if isinstance(f, Pickup) else None,
        ship_address=f.address if isinstance(f, Shipping) else None,
        ip=order.client.ip,
        device_id=order.client.device_id,
        payment_id=order.client.payment_id,
        lines=[
            PlacedLine(line.sku_id, line.category, line.quantity, line.amount_fen, line.subsidy_fen)
            for line in order.lines
        ],
    )
    return f"{ORDER_PLACED}:{order.order_id}", ORDER_PLACED, _encoder.encode(event)


def decode_order_placed(payload: bytes) -> OrderPlaced:
    return _decoder.decode(payload)


class OrderStatusChanged(msgspec.Struct, frozen=True):
    """An order moved on. Money that went back is a correction to the sale's figures.

    ``refund_fen`` is paid back to the buyer now; ``released`` says the stock, the subsidy
    (``subsidy_returned_fen``, back to the promotion's budget) and the buyer's limit came back.
    """

    order_id: str
    buyer_id: str
    shop_id: str
    status: str
    previous: str
    at: str
    amount_fen: int
    refund_fen: int = 0
    released: bool = False
    subsidy_returned_fen: int = 0


_status_decoder = msgspec.json.Decoder(OrderStatusChanged)


def status_changed(event: OrderStatusChanged) -> tuple[str, str, bytes]:
    """``(event_id, kind, payload)``; one event per order and status reached."""
    event_id = f"{ORDER_STATUS_CHANGED}:{event.order_id}:{event.status}"
    return event_id, ORDER_STATUS_CHANGED, _encoder.encode(event)


def decode_status_changed(payload: bytes) -> OrderStatusChanged:
    return _status_decoder.decode(payload)
