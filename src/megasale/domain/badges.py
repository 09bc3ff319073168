"""Trust badges: derived from the current state each time, never stored as flags.

A badge is a promise to buyers. Each has a short explanation shown beside it, and a weight in
the trust score that search adds to relevance (see ``docs/trust.md`` for the formula).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from megasale.domain.errors import InvalidInput

__all__ = ["PROMISES", "Badge", "ShopTrust", "TrustWeights", "derive_badges"]


class Badge(StrEnum):
    VERIFIED = "verified"
    DEPOSIT = "deposit"
    RETURNS = "returns_7d"


#: (label, promise): what the badge tells a buyer
PROMISES: Mapping[Badge, tuple[str, str]] = {
    Badge.VERIFIED: (
        "Real-name verified",
        "The platform checked the legal name and ID or credit code behind this shop.",
    ),
    Badge.DEPOSIT: (
        "Security deposit",
        "This shop holds a deposit with the platform; awarded buyer claims are paid from it.",
    ),
    Badge.RETURNS: (
        "7-day no-reason returns",
        "Return within 7 days of receiving the goods without giving a reason; "
        "excluded items are marked on the product.",
    ),
}


@dataclass(frozen=True, slots=True)
class ShopTrust:
    """What badges derive from, read at one moment."""

    shop_id: str
    identity_status: str | None
    in_deposit_program: bool
    deposit_fen: int
    required_fen: int
    in_returns_program: bool


def derive_badges(state: ShopTrust) -> frozenset[Badge]:
    badges = set()
    if state.identity_status == "verified":
        badges.add(Badge.VERIFIED)
    if state.in_deposit_program and state.deposit_fen >= state.required_fen:
        badges.add(Badge.DEPOSIT)
    if state.in_returns_program:
        badges.add(Badge.RETURNS)
    return frozenset(badges)


@dataclass(frozen=True)
class TrustWeights:
    """Weights of the badges in the trust score (0 to 1), and how much that score counts."""

    weights: Mapping[Badge, float] = field(
        default_factory=lambda: {Badge.VERIFIED: 1.0, Badge.DEPOSIT: 2.0, Badge.RETURNS: 2.0}
    )
    #: how much relevance a full trust score is worth: 0.25 lets a shop with every badge pass
    #: a result up to 25 % more relevant than its own, and no more
    boost: float = 0.25

    def __post_init__(self) -> None:
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) <= 0:
            raise InvalidInput("weights", "badge weights are >= 0 and not all zero")
        if self.boost < 0:
            raise InvalidInput("boost", "must not be negative")

    def score(self, badges: Iterable[Badge]) -> float:
        """The share of the total weight that ``badges`` carry: 0 for none, 1 for all."""
        total = sum(self.weights.values())
        return sum(self.weights.get(b, 0.0) for b in set(badges)) / total
