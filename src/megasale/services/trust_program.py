"""The trust program as one piece the platform carries: its services, wired once by bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from megasale.services.returns import ReturnsDesk
from megasale.services.search import SkuSearch
from megasale.services.trust import TrustService

__all__ = ["TrustProgram"]


@dataclass(frozen=True)
class TrustProgram:
    """``platform.trust``: real-name checks, deposits and claims; returns; search."""

    service: TrustService
    returns: ReturnsDesk
    search: SkuSearch

    def badges_of(self, shop_id: str) -> frozenset[str]:
        """The shop's current badges (``verified``, ``deposit``, ``returns_7d``), derived.

        Cheap enough per order: cached for ``badge_cache_seconds`` per process.
        """
        return self.service.badges_of(shop_id)
