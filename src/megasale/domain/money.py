"""Money is an ``int`` of fen (1 yuan = 100 fen); never a float."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["FEN_PER_YUAN", "format_yuan", "split_proportionally", "yuan"]

FEN_PER_YUAN = 100


def yuan(amount: int) -> int:
    """Whole yuan in fen.

    >>> yuan(1500)
    150000
    """
    return amount * FEN_PER_YUAN


def format_yuan(fen: int) -> str:
    """Fen as a yuan amount for people.

    >>> format_yuan(123456789)
    '¥1,234,567.89'
    >>> format_yuan(-5)
    '-¥0.05'
    """
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{whole:,}.{cents:02d}"


def split_proportionally(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` fen across ``weights`` so that the parts sum back to it exactly.

    Largest-remainder rounding: each part is the floor of its exact share, and the fen left
    over go one each to the parts with the largest remainders (earlier parts win ties).

    >>> split_proportionally(100, [1, 1, 1])
    [34, 33, 33]
    >>> split_proportionally(0, [5, 0])
    [0, 0]
    """
    if total < 0:
        raise ValueError("total must not be negative")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if not weights:
        raise ValueError("need at least one weight")
    if weight_sum == 0:
        parts = [0] * len(weights)
        parts[0] = total
        return parts
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors
