"""Orders: what a buyer asks for, how it is priced, and the status machine it moves through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from megasale.domain.catalog import Sku
from megasale.domain.errors import InvalidInput, InvalidTransition, UnknownSku
from megasale.domain.promotions import Promotion
from megasale.domain.records import fast_init

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "RECEIVED",
    "ClientContext",
    "Fulfilment",
    "Order",
    "OrderLine",
    "OrderRequest",
    "OrderStatus",
    "Pickup",
    "RequestedLine",
    "Shipping",
    "check_transition",
    "quote_order",
]

MAX_LINES = 20
MAX_QUANTITY = 99


class OrderStatus(StrEnum):
    """``placed`` means placed and paid: payment is simulated and succeeds at placement."""

    PLACED = "placed"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED = "shipped"
    COLLECTED = "collected"
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"


_NEXT: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset(
        {OrderStatus.READY_FOR_PICKUP, OrderStatus.SHIPPED, OrderStatus.CANCELLED}
    ),
    OrderStatus.READY_FOR_PICKUP: frozenset({OrderStatus.COLLECTED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
    OrderStatus.COLLECTED: frozenset({OrderStatus.RETURNED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.RETURNED}),
    OrderStatus.RETURNED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


#: the statuses in which the buyer has the goods in hand
RECEIVED = frozenset({OrderStatus.COLLECTED, OrderStatus.DELIVERED})


def check_transition(current: OrderStatus, target: OrderStatus) -> OrderStatus:
    """``target`` if the machine allows moving there from ``current``."""
    if target not in _NEXT[current]:
        allowed = ", ".join(sorted(_NEXT[current])) or "nothing (final)"
        raise InvalidTransition(
            f"an order that is {current} cannot become {target}; it can become {allowed}"
        )
    return target


@fast_init
@dataclass(frozen=True, slots=True)
class Pickup:
    store_id: str
    kind: str = "pickup"


@fast_init
@dataclass(frozen=True, slots=True)
class Shipping:
    address: str
    kind: str = "shipping"


Fulfilment = Pickup | Shipping


@fast_init
@dataclass(frozen=True, slots=True)
class ClientContext:
    """Where the order came from: the signals brushing detection reads."""

    ip: str
    device_id: str | None = None
    payment_id: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class RequestedLine:
    sku_id: str
    quantity: int


@fast_init
@dataclass(frozen=True, slots=True)
class OrderRequest:
    buyer_id: str
    promotion_id: str
    lines: Sequence[RequestedLine]
    fulfilment: Fulfilment
    client: ClientContext


@fast_init
@dataclass(frozen=True, slots=True)
class OrderLine:
    sku_id: str
    category: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    subsidy_fen: int


@fast_init
@dataclass(frozen=True, slots=True)
class Order:
    """A priced order. ``pay_fen`` is what the buyer pays: the amount less the subsidy."""

    order_id: str
    buyer_id: str
    shop_id: str
    promotion_id: str
    lines: tuple[OrderLine, ...]
    fulfilment: Fulfilment
    client: ClientContext
    placed_at: datetime
    status: OrderStatus = OrderStatus.PLACED
    #: when the buyer had the goods (collected at a store, or delivered): starts return windows
    received_at: datetime | None = None
    #: the sums over the lines, worked out once (the order path reads them many times)
    amount_fen: int = field(init=False, compare=False)
    subsidy_fen: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        amount = subsidy = 0
        for line in self.lines:
            amount += line.amount_fen
            subsidy += line.subsidy_fen
        object.__setattr__(self, "amount_fen", amount)
        object.__setattr__(self, "subsidy_fen", subsidy)

    @property
    def pay_fen(self) -> int:
        return self.amount_fen - self.subsidy_fen


def _check_lines(lines: Sequence[RequestedLine]) -> None:
    if not lines:
        raise InvalidInput("lines", "an order needs at least one line")
    if len(lines) > MAX_LINES:
        raise InvalidInput("lines", f"at most {MAX_LINES} lines per order")
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise InvalidInput(f"lines[{i}].quantity", f"must be between 1 and {MAX_QUANTITY}")
        if line.sku_id in seen:
            raise InvalidInput(
                f"lines[{i}].sku_id", "the same SKU appears twice; add the quantities"
            )
        seen.add(line.sku_id)


def quote_order(
    request: OrderRequest,
    promotion: Promotion,
    skus: Mapping[str, Sku],
    *,
    order_id: str,
    at: datetime,
) -> Order:
    """Price ``request`` under ``promotion`` at time ``at``.

    This checks everything that does not depend on shared counters: the window, that each SKU
    exists and is on promotion, that one order holds one shop's goods. Stock, budget and buyer
    limits are checked by the store inside the write that takes them.
    """
    _check_lines(request.lines)
    promotion.require_open(at)
    priced: list[tuple[Sku, int, int]] = []
    for line in request.lines:
        sku = skus.get(line.sku_id)
        if sku is None:
            raise UnknownSku(f"no SKU {line.sku_id}")
        item = promotion.item(sku.sku_id)
        priced.append((sku, line.quantity, item.promo_price_fen))
    shops = {sku.shop_id for sku, _, _ in priced}
    if len(shops) != 1:
        raise InvalidInput("lines", "one order holds the goods of one shop; split it per shop")
    amounts = [qty * price for _, qty, price in priced]
    subsidies = promotion.split_subsidy(
        [qty * promotion.subsidy_per_unit(sku.sku_id, sku.category) for sku, qty, _ in priced],
        amounts,
    )
    lines = tuple(
        OrderLine(
            sku_id=sku.sku_id,
            category=sku.category,
            quantity=qty,
            unit_price_fen=price,
            amount_fen=amount,
            subsidy_fen=subsidy,
        )
        for (sku, qty, price), amount, subsidy in zip(priced, amounts, subsidies, strict=True)
    )
    return Order(
        order_id=order_id,
        buyer_id=request.buyer_id,
        shop_id=shops.pop(),
        promotion_id=promotion.promotion_id,
        lines=lines,
        fulfilment=request.fulfilment,
        client=request.client,
        placed_at=at,
    )
