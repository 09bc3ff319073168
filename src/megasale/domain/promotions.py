"""A promotion: a time window, promo prices, a per-order subsidy from a budget, buyer limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from megasale.domain.errors import InvalidInput, PromotionNotOpen, SkuNotInPromotion
from megasale.domain.money import split_proportionally

__all__ = ["PromoItem", "Promotion", "SubsidyRule"]


@dataclass(frozen=True, slots=True)
class PromoItem:
    """A SKU on promotion: its promo price and how many units one buyer may take."""

    sku_id: str
    promo_price_fen: int
    limit_per_buyer: int

    def __post_init__(self) -> None:
        if self.promo_price_fen <= 0:
            raise InvalidInput("promo_price_fen", "must be a positive number of fen")
        if self.limit_per_buyer <= 0:
            raise InvalidInput("limit_per_buyer", "must be at least 1")


@dataclass(frozen=True, slots=True)
class SubsidyRule:
    """The platform pays ``fen_per_unit`` on each unit of a SKU, or of any SKU of a category.

    A rule naming the SKU wins over a rule naming its category.
    """

    fen_per_unit: int
    sku_id: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if (self.sku_id is None) == (self.category is None):
            raise InvalidInput("subsidy_rules", "each rule names exactly one of sku_id or category")
        if self.fen_per_unit < 0:
            raise InvalidInput("subsidy_rules.fen_per_unit", "must not be negative")


@dataclass(frozen=True, slots=True)
class Promotion:
    promotion_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    budget_fen: int
    items: Mapping[str, PromoItem] = field(default_factory=dict)
    subsidy_rules: Sequence[SubsidyRule] = ()
    max_subsidy_per_order_fen: int | None = None

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidInput("starts_at", "times need a UTC offset")
        if self.ends_at <= self.starts_at:
            raise InvalidInput("ends_at", "must be after starts_at")
        if self.budget_fen < 0:
            raise InvalidInput("budget_fen", "must not be negative")
        if self.max_subsidy_per_order_fen is not None and self.max_subsidy_per_order_fen < 0:
            raise InvalidInput("max_subsidy_per_order_fen", "must not be negative")

    def is_open(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def require_open(self, at: datetime) -> None:
        if not self.is_open(at):
            raise PromotionNotOpen(
                f"promotion {self.promotion_id} runs from {self.starts_at.isoformat()} "
                f"to {self.ends_at.isoformat()}"
            )

    def item(self, sku_id: str) -> PromoItem:
        try:
            return self.items[sku_id]
        except KeyError:
            raise SkuNotInPromotion(
                f"SKU {sku_id} is not part of promotion {self.promotion_id}"
            ) from None

    def subsidy_per_unit(self, sku_id: str, category: str) -> int:
        by_category = 0
        for rule in self.subsidy_rules:
            if rule.sku_id == sku_id:
                return rule.fen_per_unit
            if rule.category == category:
                by_category = rule.fen_per_unit
        return by_category

    def split_subsidy(
        self, line_subsidies: Sequence[int], line_amounts: Sequence[int]
    ) -> list[int]:
        """The subsidy of each line after the per-order cap; the parts sum to the capped total.

        Never more than a line's own amount: the platform does not pay buyers to take goods.
        """
        wanted = [min(s, a) for s, a in zip(line_subsidies, line_amounts, strict=True)]
        total = sum(wanted)
        cap = self.max_subsidy_per_order_fen
        if cap is None or total <= cap:
            return wanted
        return split_proportionally(cap, wanted)
