"""The errors the rules raise, drawn once here.

::

    MegasaleError
     ├── InvalidInput              a value breaks a rule of form (names the field)
     ├── NotFound                  an id that names nothing
     │    ├── UnknownSku, UnknownShop, UnknownPromotion, UnknownOrder, UnknownStore
     ├── NotAllowed                the caller may not act on this object
     ├── PlacementRejected         an order that the sale cannot take
     │    ├── PromotionNotOpen
     │    ├── SkuNotInPromotion
     │    ├── SoldOut
     │    ├── SubsidyBudgetExhausted
     │    └── BuyerLimitReached
     ├── IdempotencyConflict
     │    ├── IdempotencyKeyReused   same key, another body
     │    └── IdempotencyKeyInFlight same key, first request not answered yet
     └── InvalidTransition         a status change the order's state machine refuses

Each class carries a ``code``: a stable slug that the HTTP layer turns into a problem type.
"""

from __future__ import annotations

__all__ = [
    "BuyerLimitReached",
    "IdempotencyConflict",
    "IdempotencyKeyInFlight",
    "IdempotencyKeyReused",
    "InvalidInput",
    "InvalidTransition",
    "MegasaleError",
    "NotAllowed",
    "NotFound",
    "PlacementRejected",
    "PromotionNotOpen",
    "SkuNotInPromotion",
    "SoldOut",
    "SubsidyBudgetExhausted",
    "UnknownOrder",
    "UnknownPromotion",
    "UnknownShop",
    "UnknownSku",
    "UnknownStore",
]


class MegasaleError(Exception):
    """Base of every error megasale raises on purpose."""

    code = "error"
    title = "Request refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(MegasaleError):
    code = "invalid-input"
    title = "Invalid input"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class NotFound(MegasaleError):
    code = "not-found"
    title = "Not found"


class UnknownSku(NotFound):
    code = "unknown-sku"
    title = "Unknown SKU"


class UnknownShop(NotFound):
    code = "unknown-shop"
    title = "Unknown shop"


class UnknownPromotion(NotFound):
    code = "unknown-promotion"
    title = "Unknown promotion"


class UnknownOrder(NotFound):
    code = "unknown-order"
    title = "Unknown order"


class UnknownStore(NotFound):
    code = "unknown-store"
    title = "Unknown partner store"


class NotAllowed(MegasaleError):
    code = "not-allowed"
    title = "Not allowed"


class PlacementRejected(MegasaleError):
    code = "placement-rejected"
    title = "Order not accepted"


class PromotionNotOpen(PlacementRejected):
    code = "promotion-not-open"
    title = "Promotion not open"


class SkuNotInPromotion(PlacementRejected):
    code = "sku-not-in-promotion"
    title = "SKU not in this promotion"


class SoldOut(PlacementRejected):
    code = "sold-out"
    title = "Sold out"


class SubsidyBudgetExhausted(PlacementRejected):
    code = "subsidy-budget-exhausted"
    title = "Subsidy budget exhausted"


class BuyerLimitReached(PlacementRejected):
    code = "buyer-limit-reached"
    title = "Buyer limit reached"


class IdempotencyConflict(MegasaleError):
    code = "idempotency-conflict"
    title = "Idempotency conflict"


class IdempotencyKeyReused(IdempotencyConflict):
    code = "idempotency-key-reused"
    title = "Idempotency key reused with another body"


class IdempotencyKeyInFlight(IdempotencyConflict):
    code = "idempotency-key-in-flight"
    title = "Idempotency key still in flight"


class InvalidTransition(MegasaleError):
    code = "invalid-transition"
    title = "Invalid status change"
