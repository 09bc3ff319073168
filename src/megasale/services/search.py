"""Search over SKUs: relevance first, then the shop's trust; a filter for guaranteed shops.

The rank of a hit is ``relevance / best_relevance + boost * trust_score``, where relevance is
the negated bm25 of FTS5 (name, category, shop name), ``trust_score`` the share of badge weight
the shop holds (0 to 1) and ``boost`` a setting (0.25 by default). Without a query every SKU
has relevance 1 and trust alone orders them. See ``docs/trust.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from megasale.domain.badges import Badge
from megasale.domain.errors import InvalidInput, UnknownSku
from megasale.services.ports import Clock
from megasale.services.trust import TrustService
from megasale.services.trust_ports import Offer, ReturnsStore, SearchIndex, SkuHit

__all__ = ["GUARANTEED", "SearchResult", "SkuSearch", "fts_query"]

#: the badges a shop needs to count as guaranteed: money behind the promise of free returns
GUARANTEED = frozenset({Badge.DEPOSIT, Badge.RETURNS})
_WORD = re.compile(r"\w+", re.UNICODE)
_CANDIDATES = 500


def fts_query(text: str) -> str | None:
    """A safe FTS5 expression: every word of ``text`` as a quoted prefix, all required.

    >>> fts_query('fridge "520 L"')
    '"fridge"* "520"* "l"*'
    """
    words = [w.lower() for w in _WORD.findall(text)][:12]
    return " ".join(f'"{w}"*' for w in words) if words else None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hit: SkuHit
    badges: frozenset[str]
    trust_score: float
    rank: float
    offer: Offer | None
    exclusion: str | None


class SkuSearch:
    def __init__(
        self, index: SearchIndex, trust: TrustService, returns: ReturnsStore, clock: Clock
    ) -> None:
        self._index = index
        self._trust = trust
        self._returns = returns
        self._clock = clock

    def search(
        self, text: str = "", *, guaranteed_only: bool = False, limit: int = 20
    ) -> list[SearchResult]:
        if not 1 <= limit <= 200:
            raise InvalidInput("limit", "must be between 1 and 200")
        if len(text) > 200:
            raise InvalidInput("q", "at most 200 characters")
        hits = self._index.search(fts_query(text), _CANDIDATES)
        return self._rank(hits, guaranteed_only=guaranteed_only, limit=limit)

    def skus_of_shop(self, shop_id: str, limit: int = 100) -> list[SearchResult]:
        return self._rank(
            self._index.skus_of_shop(shop_id, limit), guaranteed_only=False, limit=limit
        )

    def listing(self, sku_id: str) -> SearchResult:
        """One SKU as buyers see it: badges, offer, return exclusion."""
        hit = self._index.sku(sku_id)
        if hit is None:
            raise UnknownSku(f"no SKU {sku_id}")
        return self._rank([hit], guaranteed_only=False, limit=1)[0]

    def _rank(self, hits: list[SkuHit], *, guaranteed_only: bool, limit: int) -> list[SearchResult]:
        weights = self._trust.config.weights
        best = max((h.relevance for h in hits), default=0.0)
        scored = []
        for hit in hits:
            badges = self._trust.badges_of(hit.shop_id)
            if guaranteed_only and not badges >= GUARANTEED:
                continue
            trust = weights.score(Badge(b) for b in badges)
            relevance = hit.relevance / best if best > 0 else 1.0
            scored.append((relevance + weights.boost * trust, trust, hit, badges))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2].name, s[2].sku_id))
        top = scored[:limit]
        offers = self._index.offers([s[2].sku_id for s in top], self._clock.now())
        excluded = self._returns.exclusions([s[2].sku_id for s in top])
        return [
            SearchResult(hit, badges, trust, rank, offers.get(hit.sku_id), excluded.get(hit.sku_id))
            for rank, trust, hit, badges in top
        ]
