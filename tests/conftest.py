"""Fixtures shared by every test: stores over a fresh database, a clock, the platform."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from megasale.services.clock import FakeClock
from megasale.storage.sqlite_store import SqliteStore

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)

STORE_KINDS = ["sqlite"]


def make_store(kind: str, tmp_path: Path):
    if kind == "sqlite":
        return SqliteStore(tmp_path / "megasale.db")
    raise ValueError(kind)


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    s = make_store(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)
