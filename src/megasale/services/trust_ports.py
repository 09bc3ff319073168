"""The ports of the trust program: what its use cases read and write, and its settings.

Three small Protocols, one per concern, each with a SQLite adapter in ``megasale.storage``:
:class:`TrustStore` (real-name checks, memberships, the deposit ledger, claims),
:class:`ReturnsStore` (return requests, refunds, per-SKU exclusions) and :class:`SearchIndex`.
Each write that must hold a rule (a deposit never negative, a refund never above what was paid)
checks it inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from megasale.domain.badges import ShopTrust, TrustWeights
from megasale.domain.deposits import DepositPolicy
from megasale.domain.ledger import Transaction

__all__ = [
    "PROGRAMS",
    "Claim",
    "IdentityCheck",
    "Membership",
    "Offer",
    "ReturnRequest",
    "ReturnsStore",
    "SearchIndex",
    "SkuHit",
    "TrustConfig",
    "TrustStore",
]

PROGRAMS = ("deposit", "returns")


@dataclass(frozen=True)
class TrustConfig:
    """Everything the trust program lets an operator tune."""

    max_shops_per_identity: int = 3
    deposit: DepositPolicy = field(default_factory=DepositPolicy)
    #: days after a return is approved when the refund goes out without the merchant
    auto_refund_after: timedelta = timedelta(days=10)
    weights: TrustWeights = field(default_factory=TrustWeights)
    badge_cache_seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    check_id: str
    shop_id: str
    kind: str
    legal_name: str
    masked: str
    status: str
    submitted_at: datetime
    note: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    shop_id: str
    program: str
    joined_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    claim_id: str
    order_id: str
    buyer_id: str
    shop_id: str
    description: str
    asked_fen: int
    status: str
    filed_at: datetime
    awarded_fen: int = 0
    note: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    return_id: str
    order_id: str
    buyer_id: str
    shop_id: str
    route: str
    why: str
    status: str
    requested_at: datetime
    reason: str | None = None
    note: str | None = None
    approved_at: datetime | None = None
    closed_at: datetime | None = None
    refunded_fen: int = 0


@dataclass(frozen=True, slots=True)
class SkuHit:
    sku_id: str
    shop_id: str
    shop_name: str
    name: str
    category: str
    list_price_fen: int
    stock_left: int
    #: higher is better (the negated bm25); 0 when listing without a query
    relevance: float


@dataclass(frozen=True, slots=True)
class Offer:
    """A SKU's best open promotion price."""

    promotion_id: str
    promotion_name: str
    promo_price_fen: int
    ends_at: datetime


class TrustStore(Protocol):
    # real-name checks
    def submit_identity(
        self, check: IdentityCheck, digest: bytes, max_shops: int
    ) -> IdentityCheck: ...
    def decide_identity(
        self,
        shop_id: str,
        allowed_from: frozenset[str],
        status: str,
        note: str | None,
        at: datetime,
    ) -> IdentityCheck: ...
    def current_identity(self, shop_id: str) -> IdentityCheck | None: ...
    def identity_checks(self, status: str, limit: int) -> list[IdentityCheck]: ...

    # memberships
    def join(self, shop_id: str, program: str, at: datetime) -> Membership: ...
    def leave(self, shop_id: str, program: str, at: datetime) -> Membership: ...
    def memberships(self, shop_id: str, program: str) -> list[Membership]: ...

    # the deposit ledger
    def post(self, txn: Transaction, never_negative: Sequence[str]) -> None:
        """Record ``txn``; refuse it if any account in ``never_negative`` would end below 0."""
        ...

    def balance(self, account: str) -> int: ...
    def transactions(self, shop_id: str) -> list[Transaction]: ...
    def pay_back(
        self, shop_id: str, policy: DepositPolicy, txn_id: str, at: datetime
    ) -> Transaction | None:
        """Pay the whole balance back if :func:`check_payback` allows, in one write."""
        ...

    # claims
    def file_claim(self, claim: Claim) -> Claim: ...
    def award_claim(self, claim_id: str, fen: int, txn_id: str, at: datetime) -> Claim: ...
    def dismiss_claim(self, claim_id: str, note: str, at: datetime) -> Claim: ...
    def get_claim(self, claim_id: str) -> Claim: ...
    def claims(self, status: str | None, shop_id: str | None, limit: int) -> list[Claim]: ...

    # what badges derive from
    def trust_state(self, shop_id: str, at: datetime, policy: DepositPolicy) -> ShopTrust: ...


class ReturnsStore(Protocol):
    def guaranteed_at(self, shop_id: str, at: datetime) -> bool:
        """Whether the shop was in the returns program at ``at``."""
        ...

    def exclusions(self, sku_ids: Sequence[str]) -> Mapping[str, str]:
        """``sku_id -> exclusion reason`` for the SKUs excluded from no-reason returns."""
        ...

    def set_exclusion(self, sku_id: str, reason: str | None) -> None: ...
    def open_return(self, request: ReturnRequest) -> ReturnRequest: ...
    def decide_return(
        self, return_id: str, status: str, note: str | None, at: datetime
    ) -> ReturnRequest:
        """Move a ``requested`` return to ``approved`` or ``rejected``."""
        ...

    def refund_return(
        self, return_id: str, fen: int | None, refund_id: str, at: datetime
    ) -> ReturnRequest:
        """Refund an approved return (``None``: all that is left) and mark the order returned."""
        ...

    def get_return(self, return_id: str) -> ReturnRequest: ...
    def returns_of_shop(
        self, shop_id: str, status: str | None, limit: int
    ) -> list[ReturnRequest]: ...
    def returns_of_order(self, order_id: str) -> list[ReturnRequest]: ...
    def approved_before(self, at: datetime, limit: int) -> list[str]: ...
    def refunded_fen(self, order_id: str) -> int: ...


class SearchIndex(Protocol):
    def search(self, match: str | None, limit: int) -> list[SkuHit]:
        """SKUs matching an FTS5 ``match`` expression, best first; all SKUs for ``None``."""
        ...

    def skus_of_shop(self, shop_id: str, limit: int) -> list[SkuHit]: ...
    def sku(self, sku_id: str) -> SkuHit | None: ...
    def offers(self, sku_ids: Sequence[str], at: datetime) -> Mapping[str, Offer]: ...
