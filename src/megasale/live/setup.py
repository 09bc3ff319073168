"""Building the live screen's runner over the platform's store, and its configuration.

Configuration comes from the environment so that every server worker sees the same:

- ``MEGASALE_LIVE_OPENS_AT``: the sale's T0 (ISO 8601 with an offset). Unset: the start of the
  promotion of the first order in the log.
- ``MEGASALE_LIVE_RECORD``: a JSON file with the record to beat (see
  :func:`~megasale.live.record.load_record`). Unset: the default record, 510M yuan in 24 h on
  the curve of the reference day.
- ``MEGASALE_LIVE=off``: this process does not follow the log (and serves no live figures).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from megasale.domain.errors import InvalidInput, NotFound
from megasale.live.aggregator import SaleFigures
from megasale.live.record import DEFAULT_RECORD, RecordToBeat, load_record
from megasale.live.runner import LiveRunner
from megasale.services.ports import Clock, Store

__all__ = ["LiveSettings", "cached_badges", "follow_sale"]


@dataclass(frozen=True, slots=True)
class LiveSettings:
    opens_at: datetime | None = None
    record: RecordToBeat = DEFAULT_RECORD
    enabled: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LiveSettings:
        opens_at = None
        if raw := environ.get("MEGASALE_LIVE_OPENS_AT"):
            opens_at = datetime.fromisoformat(raw)
            if opens_at.tzinfo is None:
                raise InvalidInput("MEGASALE_LIVE_OPENS_AT", "needs a UTC offset")
        record = DEFAULT_RECORD
        if path := environ.get("MEGASALE_LIVE_RECORD"):
            record = load_record(Path(path))
        enabled = environ.get("MEGASALE_LIVE", "on").lower() not in ("off", "0", "no")
        return cls(opens_at=opens_at, record=record, enabled=enabled)


def cached_badges(
    badges_of: Callable[[str], frozenset[str]], *, ttl_s: float = 30.0
) -> Callable[[str], bool]:
    """``has_badge(shop_id)`` over the trust program's ``badges_of``, asked once per shop per
    ``ttl_s`` seconds: the fold calls it for every order, and badges change rarely."""
    seen: dict[str, tuple[float, bool]] = {}

    def has_badge(shop_id: str) -> bool:
        now = time.monotonic()
        hit = seen.get(shop_id)
        if hit is None or now - hit[0] > ttl_s:
            hit = (now, bool(badges_of(shop_id)))
            seen[shop_id] = hit
        return hit[1]

    return has_badge


def follow_sale(
    store: Store,
    clock: Clock,
    settings: LiveSettings | None = None,
    *,
    has_badge: Callable[[str], bool] | None = None,
) -> LiveRunner:
    """A runner over ``store``'s event log, its figures told partner stores' cities.

    ``has_badge(shop_id)``: does the shop hold any trust badge (none when not given).
    """
    settings = settings or LiveSettings()

    def city_of_store(store_id: str) -> str:  # asked once per store: the figures cache it
        try:
            return store.get_store(store_id).city
        except NotFound:
            return store_id

    def opens_at_of(promotion_id: str) -> datetime | None:
        try:
            return store.get_promotion(promotion_id).starts_at
        except NotFound:
            return None

    def budget_of(promotion_id: str) -> int:
        try:
            return store.get_promotion(promotion_id).budget_fen
        except NotFound:
            return 0

    figures = SaleFigures(
        opens_at=settings.opens_at,
        opens_at_of=opens_at_of,
        has_badge=has_badge,
        city_of_store=city_of_store,
    )
    return LiveRunner(store, clock, figures, record=settings.record, budget_of=budget_of)
