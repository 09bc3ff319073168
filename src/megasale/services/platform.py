"""The use cases wired together: what ``bootstrap`` builds and the entry points receive."""

from __future__ import annotations

from dataclasses import dataclass

from megasale.services.accounts import Accounts
from megasale.services.catalog import Catalog
from megasale.services.group_commit import GroupCommitter
from megasale.services.placement import OrderDesk
from megasale.services.ports import Clock, Store

__all__ = ["Platform"]


@dataclass
class Platform:
    store: Store
    clock: Clock
    accounts: Accounts
    catalog: Catalog
    desk: OrderDesk
    committer: GroupCommitter

    @classmethod
    def over(cls, store: Store, clock: Clock, *, max_batch: int = 512) -> Platform:
        catalog = Catalog(store)
        committer = GroupCommitter(store.take_orders, max_batch=max_batch)
        return cls(
            store=store,
            clock=clock,
            accounts=Accounts(store),
            catalog=catalog,
            desk=OrderDesk(store, catalog, committer, clock),
            committer=committer,
        )

    async def start(self) -> None:
        await self.committer.start()

    async def stop(self) -> None:
        await self.committer.stop()
