"""The trust program over the SQLite store: its three adapters and services, wired together."""

from __future__ import annotations

from collections.abc import Mapping

from megasale.services.catalog import Catalog
from megasale.services.ports import Clock
from megasale.services.returns import ReturnsDesk
from megasale.services.search import SkuSearch
from megasale.services.trust import TrustService
from megasale.services.trust_ports import TrustConfig
from megasale.services.trust_program import TrustProgram
from megasale.storage.sqlite_store import SqliteStore
from megasale.storage.sqlite_trust import SqliteTrust
from megasale.storage.sqlite_trust_returns import SqliteReturns
from megasale.storage.sqlite_trust_search import SqliteSearch
from megasale.storage.trust_keys import identity_key

__all__ = ["trust_over_sqlite"]


def trust_over_sqlite(
    store: SqliteStore,
    catalog: Catalog,
    clock: Clock,
    *,
    config: TrustConfig | None = None,
    env: Mapping[str, str] | None = None,
) -> TrustProgram:
    """The trust program on ``store``'s database; the identity key comes from
    ``$MEGASALE_IDENTITY_KEY`` or a key file beside the database, never from the database."""
    config = config or TrustConfig()
    returns_store = SqliteReturns(store.db)
    service = TrustService(
        store, SqliteTrust(store.db), catalog, clock, identity_key(store.db.path, env), config
    )
    return TrustProgram(
        service=service,
        returns=ReturnsDesk(store, returns_store, catalog, clock, config),
        search=SkuSearch(SqliteSearch(store.db), service, returns_store, clock),
    )
