from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.trust.trust_harness import TrustApi, make_trust_api

from megasale.sim.seed import SeedPlan


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrustApi]:
    monkeypatch.delenv("MEGASALE_IDENTITY_KEY", raising=False)
    yield from make_trust_api(tmp_path, SeedPlan(buyers=3, skus=10, stock=5, limit_per_buyer=3))
