"""Returns and refunds: the 7-day no-reason guarantee, the merchant's decisions, the refund.

A request inside the guarantee is approved at once; any other needs a reason and the merchant's
decision. The refund goes out when the merchant confirms the goods came back, or by itself
``auto_refund_after`` an approval (:meth:`ReturnsDesk.refund_overdue`, run by a sweeper).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from megasale.domain.errors import InvalidTransition, NotFound, UnknownOrder, UnknownReturn
from megasale.domain.returns import ReturnRoute, ReturnStatus, check_exclusion, route_return
from megasale.services.accounts import new_id
from megasale.services.catalog import Catalog, require_role
from megasale.services.ports import Account, Clock, Role, Store
from megasale.services.trust_ports import ReturnRequest, ReturnsStore, TrustConfig

__all__ = ["RefundSweeper", "ReturnsDesk"]

_log = logging.getLogger("megasale.trust")


class ReturnsDesk:
    def __init__(
        self,
        store: Store,
        returns: ReturnsStore,
        catalog: Catalog,
        clock: Clock,
        config: TrustConfig | None = None,
    ) -> None:
        self._store = store
        self._returns = returns
        self._catalog = catalog
        self._clock = clock
        self.config = config or TrustConfig()

    # -- merchants: what may not be returned without a reason ------------------------------
    def set_exclusion(self, merchant: Account, sku_id: str, reason: str | None) -> str | None:
        """Mark an own SKU excluded from no-reason returns (``reason``), or returnable (None)."""
        self._catalog.own_sku(merchant, sku_id)
        self._returns.set_exclusion(sku_id, check_exclusion(reason))
        return reason

    def exclusion_of(self, sku_id: str) -> str | None:
        return self._returns.exclusions([sku_id]).get(sku_id)

    # -- buyers ---------------------------------------------------------------------------
    def request_return(self, buyer: Account, order_id: str, reason: str | None) -> ReturnRequest:
        require_role(buyer, Role.BUYER)
        try:
            order = self._store.get_order(order_id)
        except NotFound:
            raise UnknownOrder(f"no order {order_id}") from None
        if order.buyer_id != buyer.account_id:
            raise UnknownOrder(f"no order {order_id}")  # the same answer as for a missing one
        now = self._clock.now()
        routing = route_return(
            order,
            now,
            guaranteed=self._returns.guaranteed_at(order.shop_id, order.placed_at),
            excluded_skus=frozenset(self._returns.exclusions([x.sku_id for x in order.lines])),
            reason=reason,
        )
        at_once = routing.route is ReturnRoute.NO_REASON
        return self._returns.open_return(
            ReturnRequest(
                return_id=new_id("ret"),
                order_id=order_id,
                buyer_id=buyer.account_id,
                shop_id=order.shop_id,
                route=routing.route.value,
                why=routing.why,
                status=(ReturnStatus.APPROVED if at_once else ReturnStatus.REQUESTED).value,
                requested_at=now,
                reason=reason.strip() if reason and reason.strip() else None,
                approved_at=now if at_once else None,
            )
        )

    def returns_of_order(self, buyer: Account, order_id: str) -> list[ReturnRequest]:
        require_role(buyer, Role.BUYER)
        try:
            order = self._store.get_order(order_id)
        except NotFound:
            raise UnknownOrder(f"no order {order_id}") from None
        if order.buyer_id != buyer.account_id:
            raise UnknownOrder(f"no order {order_id}")
        return self._returns.returns_of_order(order_id)

    # -- merchants: decisions and the refund ----------------------------------------------
    def _own_return(self, merchant: Account, return_id: str) -> ReturnRequest:
        require_role(merchant, Role.MERCHANT)
        found = self._returns.get_return(return_id)
        try:
            self._catalog.own_shop(merchant, found.shop_id)
        except NotFound:
            raise UnknownReturn(f"no return {return_id}") from None
        return found

    def returns_of_shop(
        self, merchant: Account, shop_id: str, status: str | None = None, limit: int = 100
    ) -> list[ReturnRequest]:
        self._catalog.own_shop(merchant, shop_id)
        return self._returns.returns_of_shop(shop_id, status, limit)

    def approve(self, merchant: Account, return_id: str, note: str | None = None) -> ReturnRequest:
        self._own_return(merchant, return_id)
        return self._returns.decide_return(return_id, "approved", note, self._clock.now())

    def reject(self, merchant: Account, return_id: str, note: str) -> ReturnRequest:
        self._own_return(merchant, return_id)
        return self._returns.decide_return(return_id, "rejected", note, self._clock.now())

    def confirm_received(
        self, merchant: Account, return_id: str, refund_fen: int | None = None
    ) -> ReturnRequest:
        """The goods came back: refund (all that is left unless ``refund_fen`` says less)."""
        self._own_return(merchant, return_id)
        return self._returns.refund_return(return_id, refund_fen, new_id("rfd"), self._clock.now())

    def refund_overdue(self, limit: int = 500) -> list[ReturnRequest]:
        """Refund approved returns whose merchant let ``auto_refund_after`` pass."""
        now = self._clock.now()
        done = []
        for return_id in self._returns.approved_before(now - self.config.auto_refund_after, limit):
            try:
                done.append(self._returns.refund_return(return_id, None, new_id("rfd"), now))
            except InvalidTransition:  # another process refunded it first
                continue
        return done

    def run_refunds(self, operator: Account) -> list[ReturnRequest]:
        require_role(operator, Role.OPERATOR)
        return self.refund_overdue()


class RefundSweeper:
    """Runs :meth:`ReturnsDesk.refund_overdue` every ``interval`` seconds beside the API."""

    def __init__(self, desk: ReturnsDesk, interval: float = 60.0) -> None:
        self._desk = desk
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self._desk.refund_overdue)
            except Exception:  # a sweep that fails is retried next round, never fatal
                _log.exception("automatic refunds failed; retrying next round")
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
