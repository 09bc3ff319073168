"""Returns: the 7 x 24 h no-reason guarantee, excluded goods, and how much may be refunded.

A shop in the returns program when the order was placed promises that the buyer may return
within 7 x 24 h of receiving the goods, without a reason: such a request is approved at once.
Anything else (outside the window, an order placed while the shop was not in the program, goods
the law excludes) needs a reason and the merchant's decision. Leaving the program only affects
orders placed afterwards, since membership is judged at the order's ``placed_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from megasale.domain.errors import InvalidInput, RefundTooLarge, ReturnRefused
from megasale.domain.money import format_yuan
from megasale.domain.orders import RECEIVED, Order

__all__ = [
    "EXCLUSIONS",
    "NO_REASON_WINDOW",
    "OPEN",
    "ReturnRoute",
    "ReturnStatus",
    "Routing",
    "check_exclusion",
    "check_refund",
    "route_return",
    "within_window",
]

NO_REASON_WINDOW = timedelta(days=7)

#: what the law lets a shop exclude from no-reason returns, with the note shown to buyers
EXCLUSIONS: Mapping[str, str] = {
    "custom_made": "Made to the buyer's order: not returnable without a reason.",
    "perishable": "Perishable goods: not returnable without a reason.",
    "digital_unsealed": "Audio, video or software once unsealed: not returnable without a reason.",
    "installed_fixture": "Installed to the buyer's home on request: not returnable without a "
    "reason.",
}


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # waits for the merchant's decision
    APPROVED = "approved"  # the buyer sends the goods back
    REJECTED = "rejected"
    REFUNDED = "refunded"


OPEN = frozenset({ReturnStatus.REQUESTED, ReturnStatus.APPROVED})


class ReturnRoute(StrEnum):
    NO_REASON = "no_reason"  # approved at once
    MERCHANT_DECIDES = "merchant_decides"


@dataclass(frozen=True, slots=True)
class Routing:
    route: ReturnRoute
    why: str


def check_exclusion(reason: str | None) -> str | None:
    if reason is not None and reason not in EXCLUSIONS:
        raise InvalidInput("exclusion_reason", f"must be one of {', '.join(EXCLUSIONS)}")
    return reason


def within_window(received_at: datetime, at: datetime) -> bool:
    """True from receipt up to and including exactly 7 x 24 h later."""
    return received_at <= at <= received_at + NO_REASON_WINDOW


def route_return(
    order: Order,
    at: datetime,
    *,
    guaranteed: bool,
    excluded_skus: frozenset[str],
    reason: str | None,
) -> Routing:
    """Which way a request goes; refuse one that cannot be made at all."""
    if order.status not in RECEIVED or order.received_at is None:
        raise ReturnRefused(
            f"order {order.order_id} is {order.status}: a return starts once the goods arrived"
        )
    excluded = sorted(line.sku_id for line in order.lines if line.sku_id in excluded_skus)
    if not guaranteed:
        why = "the shop did not offer no-reason returns when this order was placed"
    elif not within_window(order.received_at, at):
        why = "more than 7 x 24 h have passed since the goods arrived"
    elif excluded:
        why = f"{', '.join(excluded)} is excluded from no-reason returns"
    else:
        return Routing(ReturnRoute.NO_REASON, "within 7 x 24 h of receipt, no reason needed")
    if not reason or not reason.strip():
        raise InvalidInput("reason", f"a reason is needed: {why}")
    return Routing(ReturnRoute.MERCHANT_DECIDES, why)


def check_refund(fen: int, pay_fen: int, refunded_fen: int) -> int:
    """A refund no larger than what the buyer paid less what was refunded before."""
    left = pay_fen - refunded_fen
    if fen <= 0:
        raise InvalidInput("refund_fen", "a refund is a positive number of fen")
    if fen > left:
        raise RefundTooLarge(
            f"at most {format_yuan(left)} is left to refund on this order "
            f"(paid {format_yuan(pay_fen)}, refunded {format_yuan(refunded_fen)})"
        )
    return fen
