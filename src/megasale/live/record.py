"""The record to beat and the milestones the screen counts up to.

The record is a competitor's 24 h total and, when it is known, their curve: cumulative GMV at
minutes since their sale opened. The default curve has the shape of the reference promotion
day (80M yuan in the first minutes, 200M by minute 7, 290M by minute 10, 600M after 24 h)
scaled to a total of 510M yuan, "a little over 500M".
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from megasale.domain.errors import InvalidInput

__all__ = [
    "DEFAULT_RECORD",
    "REFERENCE_DAY",
    "RecordToBeat",
    "load_record",
    "milestones",
]

YUAN = 100
MILLION_YUAN = 1_000_000 * YUAN

#: (minutes since open, cumulative GMV in millions of yuan) of the reference promotion day
REFERENCE_DAY: tuple[tuple[int, int], ...] = (
    (0, 0),
    (1, 30),
    (3, 80),
    (5, 140),
    (7, 200),
    (10, 290),
    (20, 330),
    (30, 350),
    (60, 380),
    (120, 410),
    (240, 450),
    (480, 500),
    (720, 530),
    (1080, 570),
    (1440, 600),
)


@dataclass(frozen=True, slots=True)
class RecordToBeat:
    """A competitor's record: ``total_fen`` over ``hours``, and their curve when known.

    ``curve`` holds ``(minutes since open, cumulative GMV fen)`` points, minutes increasing.
    """

    name: str
    total_fen: int
    curve: tuple[tuple[float, int], ...] = ()
    hours: int = 24

    def __post_init__(self) -> None:
        if self.total_fen <= 0:
            raise InvalidInput("record.total_fen", "must be positive")
        minutes = [m for m, _ in self.curve]
        if minutes != sorted(minutes) or len(set(minutes)) != len(minutes):
            raise InvalidInput("record.curve", "minutes must increase")
        if any(fen < 0 for _, fen in self.curve):
            raise InvalidInput("record.curve", "GMV cannot be negative")

    def at(self, minutes: float) -> int | None:
        """The competitor's cumulative GMV ``minutes`` after opening (linear between points)."""
        if not self.curve:
            return None
        xs = [m for m, _ in self.curve]
        i = bisect.bisect_right(xs, minutes)
        if i == 0:
            return self.curve[0][1] if minutes >= xs[0] else 0
        if i == len(xs):
            return self.curve[-1][1]
        (m0, g0), (m1, g1) = self.curve[i - 1], self.curve[i]
        return g0 + int((g1 - g0) * (minutes - m0) / (m1 - m0))


def _scaled_reference(total_fen: int) -> tuple[tuple[float, int], ...]:
    top = REFERENCE_DAY[-1][1]
    return tuple(
        (float(m), million * MILLION_YUAN * total_fen // (top * MILLION_YUAN))
        for m, million in REFERENCE_DAY
    )


DEFAULT_RECORD = RecordToBeat(
    name="competitor's record",
    total_fen=510 * MILLION_YUAN,
    curve=_scaled_reference(510 * MILLION_YUAN),
)


def load_record(path: Path) -> RecordToBeat:
    """A record from JSON: ``{"name": ..., "total_fen": ..., "curve": [[minutes, fen], ...]}``.

    Without a curve, the screen compares against the total alone.
    """
    raw = json.loads(path.read_text("utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("total_fen"), int):
        raise InvalidInput("record", f"{path}: needs an integer total_fen")
    points: Sequence[Sequence[float]] = raw.get("curve") or []
    curve = tuple((float(m), int(fen)) for m, fen in points)
    return RecordToBeat(
        name=str(raw.get("name", "record")),
        total_fen=raw["total_fen"],
        curve=curve,
        hours=int(raw.get("hours", 24)),
    )


def milestones() -> Iterator[int]:
    """1M, 10M, then every 100M yuan without end, in fen."""
    yield 1 * MILLION_YUAN
    yield 10 * MILLION_YUAN
    step = 100 * MILLION_YUAN
    fen = step
    while True:
        yield fen
        fen += step
