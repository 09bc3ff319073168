"""Placing an order: exactly once per idempotency key, never past stock, budget or limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from megasale.domain.errors import (
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InvalidInput,
    MegasaleError,
    PlacementRejected,
    UnknownOrder,
)
from megasale.domain.orders import Order, OrderRequest, Pickup, quote_order
from megasale.services.accounts import time_ordered_id
from megasale.services.catalog import Catalog, require_role
from megasale.services.ports import (
    Account,
    Clock,
    Placement,
    PlacementResult,
    Role,
    Store,
    StoredResponse,
)

__all__ = ["Committer", "OrderDesk", "check_idempotency_key"]


class Committer(Protocol):
    """Writes placements in batches: this process's :class:`~megasale.services.group_commit.
    GroupCommitter`, or the shared order writer's :class:`~megasale.services.order_writer.
    RemoteCommitter`."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def submit(self, placement: Placement) -> PlacementResult: ...


_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")

Render = Callable[[Order | PlacementRejected], StoredResponse]


def check_idempotency_key(key: str | None) -> str:
    if key is None:
        raise InvalidInput("Idempotency-Key", "the header is required to place an order")
    if not _KEY.match(key):
        raise InvalidInput("Idempotency-Key", "must be 1-128 visible ASCII characters")
    return key


class OrderDesk:
    """Takes buyers' orders through the group committer.

    A key is *in flight* from the moment its request reaches this process until its answer is
    committed; a second request with the key meanwhile gets :class:`IdempotencyKeyInFlight`.
    Across processes the unique key row decides: the later request finds the first answer.
    Answers decided by the writer (an order, or sold out, budget exhausted, limit reached) are
    stored under the key and replayed byte for byte; requests refused before reaching the writer
    (malformed, unknown SKU, promotion not open) store nothing, as nothing was attempted.
    """

    def __init__(self, store: Store, catalog: Catalog, committer: Committer, clock: Clock):
        self._store = store
        self._catalog = catalog
        self._committer = committer
        self._clock = clock
        self._in_flight: set[tuple[str, str]] = set()

    async def place_order(
        self,
        buyer: Account,
        key: str,
        request: OrderRequest,
        request_hash: bytes,
        render: Render,
    ) -> StoredResponse:
        require_role(buyer, Role.BUYER)
        slot = (buyer.account_id, key)
        if slot in self._in_flight:
            raise IdempotencyKeyInFlight(
                f"a request with Idempotency-Key {key!r} is still being processed; retry shortly"
            )
        self._in_flight.add(slot)
        try:
            try:
                order = self._quote(request)
            except MegasaleError:
                earlier = self._store.stored_response(buyer.account_id, key)
                if earlier is None:
                    raise
                return self._replay(key, earlier, request_hash)
            result = await self._committer.submit(Placement(order, key, request_hash, render))
            if result.key_reused or result.response is None:
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {key!r} was first used with another request body"
                )
            return result.response
        finally:
            self._in_flight.discard(slot)

    def _quote(self, request: OrderRequest) -> Order:
        promotion = self._catalog.promotion(request.promotion_id)
        skus = self._catalog.skus([line.sku_id for line in request.lines])
        if isinstance(request.fulfilment, Pickup):
            self._catalog.store(request.fulfilment.store_id)
        at = self._clock.now()
        return quote_order(request, promotion, skus, order_id=time_ordered_id("o", at), at=at)

    @staticmethod
    def _replay(
        key: str, earlier: tuple[bytes, StoredResponse], request_hash: bytes
    ) -> StoredResponse:
        first_hash, response = earlier
        if first_hash != request_hash:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was first used with another request body"
            )
        return response

    def order_of(self, buyer: Account, order_id: str) -> Order:
        """The buyer's own order; another buyer's order is reported as not found."""
        require_role(buyer, Role.BUYER)
        try:
            order = self._store.get_order(order_id)
        except MegasaleError:
            raise UnknownOrder(f"no order {order_id}") from None
        if order.buyer_id != buyer.account_id:
            raise UnknownOrder(f"no order {order_id}")
        return order

    def orders_of(self, buyer: Account, *, limit: int, before: str | None) -> list[Order]:
        require_role(buyer, Role.BUYER)
        if not 1 <= limit <= 200:
            raise InvalidInput("limit", "must be between 1 and 200")
        return self._store.orders_of(buyer.account_id, limit, before)
