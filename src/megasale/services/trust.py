"""The trust program's use cases: real-name checks, the deposit and its claims, memberships.

Each service is joined and left on its own. Badges are derived from the current state on every
read (:meth:`TrustService.badges_of`, cached for a moment per process) and never stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from megasale.domain.badges import Badge, derive_badges
from megasale.domain.catalog import Shop, check_name
from megasale.domain.errors import InvalidInput, NotAllowed, NotFound, UnknownOrder
from megasale.domain.identity import identity_digest, parse_identity
from megasale.domain.ledger import (
    Transaction,
    TxnKind,
    deposit_account,
    merchant_account,
    transfer,
)
from megasale.services.accounts import new_id
from megasale.services.catalog import Catalog, require_role
from megasale.services.ports import Account, Clock, Role, Store
from megasale.services.trust_ports import (
    PROGRAMS,
    Claim,
    IdentityCheck,
    Membership,
    TrustConfig,
    TrustStore,
)

__all__ = ["DepositView", "TrustService"]


def _check_program(program: str) -> None:
    if program not in PROGRAMS:
        raise InvalidInput("program", f"must be one of {', '.join(PROGRAMS)}")


@dataclass(frozen=True, slots=True)
class DepositView:
    shop_id: str
    balance_fen: int
    required_fen: int
    in_program: bool
    badge: bool
    transactions: list[Transaction]


class TrustService:
    def __init__(
        self,
        store: Store,
        trust: TrustStore,
        catalog: Catalog,
        clock: Clock,
        identity_key: bytes,
        config: TrustConfig | None = None,
    ) -> None:
        self._store = store
        self._trust = trust
        self._catalog = catalog
        self._clock = clock
        self._key = identity_key
        self.config = config or TrustConfig()
        self._badges: dict[str, tuple[float, frozenset[Badge]]] = {}

    # -- badges ---------------------------------------------------------------------------
    def badges_of(self, shop_id: str) -> frozenset[str]:
        """The shop's current badges, derived; cached ``badge_cache_seconds`` per process."""
        now = time.monotonic()
        hit = self._badges.get(shop_id)
        if hit is not None and hit[0] > now:
            return frozenset(hit[1])
        badges = derive_badges(
            self._trust.trust_state(shop_id, self._clock.now(), self.config.deposit)
        )
        if len(self._badges) > 100_000:
            self._badges.clear()
        self._badges[shop_id] = (now + self.config.badge_cache_seconds, badges)
        return frozenset(badges)

    def _changed(self, shop_id: str) -> None:
        self._badges.pop(shop_id, None)

    # -- real-name verification -----------------------------------------------------------
    def submit_identity(
        self, merchant: Account, shop_id: str, *, legal_name: str, kind: str, number: str
    ) -> IdentityCheck:
        self._catalog.own_shop(merchant, shop_id)
        now = self._clock.now()
        identity = parse_identity(kind, number, today=date(now.year, now.month, now.day))
        check = IdentityCheck(
            check_id=new_id("idc"),
            shop_id=shop_id,
            kind=identity.kind.value,
            legal_name=check_name("legal_name", legal_name),
            masked=identity.masked,
            status="pending",
            submitted_at=now,
        )
        digest = identity_digest(self._key, identity)
        del identity
        saved = self._trust.submit_identity(check, digest, self.config.max_shops_per_identity)
        self._changed(shop_id)
        return saved

    def withdraw_identity(self, merchant: Account, shop_id: str) -> IdentityCheck:
        self._catalog.own_shop(merchant, shop_id)
        return self._decide(shop_id, {"pending", "verified"}, "withdrawn", None)

    def identity_of(self, merchant: Account, shop_id: str) -> IdentityCheck | None:
        self._catalog.own_shop(merchant, shop_id)
        return self._trust.current_identity(shop_id)

    def pending_identities(self, operator: Account, limit: int = 100) -> list[IdentityCheck]:
        require_role(operator, Role.OPERATOR)
        return self._trust.identity_checks("pending", limit)

    def verify_identity(self, operator: Account, shop_id: str) -> IdentityCheck:
        require_role(operator, Role.OPERATOR)
        return self._decide(shop_id, {"pending"}, "verified", None)

    def reject_identity(self, operator: Account, shop_id: str, reason: str) -> IdentityCheck:
        require_role(operator, Role.OPERATOR)
        return self._decide(shop_id, {"pending"}, "rejected", check_name("reason", reason))

    def revoke_identity(self, operator: Account, shop_id: str, reason: str) -> IdentityCheck:
        require_role(operator, Role.OPERATOR)
        return self._decide(shop_id, {"verified"}, "revoked", check_name("reason", reason))

    def _decide(
        self, shop_id: str, allowed: set[str], status: str, note: str | None
    ) -> IdentityCheck:
        self._store.get_shop(shop_id)
        done = self._trust.decide_identity(
            shop_id, frozenset(allowed), status, note, self._clock.now()
        )
        self._changed(shop_id)
        return done

    # -- memberships ----------------------------------------------------------------------
    def join(self, merchant: Account, shop_id: str, program: str) -> Membership:
        self._catalog.own_shop(merchant, shop_id)
        _check_program(program)
        joined = self._trust.join(shop_id, program, self._clock.now())
        self._changed(shop_id)
        return joined

    def leave(self, merchant: Account, shop_id: str, program: str) -> Membership:
        """Leave a program now; for returns this binds only orders placed from now on."""
        self._catalog.own_shop(merchant, shop_id)
        _check_program(program)
        left = self._trust.leave(shop_id, program, self._clock.now())
        self._changed(shop_id)
        return left

    # -- the deposit ----------------------------------------------------------------------
    def top_up(self, merchant: Account, shop_id: str, fen: int) -> DepositView:
        shop = self._catalog.own_shop(merchant, shop_id)
        if not any(m.left_at is None for m in self._trust.memberships(shop_id, "deposit")):
            raise NotAllowed(f"shop {shop_id} is not in the deposit program; join it first")
        self._trust.post(
            transfer(
                new_id("txn"),
                TxnKind.TOP_UP,
                shop_id,
                source=merchant_account(shop_id),
                target=deposit_account(shop_id),
                fen=fen,
                at=self._clock.now(),
            ),
            [deposit_account(shop_id)],
        )
        self._changed(shop_id)
        return self._view(shop)

    def pay_back(self, merchant: Account, shop_id: str) -> DepositView:
        """Pay the balance back, once the shop left and cooling-off passed with nothing open."""
        shop = self._catalog.own_shop(merchant, shop_id)
        if any(m.left_at is None for m in self._trust.memberships(shop_id, "deposit")):
            raise NotAllowed("a shop still in the deposit program keeps its deposit")
        self._trust.pay_back(shop_id, self.config.deposit, new_id("txn"), self._clock.now())
        self._changed(shop_id)
        return self._view(shop)

    def deposit_of(self, merchant: Account, shop_id: str) -> DepositView:
        return self._view(self._catalog.own_shop(merchant, shop_id))

    def _view(self, shop: Shop) -> DepositView:
        state = self._trust.trust_state(shop.shop_id, self._clock.now(), self.config.deposit)
        return DepositView(
            shop_id=shop.shop_id,
            balance_fen=state.deposit_fen,
            required_fen=state.required_fen,
            in_program=state.in_deposit_program,
            badge=Badge.DEPOSIT in derive_badges(state),
            transactions=self._trust.transactions(shop.shop_id),
        )

    # -- buyer claims ---------------------------------------------------------------------
    def file_claim(
        self, buyer: Account, order_id: str, *, description: str, asked_fen: int
    ) -> Claim:
        require_role(buyer, Role.BUYER)
        try:
            order = self._store.get_order(order_id)
        except NotFound:
            raise UnknownOrder(f"no order {order_id}") from None
        if order.buyer_id != buyer.account_id:
            raise UnknownOrder(f"no order {order_id}")  # the same answer as for a missing one
        if not 0 < asked_fen <= order.pay_fen:
            raise InvalidInput("asked_fen", "must be positive and at most what was paid")
        return self._trust.file_claim(
            Claim(
                claim_id=new_id("clm"),
                order_id=order_id,
                buyer_id=buyer.account_id,
                shop_id=order.shop_id,
                description=check_name("description", description, max_length=2000),
                asked_fen=asked_fen,
                status="open",
                filed_at=self._clock.now(),
            )
        )

    def claims(
        self, operator: Account, status: str | None = "open", limit: int = 100
    ) -> list[Claim]:
        require_role(operator, Role.OPERATOR)
        return self._trust.claims(status, None, limit)

    def award_claim(self, operator: Account, claim_id: str, fen: int) -> Claim:
        """Pay ``fen`` from the shop's deposit to the buyer; never more than the deposit holds."""
        require_role(operator, Role.OPERATOR)
        claim = self._trust.get_claim(claim_id)
        if fen > claim.asked_fen:
            raise InvalidInput("fen", "an award is at most what the buyer asked for")
        done = self._trust.award_claim(claim_id, fen, new_id("txn"), self._clock.now())
        self._changed(done.shop_id)
        return done

    def dismiss_claim(self, operator: Account, claim_id: str, note: str) -> Claim:
        require_role(operator, Role.OPERATOR)
        return self._trust.dismiss_claim(claim_id, check_name("note", note), self._clock.now())
