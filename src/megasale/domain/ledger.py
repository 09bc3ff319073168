"""A double-entry ledger in integer fen.

Every transaction moves money between accounts: its entries sum to zero, so the whole ledger
always sums to zero. Entries are never changed or removed; a correction is a new transaction
(:func:`reversal`). A balance is the sum of an account's entries, never a stored figure.

Entries are signed from the account's point of view: ``+n`` flows in, ``-n`` flows out. The
trust program uses three kinds of account:

- ``deposit:<shop>``: what the platform holds for a shop; it may never go below zero;
- ``merchant:<shop>``: the merchant's own money outside the platform (the counterparty of
  top-ups and paybacks), which goes negative as the merchant pays in;
- ``buyer:<buyer>``: compensation paid out to a buyer on an awarded claim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from megasale.domain.errors import InvalidInput

__all__ = [
    "Entry",
    "Transaction",
    "TxnKind",
    "balances",
    "buyer_account",
    "deposit_account",
    "merchant_account",
    "reversal",
    "transfer",
]


class TxnKind(StrEnum):
    TOP_UP = "top_up"
    CLAIM_AWARD = "claim_award"
    PAYBACK = "payback"
    REVERSAL = "reversal"


def deposit_account(shop_id: str) -> str:
    return f"deposit:{shop_id}"


def merchant_account(shop_id: str) -> str:
    return f"merchant:{shop_id}"


def buyer_account(buyer_id: str) -> str:
    return f"buyer:{buyer_id}"


@dataclass(frozen=True, slots=True)
class Entry:
    account: str
    fen: int


@dataclass(frozen=True, slots=True)
class Transaction:
    """Entries that balance to zero, recorded together at ``at``. ``ref`` names the cause."""

    txn_id: str
    kind: TxnKind
    shop_id: str
    at: datetime
    entries: tuple[Entry, ...]
    ref: str | None = None

    def __post_init__(self) -> None:
        if len(self.entries) < 2:
            raise InvalidInput("entries", "a transaction has at least two entries")
        if any(not isinstance(e.fen, int) or e.fen == 0 for e in self.entries):
            raise InvalidInput("entries", "each entry is a non-zero int of fen")
        if sum(e.fen for e in self.entries) != 0:
            raise InvalidInput("entries", "the entries of a transaction must sum to zero")


def transfer(
    txn_id: str,
    kind: TxnKind,
    shop_id: str,
    *,
    source: str,
    target: str,
    fen: int,
    at: datetime,
    ref: str | None = None,
) -> Transaction:
    """``fen`` out of ``source`` into ``target``."""
    if fen <= 0:
        raise InvalidInput("fen", "must be a positive number of fen")
    if source == target:
        raise InvalidInput("entries", "a transfer needs two different accounts")
    return Transaction(txn_id, kind, shop_id, at, (Entry(source, -fen), Entry(target, fen)), ref)


def reversal(original: Transaction, txn_id: str, at: datetime) -> Transaction:
    """The correction that undoes ``original``: the same entries, signs flipped."""
    return Transaction(
        txn_id,
        TxnKind.REVERSAL,
        original.shop_id,
        at,
        tuple(Entry(e.account, -e.fen) for e in original.entries),
        original.txn_id,
    )


def balances(entries: Iterable[Entry] | Sequence[Transaction]) -> dict[str, int]:
    """Each account's balance: the sum of its entries."""
    totals: Counter[str] = Counter()
    for item in entries:
        if isinstance(item, Transaction):
            for e in item.entries:
                totals[e.account] += e.fen
        else:
            totals[item.account] += item.fen
    return dict(totals)
