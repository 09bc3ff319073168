"""The use cases wired together: what ``bootstrap`` builds and the entry points receive."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Protocol

from megasale.services.accounts import Accounts
from megasale.services.catalog import Catalog
from megasale.services.fulfilment import Fulfilment
from megasale.services.group_commit import GroupCommitter
from megasale.services.placement import Committer, OrderDesk
from megasale.services.ports import Clock, Store
from megasale.services.risk import RiskDesk
from megasale.services.trust_program import TrustProgram

__all__ = ["Background", "Platform", "settle_heap"]


class Background(Protocol):
    """A task that runs beside the API for the life of the process (a consumer, a sweeper)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def settle_heap() -> None:
    """Once start-up is done: what it made lives as long as the process, so keep it out of the
    collector's way, and collect young objects less often, so that a full collection over a
    large heap does not stall a batch of orders for tens of milliseconds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@dataclass
class Platform:
    store: Store
    clock: Clock
    accounts: Accounts
    catalog: Catalog
    desk: OrderDesk
    committer: Committer
    background: list[Background] = field(default_factory=list)
    #: the live sales screen's consumer (a ``megasale.live.runner.LiveRunner``), also in background
    live: Background | None = None
    #: the analysts' review desk for brushing rings and the subsidies they hold
    risk: RiskDesk | None = None
    #: the trust program (issue 4): badges, deposits, claims, returns, search
    trust: TrustProgram | None = None
    #: pickup codes, shipments and the backlog (issue 5); its worker is also in background
    fulfilment: Fulfilment | None = None

    @classmethod
    def over(
        cls,
        store: Store,
        clock: Clock,
        *,
        max_batch: int = 512,
        committer: Committer | None = None,
    ) -> Platform:
        """The platform over ``store``; orders are written by ``committer`` (default: a
        :class:`GroupCommitter` of this process over ``store``)."""
        catalog = Catalog(store)
        committer = committer or GroupCommitter(store.take_orders, max_batch=max_batch)
        return cls(
            store=store,
            clock=clock,
            accounts=Accounts(store, clock),
            catalog=catalog,
            desk=OrderDesk(store, catalog, committer, clock),
            committer=committer,
        )

    async def start(self) -> None:
        self.accounts.warm()
        settle_heap()
        await self.committer.start()
        for task in self.background:
            await task.start()

    async def stop(self) -> None:
        for task in reversed(self.background):
            await task.stop()
        await self.committer.stop()
