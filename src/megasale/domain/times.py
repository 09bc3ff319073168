"""Instants as integer microseconds since the Unix epoch: how the store and the detectors keep
time (exact, no float)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["from_micros", "to_micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(at: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch.

    >>> to_micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    """
    return (at - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime ``micros`` microseconds after the epoch.

    >>> from_micros(-1).isoformat()
    '1969-12-31T23:59:59.999999+00:00'
    """
    # integer arithmetic, and a third of the time of fromtimestamp(...).replace(...)
    return _EPOCH + timedelta(0, 0, micros)
