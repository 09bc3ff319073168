"""The security deposit: what a shop must hold, what it may pay out, when it is paid back.

The requirement depends on what a shop sells: the largest requirement among the categories of
its SKUs (a shop selling TVs and air fryers needs the TV figure). A shop with no SKUs yet needs
the smallest figure in the table. The badge shows only while the balance covers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from megasale.domain.errors import DepositLocked, InsufficientDeposit, InvalidInput
from megasale.domain.money import format_yuan, yuan

__all__ = ["DEFAULT_REQUIREMENTS", "DepositPolicy", "check_award", "check_payback"]

#: fen a shop must hold per category: large appliances carry larger claims than small ones
DEFAULT_REQUIREMENTS: Mapping[str, int] = {
    "tv": yuan(10_000),
    "air_conditioner": yuan(10_000),
    "fridge": yuan(10_000),
    "washer": yuan(10_000),
    "small_appliance": yuan(2_000),
}


@dataclass(frozen=True)
class DepositPolicy:
    requirements: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_REQUIREMENTS))
    cooling_off: timedelta = timedelta(days=15)

    def __post_init__(self) -> None:
        if not self.requirements or any(v <= 0 for v in self.requirements.values()):
            raise InvalidInput("requirements", "each category needs a positive requirement")
        if self.cooling_off < timedelta(0):
            raise InvalidInput("cooling_off", "must not be negative")

    def required_fen(self, categories: Iterable[str]) -> int:
        """The largest requirement among ``categories``; the smallest of all for none."""
        floor = min(self.requirements.values())
        return max((self.requirements.get(c, floor) for c in categories), default=floor)

    def payable_from(self, left_at: datetime) -> datetime:
        return left_at + self.cooling_off


def check_award(fen: int, balance_fen: int) -> int:
    """An award the deposit can pay: positive and no more than the balance."""
    if fen <= 0:
        raise InvalidInput("fen", "an award is a positive number of fen")
    if fen > balance_fen:
        raise InsufficientDeposit(
            f"the deposit holds {format_yuan(balance_fen)}; it cannot pay {format_yuan(fen)}"
        )
    return fen


def check_payback(
    policy: DepositPolicy,
    *,
    left_at: datetime | None,
    now: datetime,
    open_claims: int,
    open_returns: int,
) -> None:
    """Refuse a payback before the shop left, during cooling-off, or with claims or returns open."""
    if left_at is None:
        raise DepositLocked("leave the deposit program first; the payback follows cooling-off")
    due = policy.payable_from(left_at)
    if now < due:
        raise DepositLocked(f"the cooling-off period runs until {due.isoformat()}")
    if open_claims:
        raise DepositLocked(f"{open_claims} buyer claim(s) on this shop are still open")
    if open_returns:
        raise DepositLocked(f"{open_returns} return(s) of this shop are still open")
