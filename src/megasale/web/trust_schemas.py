"""Request and response bodies of the trust program's HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from megasale.domain.badges import PROMISES, Badge
from megasale.services.search import SearchResult
from megasale.services.trust import DepositView
from megasale.services.trust_ports import Claim, IdentityCheck, Membership, ReturnRequest

__all__ = [
    "AwardIn",
    "BadgeOut",
    "ClaimIn",
    "ClaimOut",
    "DecisionIn",
    "DepositOut",
    "ExclusionIn",
    "IdentityIn",
    "IdentityOut",
    "MembershipOut",
    "NoteIn",
    "RefundIn",
    "ReturnIn",
    "ReturnOut",
    "SearchHitOut",
    "ShopTrustOut",
    "TopUpIn",
    "badges_out",
    "claim_out",
    "deposit_out",
    "hit_out",
    "identity_out",
    "membership_out",
    "return_out",
]

PositiveFen = Annotated[int, Meta(ge=1, le=10**13)]
Text = Annotated[str, Meta(min_length=1, max_length=2000)]


class IdentityIn(msgspec.Struct, forbid_unknown_fields=True):
    legal_name: Annotated[str, Meta(min_length=1, max_length=200)]
    kind: Literal["resident_id", "uscc"]
    # no pattern here: a validation error must not echo the number; the domain says what is wrong
    number: Annotated[str, Meta(min_length=1, max_length=40)]


class IdentityOut(msgspec.Struct):
    shop_id: str
    kind: str
    legal_name: str
    masked: str
    status: str
    submitted_at: datetime
    note: str | None = None
    decided_at: datetime | None = None


def identity_out(c: IdentityCheck) -> IdentityOut:
    return IdentityOut(
        c.shop_id, c.kind, c.legal_name, c.masked, c.status, c.submitted_at, c.note, c.decided_at
    )


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Text


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A note is needed to reject or revoke, not to verify."""

    note: Annotated[str, Meta(max_length=2000)] | None = None


class MembershipOut(msgspec.Struct):
    shop_id: str
    program: str
    joined_at: datetime
    left_at: datetime | None


def membership_out(m: Membership) -> MembershipOut:
    return MembershipOut(m.shop_id, m.program, m.joined_at, m.left_at)


class TopUpIn(msgspec.Struct, forbid_unknown_fields=True):
    fen: PositiveFen


class EntryOut(msgspec.Struct):
    txn_id: str
    kind: str
    at: datetime
    fen: int  # into (+) or out of (-) the deposit


class DepositOut(msgspec.Struct):
    shop_id: str
    balance_fen: int
    required_fen: int
    in_program: bool
    badge: bool
    entries: list[EntryOut]


def deposit_out(v: DepositView) -> DepositOut:
    account = f"deposit:{v.shop_id}"
    return DepositOut(
        v.shop_id,
        v.balance_fen,
        v.required_fen,
        v.in_program,
        v.badge,
        [
            EntryOut(
                t.txn_id, t.kind.value, t.at, sum(e.fen for e in t.entries if e.account == account)
            )
            for t in v.transactions
        ],
    )


class ClaimIn(msgspec.Struct, forbid_unknown_fields=True):
    description: Text
    asked_fen: PositiveFen


class AwardIn(msgspec.Struct, forbid_unknown_fields=True):
    fen: PositiveFen


class ClaimOut(msgspec.Struct):
    claim_id: str
    order_id: str
    buyer_id: str
    shop_id: str
    description: str
    asked_fen: int
    status: str
    awarded_fen: int
    filed_at: datetime
    note: str | None
    decided_at: datetime | None


def claim_out(c: Claim) -> ClaimOut:
    return ClaimOut(
        c.claim_id,
        c.order_id,
        c.buyer_id,
        c.shop_id,
        c.description,
        c.asked_fen,
        c.status,
        c.awarded_fen,
        c.filed_at,
        c.note,
        c.decided_at,
    )


class ExclusionIn(msgspec.Struct, forbid_unknown_fields=True):
    """``returnable: false`` needs an ``exclusion_reason`` (custom_made, perishable, ...)."""

    returnable: bool
    exclusion_reason: str | None = None


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(max_length=2000)] | None = None


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    refund_fen: PositiveFen | None = None


class ReturnOut(msgspec.Struct):
    return_id: str
    order_id: str
    buyer_id: str
    shop_id: str
    route: str
    why: str
    status: str
    requested_at: datetime
    reason: str | None
    note: str | None
    approved_at: datetime | None
    closed_at: datetime | None
    refunded_fen: int


def return_out(r: ReturnRequest) -> ReturnOut:
    return ReturnOut(
        r.return_id,
        r.order_id,
        r.buyer_id,
        r.shop_id,
        r.route,
        r.why,
        r.status,
        r.requested_at,
        r.reason,
        r.note,
        r.approved_at,
        r.closed_at,
        r.refunded_fen,
    )


class BadgeOut(msgspec.Struct):
    badge: str
    label: str
    promise: str


def badges_out(badges: frozenset[str]) -> list[BadgeOut]:
    return [BadgeOut(b.value, *PROMISES[b]) for b in Badge if b.value in badges]


class ShopTrustOut(msgspec.Struct):
    shop_id: str
    name: str
    badges: list[BadgeOut]


class SearchHitOut(msgspec.Struct):
    sku_id: str
    name: str
    category: str
    shop_id: str
    shop_name: str
    list_price_fen: int
    promo_price_fen: int | None
    stock_left: int
    badges: list[BadgeOut]
    trust_score: float
    rank: float
    return_exclusion: str | None


def hit_out(r: SearchResult) -> SearchHitOut:
    h = r.hit
    return SearchHitOut(
        h.sku_id,
        h.name,
        h.category,
        h.shop_id,
        h.shop_name,
        h.list_price_fen,
        None if r.offer is None else r.offer.promo_price_fen,
        h.stock_left,
        badges_out(r.badges),
        round(r.trust_score, 4),
        round(r.rank, 4),
        r.exclusion,
    )
