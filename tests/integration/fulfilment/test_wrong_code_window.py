"""The sliding window of wrong pickup codes: refused exactly when the window is full."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from megasale.domain.fulfilment import PickupPolicy
from megasale.services.fulfilment_ports import RedemptionOutcome
from megasale.storage.sqlite_db import SqliteDatabase
from megasale.storage.sqlite_fulfilment import SqliteFulfilment

POLICY = PickupPolicy(attempt_window=timedelta(minutes=10), max_wrong_per_clerk=3,
                      max_wrong_per_store=1_000)  # fmt: skip
T0 = datetime(2026, 11, 11, tzinfo=UTC)
_clerks = itertools.count()


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    db = SqliteDatabase(tmp_path_factory.mktemp("window") / "window.db")
    yield SqliteFulfilment(db)
    db.close()


@settings(max_examples=40, deadline=None)
@given(gaps=st.lists(st.integers(0, 400), min_size=1, max_size=25))
def test_a_clerk_is_refused_exactly_when_the_window_holds_the_limit(adapter, gaps):
    clerk = f"clerk-{next(_clerks)}"
    counted: list[datetime] = []
    at = T0
    for n, gap in enumerate(gaps):
        at += timedelta(seconds=gap)
        in_window = [t for t in counted if t > at - POLICY.attempt_window]
        result = adapter.redeem(clerk, f"store-{clerk}", f"{clerk}-{n}".encode(), at, POLICY)
        if len(in_window) < POLICY.max_wrong_per_clerk:
            assert result.outcome is RedemptionOutcome.UNKNOWN_CODE
            counted.append(at)
        else:
            assert result.outcome is RedemptionOutcome.RATE_LIMITED
            oldest = sorted(in_window)[len(in_window) - POLICY.max_wrong_per_clerk]
            assert result.retry_after == oldest + POLICY.attempt_window - at
            assert result.retry_after > timedelta(0)
