"""The ports the use cases run over: small Protocols that each adapter implements.

A fake or a second adapter passes the same contract tests (``tests/integration/storage``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from megasale.domain.catalog import PartnerStore, Shop, Sku
from megasale.domain.errors import PlacementRejected
from megasale.domain.orders import Order, OrderStatus
from megasale.domain.promotions import Promotion
from megasale.domain.records import fast_init

__all__ = [
    "Account",
    "Clock",
    "Event",
    "EventLog",
    "Placement",
    "PlacementResult",
    "PromotionFigures",
    "Role",
    "Store",
    "StoredResponse",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class Role(StrEnum):
    OPERATOR = "operator"
    MERCHANT = "merchant"
    BUYER = "buyer"
    CLERK = "clerk"
    ANALYST = "analyst"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    role: Role
    name: str
    store_id: str | None = None
    #: when the account was opened: a young account is one of brushing's signals
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The exact response given to the first request under an idempotency key."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Placement:
    """One order for the writer to take, with what it needs to answer the request exactly once.

    ``render`` turns the outcome into the response bytes inside the batch, so that the bytes
    stored for the key are the bytes the client is sent.
    """

    order: Order
    idempotency_key: str
    request_hash: bytes
    render: Callable[[Order | PlacementRejected], StoredResponse]


@dataclass(frozen=True, slots=True)
class PlacementResult:
    """``accepted`` is true only for the placement that created the order.

    ``replayed`` marks an earlier answer returned again; ``key_reused`` a key that came back
    with another body (nothing stored, nothing answered from the store).
    """

    response: StoredResponse | None
    accepted: bool = False
    replayed: bool = False
    key_reused: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    event_id: str
    kind: str
    payload: bytes
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PromotionFigures:
    promotion: Promotion
    budget_left_fen: int
    orders: int
    units: int
    gmv_fen: int


class EventLog(Protocol):
    def read_events(self, after_seq: int, limit: int) -> list[Event]:
        """Events with ``seq > after_seq`` in order, at most ``limit``."""
        ...

    def last_seq(self) -> int: ...

    def load_checkpoint(self, consumer: str) -> int: ...

    def save_checkpoint(self, consumer: str, seq: int) -> None: ...


class Store(EventLog, Protocol):
    """State of the platform. Every write is one transaction: all of it or none of it."""

    # accounts
    def add_accounts(self, accounts: Sequence[tuple[Account, bytes]]) -> None:
        """Add accounts, each with the hash of its first token, all in one transaction."""
        ...

    def account_for_token(self, token_hash: bytes) -> Account | None: ...
    def tokens(self) -> Iterator[tuple[bytes, Account]]:
        """Every token's hash with its account."""
        ...

    def add_token(self, account_id: str, token_hash: bytes) -> None: ...
    def opened_at(self, account_ids: Sequence[str]) -> dict[str, datetime]:
        """When each of these accounts was opened (accounts unknown or undated are left out)."""
        ...

    # catalog
    def add_catalog(
        self,
        shops: Sequence[Shop] = (),
        skus: Sequence[Sku] = (),
        stores: Sequence[PartnerStore] = (),
    ) -> None:
        """Add shops, SKUs and partner stores in one transaction (imports, replays)."""
        ...

    def add_shop(self, shop: Shop) -> None: ...
    def get_shop(self, shop_id: str) -> Shop: ...
    def shops_of(self, merchant_id: str) -> list[Shop]: ...
    def add_sku(self, sku: Sku) -> None: ...
    def get_sku(self, sku_id: str) -> Sku: ...
    def skus_of(self, shop_id: str) -> list[Sku]: ...
    def get_skus(self, sku_ids: Sequence[str]) -> dict[str, Sku]: ...
    def change_stock(self, sku_id: str, delta: int) -> int:
        """Add ``delta`` (may be negative) to the stock left; refuse to go below zero."""
        ...

    def add_store(self, store: PartnerStore) -> None: ...
    def get_store(self, store_id: str) -> PartnerStore: ...

    # promotions
    def add_promotion(self, promotion: Promotion) -> None: ...
    def get_promotion(self, promotion_id: str) -> Promotion: ...
    def top_up_budget(self, promotion_id: str, fen: int) -> int: ...
    def promotion_figures(self, promotion_id: str) -> PromotionFigures: ...

    # orders
    def take_orders(self, batch: Sequence[Placement]) -> list[PlacementResult]:
        """Take a batch of placements in one transaction, guards inside the writes.

        Each placement is accepted only if stock, the promotion's budget and the buyer's limit
        all hold at its turn; the stock, budget, limit counters, orders, events and stored
        responses commit together or not at all.
        """
        ...

    def change_order_statuses(self, changes: Sequence[tuple[str, OrderStatus, datetime]]) -> None:
        """Many status changes (no refunds, no releases) in one transaction, in order."""
        ...

    def stored_response(self, buyer_id: str, key: str) -> tuple[bytes, StoredResponse] | None:
        """The request hash and the answer kept for a buyer's idempotency key, if any."""
        ...

    def change_order_status(
        self,
        order_id: str,
        target: OrderStatus,
        at: datetime,
        *,
        refund_fen: int = 0,
        release: bool = False,
    ) -> Order:
        """Move an order on (the domain's state machine decides), with its event.

        ``release`` gives the stock, the subsidy and the buyer's limit back, once per order.
        """
        ...

    def get_order(self, order_id: str) -> Order: ...
    def orders_of(self, buyer_id: str, limit: int, before: str | None) -> list[Order]:
        """A buyer's orders, newest first; ``before`` is the last order id of the previous page."""
        ...

    def close(self) -> None: ...
