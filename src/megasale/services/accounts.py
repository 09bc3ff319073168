"""Accounts and bearer tokens: who is calling, and in which role.

Tokens carry 256 random bits; only their SHA-256 is stored. Lookups are cached for a few
seconds per process, since every request authenticates and most come from the same buyers.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from megasale.domain.catalog import check_identifier, check_name
from megasale.domain.errors import NotAllowed
from megasale.services.ports import Account, Clock, Role, Store

__all__ = ["Accounts", "NewAccount", "hash_token", "new_id", "time_ordered_id"]


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_id(prefix: str) -> str:
    """A fresh opaque id, e.g. ``b-3q9x...``: 80 random bits, URL-safe."""
    return f"{prefix}-{secrets.token_hex(10)}"


def time_ordered_id(prefix: str, at: datetime) -> str:
    """An id that sorts by time: milliseconds since the epoch, then 64 random bits."""
    millis = int(at.timestamp() * 1000)
    return f"{prefix}-{millis:012x}{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: Account
    token: str


class Accounts:
    """Opening accounts and telling who holds a bearer token.

    A token names one account for good (tokens are not revoked yet), so a token once resolved
    is remembered for the life of the process, and :meth:`warm` resolves them all at start:
    on the order path a lookup is then a dictionary probe, never a database read on the event
    loop. Unknown tokens are remembered for ``cache_seconds`` only: an account opened by
    another process is found within that time.
    """

    def __init__(self, store: Store, clock: Clock, *, cache_seconds: float = 5.0) -> None:
        self._store = store
        self._clock = clock
        self._known: dict[bytes, Account] = {}
        self._unknown: dict[bytes, float] = {}
        self._cache_seconds = cache_seconds

    def warm(self) -> int:
        """Resolve every token in the store now; the number known."""
        self._known.update(self._store.tokens())
        return len(self._known)

    def open(
        self, role: Role, name: str, *, account_id: str | None = None, store_id: str | None = None
    ) -> NewAccount:
        name = check_name("name", name)
        account_id = check_identifier("account_id", account_id or new_id(role.value[0]))
        if role is Role.CLERK:
            if store_id is None:
                raise NotAllowed("a clerk account belongs to one partner store")
            self._store.get_store(store_id)
        token = secrets.token_urlsafe(32)
        account = Account(account_id, role, name, store_id, self._clock.now())
        digest = hash_token(token)
        self._store.add_accounts([(account, digest)])
        self._known[digest] = account
        return NewAccount(account, token)

    def open_buyers(self, names: list[str]) -> list[NewAccount]:
        """Many buyer accounts in one transaction (seeding, simulations)."""
        made = []
        now = self._clock.now()
        for name in names:
            account = Account(new_id("b"), Role.BUYER, check_name("name", name), created_at=now)
            made.append(NewAccount(account, secrets.token_urlsafe(32)))
        pairs = [(m.account, hash_token(m.token)) for m in made]
        self._store.add_accounts(pairs)
        self._known.update((digest, account) for account, digest in pairs)
        return made

    def authenticate(self, token: str) -> Account | None:
        digest = hash_token(token)
        known = self._known.get(digest)
        if known is not None:
            return known
        now = time.monotonic()
        if self._unknown.get(digest, 0.0) > now:
            return None
        account = self._store.account_for_token(digest)
        if account is None:
            if len(self._unknown) > 100_000:
                self._unknown.clear()
            self._unknown[digest] = now + self._cache_seconds
        else:
            self._known[digest] = account
        return account
