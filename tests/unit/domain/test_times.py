"""Instants as integer microseconds: exact both ways."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from megasale.domain import times
from megasale.domain.times import from_micros, to_micros


@given(st.datetimes(timezones=st.just(UTC)))
def test_micros_round_trip_exactly(at: datetime) -> None:
    assert from_micros(to_micros(at)) == at


def test_the_offset_counts_not_the_wall_clock() -> None:
    east8 = timezone(timedelta(hours=8))
    assert to_micros(datetime(2026, 11, 11, 8, 0, tzinfo=east8)) == to_micros(
        datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
    )


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(times)
    assert result.attempted > 0 and result.failed == 0
