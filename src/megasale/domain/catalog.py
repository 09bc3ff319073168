"""Shops, SKUs and partner stores: what is for sale and where it can be collected."""

from __future__ import annotations

import re
from dataclasses import dataclass

from megasale.domain.errors import InvalidInput

__all__ = [
    "CATEGORIES",
    "PartnerStore",
    "Shop",
    "Sku",
    "check_category",
    "check_identifier",
    "check_name",
]

#: Home-appliance categories the platform sells; large ones need more deposit (trust program).
CATEGORIES = (
    "tv",
    "air_conditioner",
    "fridge",
    "washer",
    "small_appliance",
)

_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def check_identifier(field: str, value: str) -> str:
    """An opaque id: 1-64 letters, digits, ``_ . : -``, not starting with punctuation."""
    if not _IDENTIFIER.match(value):
        raise InvalidInput(
            field, "must be 1-64 letters, digits or _.:- and start with one of 0-9A-Za-z"
        )
    return value


def check_name(field: str, value: str, *, max_length: int = 200) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


def check_category(value: str) -> str:
    if value not in CATEGORIES:
        raise InvalidInput("category", f"must be one of {', '.join(CATEGORIES)}")
    return value


@dataclass(frozen=True, slots=True)
class Shop:
    shop_id: str
    merchant_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Sku:
    """A stock-keeping unit of one shop. ``stock_left`` is what may still be sold."""

    sku_id: str
    shop_id: str
    name: str
    category: str
    list_price_fen: int
    stock_left: int

    def __post_init__(self) -> None:
        check_category(self.category)
        if self.list_price_fen <= 0:
            raise InvalidInput("list_price_fen", "must be a positive number of fen")
        if self.stock_left < 0:
            raise InvalidInput("stock", "must not be negative")


@dataclass(frozen=True, slots=True)
class PartnerStore:
    """An offline store where buyers collect; tier 1-2 are big-box, 3-4 small-town shops."""

    store_id: str
    name: str
    chain: str
    city: str
    city_tier: int

    def __post_init__(self) -> None:
        if self.city_tier not in (1, 2, 3, 4):
            raise InvalidInput("city_tier", "must be 1, 2, 3 or 4")
