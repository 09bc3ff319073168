"""The errors the rules raise, drawn once here.

::

    MegasaleError
     ├── InvalidInput              a value breaks a rule of form (names the field)
     │    ├── InvalidIdentity      an ID number or credit code that fails its checks (issue 4)
     │    ├── MistypedPickupCode   the check character or the form of a pickup code is wrong
     │    └── StoreImportRejected  a partner-store CSV with bad rows (each row named)
     ├── NotFound                  an id that names nothing
     │    ├── UnknownSku, UnknownShop, UnknownPromotion, UnknownOrder, UnknownStore
     │    ├── UnknownReturn, UnknownClaim  (issue 4)
     │    └── UnknownPickupCode, UnknownCarrier, UnknownShipment
     ├── NotAllowed                the caller may not act on this object
     │    └── PickupAtAnotherStore the code is for another partner store
     ├── PickupRefused             a valid code that cannot be redeemed now
     │    ├── PickupAlreadyCollected
     │    └── PickupExpired
     ├── TooManyAttempts           too many wrong pickup codes; carries ``retry_after_s``
     ├── WebhookRefused            a carrier call unsigned, wrongly signed or out of time
     │    └── ReplayedWebhook      an event id the carrier already sent
     ├── PlacementRejected         an order that the sale cannot take
     │    ├── PromotionNotOpen
     │    ├── SkuNotInPromotion
     │    ├── SoldOut
     │    ├── SubsidyBudgetExhausted
     │    └── BuyerLimitReached
     ├── IdempotencyConflict
     │    ├── IdempotencyKeyReused   same key, another body
     │    └── IdempotencyKeyInFlight same key, first request not answered yet
     ├── InvalidTransition         a status change the order's state machine refuses
     │    └── InvalidShipmentTransition  a carrier status that makes no sense after the last
     └── TrustRefused              the trust program cannot do this now (issue 4)
          ├── IdentityLimitReached  an identity already backs as many shops as allowed
          ├── InsufficientDeposit   the deposit cannot pay this (it never goes negative)
          ├── DepositLocked         no payback yet: cooling-off, open claims or returns
          ├── ReturnRefused         this order cannot be returned (now, or by this caller)
          └── RefundTooLarge        more than was paid less earlier refunds

Each class carries a ``code``: a stable slug that the HTTP layer turns into a problem type.
"""

from __future__ import annotations

__all__ = [
    "BuyerLimitReached",
    "DepositLocked",
    "IdempotencyConflict",
    "IdempotencyKeyInFlight",
    "IdempotencyKeyReused",
    "IdentityLimitReached",
    "InsufficientDeposit",
    "InvalidIdentity",
    "InvalidInput",
    "InvalidShipmentTransition",
    "InvalidTransition",
    "MegasaleError",
    "MistypedPickupCode",
    "NotAllowed",
    "NotFound",
    "PickupAlreadyCollected",
    "PickupAtAnotherStore",
    "PickupExpired",
    "PickupRefused",
    "PlacementRejected",
    "PromotionNotOpen",
    "RefundTooLarge",
    "ReplayedWebhook",
    "ReturnRefused",
    "SkuNotInPromotion",
    "SoldOut",
    "StoreImportRejected",
    "SubsidyBudgetExhausted",
    "TooManyAttempts",
    "TrustRefused",
    "UnknownCarrier",
    "UnknownClaim",
    "UnknownOrder",
    "UnknownPickupCode",
    "UnknownPromotion",
    "UnknownReturn",
    "UnknownShipment",
    "UnknownShop",
    "UnknownSku",
    "UnknownStore",
    "WebhookRefused",
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


# -- fulfilment (issue 5) -------------------------------------------------------------------
class MistypedPickupCode(InvalidInput):
    code = "mistyped-pickup-code"
    title = "Mistyped pickup code"

    def __init__(self, problem: str) -> None:
        super().__init__("code", problem)


class StoreImportRejected(InvalidInput):
    """A partner-store file with bad rows; ``rows`` holds ``(line, problem)`` for each."""

    code = "store-import-rejected"
    title = "Partner-store file rejected"

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        shown = "; ".join(f"line {line}: {problem}" for line, problem in rows[:50])
        more = f"; and {len(rows) - 50} more" if len(rows) > 50 else ""
        super().__init__("file", f"{len(rows)} bad rows, nothing imported: {shown}{more}")
        self.rows = rows


class UnknownPickupCode(NotFound):
    code = "unknown-pickup-code"
    title = "No pickup under this code"


class UnknownCarrier(NotFound):
    code = "unknown-carrier"
    title = "Unknown carrier"


class UnknownShipment(NotFound):
    code = "unknown-shipment"
    title = "Unknown shipment"


class PickupAtAnotherStore(NotAllowed):
    code = "pickup-at-another-store"
    title = "Pickup at another store"


class PickupRefused(MegasaleError):
    code = "pickup-refused"
    title = "Pickup refused"


class PickupAlreadyCollected(PickupRefused):
    code = "pickup-already-collected"
    title = "Already collected"


class PickupExpired(PickupRefused):
    code = "pickup-expired"
    title = "Pickup expired"


class TooManyAttempts(MegasaleError):
    code = "too-many-attempts"
    title = "Too many wrong pickup codes"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class WebhookRefused(MegasaleError):
    code = "webhook-refused"
    title = "Carrier call refused"


class ReplayedWebhook(WebhookRefused):
    code = "replayed-webhook"
    title = "Carrier event already received"


class InvalidShipmentTransition(InvalidTransition):
    code = "invalid-shipment-transition"
    title = "Invalid shipment status change"


# -- trust program (issue 4) ------------------------------------------------------------------
class InvalidIdentity(InvalidInput):
    """Says which check failed, never the number itself."""

    code = "invalid-identity"
    title = "Invalid identity number"


class UnknownReturn(NotFound):
    code = "unknown-return"
    title = "Unknown return"


class UnknownClaim(NotFound):
    code = "unknown-claim"
    title = "Unknown claim"


class TrustRefused(MegasaleError):
    code = "trust-refused"
    title = "Refused by the trust program"


class IdentityLimitReached(TrustRefused):
    code = "identity-limit-reached"
    title = "Identity backs too many shops"


class InsufficientDeposit(TrustRefused):
    code = "insufficient-deposit"
    title = "Deposit too small"


class DepositLocked(TrustRefused):
    code = "deposit-locked"
    title = "Deposit not yet payable"


class ReturnRefused(TrustRefused):
    code = "return-refused"
    title = "Return refused"


class RefundTooLarge(TrustRefused):
    code = "refund-too-large"
    title = "Refund larger than what is left"
