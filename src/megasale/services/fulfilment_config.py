"""Fulfilment's configuration, from the environment so that every server worker sees the same.

- ``MEGASALE_PICKUP_TTL_HOURS``: how long a pickup waits before it expires (default 168, a week).
- ``MEGASALE_PICKUP_WRONG_PER_CLERK`` / ``MEGASALE_PICKUP_WRONG_PER_STORE``: wrong codes allowed
  per clerk (default 5) and per store (default 20) in ``MEGASALE_PICKUP_WINDOW_MINUTES``
  (default 10).
- ``MEGASALE_WEBHOOK_TOLERANCE_S``: how far a carrier call's timestamp may be from our clock
  (default 300).
- ``MEGASALE_FULFILMENT_INTERVAL_S``: how often the worker looks for new orders (default 0.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from megasale.domain.errors import InvalidInput
from megasale.domain.fulfilment import PickupPolicy

__all__ = ["FulfilmentSettings"]


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(name, f"{raw!r} is not a number") from None
    if value <= 0:
        raise InvalidInput(name, "must be positive")
    return value


@dataclass(frozen=True, slots=True)
class FulfilmentSettings:
    policy: PickupPolicy = field(default_factory=PickupPolicy)
    webhook_tolerance: timedelta = timedelta(minutes=5)
    worker_interval_s: float = 0.5

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> FulfilmentSettings:
        policy = PickupPolicy(
            pickup_ttl=timedelta(hours=_number(environ, "MEGASALE_PICKUP_TTL_HOURS", 168)),
            attempt_window=timedelta(
                minutes=_number(environ, "MEGASALE_PICKUP_WINDOW_MINUTES", 10)
            ),
            max_wrong_per_clerk=int(_number(environ, "MEGASALE_PICKUP_WRONG_PER_CLERK", 5)),
            max_wrong_per_store=int(_number(environ, "MEGASALE_PICKUP_WRONG_PER_STORE", 20)),
        )
        return cls(
            policy=policy,
            webhook_tolerance=timedelta(
                seconds=_number(environ, "MEGASALE_WEBHOOK_TOLERANCE_S", 300)
            ),
            worker_interval_s=_number(environ, "MEGASALE_FULFILMENT_INTERVAL_S", 0.5),
        )
