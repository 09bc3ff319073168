"""The ``desk`` fixture: the real app over a fresh, seeded database and a clock tests move."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.fulfilment.fulfilment_desk import Desk, make_desk


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from make_desk(tmp_path, monkeypatch)
