"""The record to beat, the milestones, and the metrics text the screen exposes."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import islice

import pytest
from tests.unit.live.live_events import T0, Log

from megasale.domain.errors import InvalidInput
from megasale.live.aggregator import SaleFigures
from megasale.live.prometheus import render_metrics
from megasale.live.record import DEFAULT_RECORD, RecordToBeat, load_record, milestones
from megasale.live.snapshot import Freshness, build_snapshot

MILLION_YUAN = 100_000_000


def test_the_default_record_is_the_reference_day_scaled_to_510_million_yuan():
    assert DEFAULT_RECORD.total_fen == 510 * MILLION_YUAN
    assert DEFAULT_RECORD.at(1440) == 510 * MILLION_YUAN
    assert DEFAULT_RECORD.at(7) == 170 * MILLION_YUAN  # 200M on the reference day, x 0.85
    assert DEFAULT_RECORD.at(0) == 0


def test_the_record_is_linear_between_its_points_and_flat_after_the_last():
    record = RecordToBeat("rival", 1_000, ((0.0, 0), (10.0, 1_000)))
    assert record.at(2.5) == 250
    assert record.at(99) == 1_000
    assert RecordToBeat("rival", 1_000).at(5) is None


def test_a_record_with_minutes_out_of_order_is_refused():
    with pytest.raises(InvalidInput):
        RecordToBeat("rival", 1_000, ((5.0, 10), (1.0, 20)))
    with pytest.raises(InvalidInput):
        RecordToBeat("rival", 0)


def test_a_record_loads_from_json_with_or_without_a_curve(tmp_path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"name": "R", "total_fen": 500, "curve": [[0, 0], [60, 500]]}))
    assert load_record(path) == RecordToBeat("R", 500, ((0.0, 0), (60.0, 500)))
    path.write_text(json.dumps({"total_fen": 700}))
    assert load_record(path).curve == ()
    path.write_text(json.dumps({"total_fen": "lots"}))
    with pytest.raises(InvalidInput):
        load_record(path)


def test_milestones_are_1m_10m_then_every_100m_yuan():
    got = [fen // MILLION_YUAN for fen in islice(milestones(), 8)]
    assert got == [1, 10, 100, 200, 300, 400, 500, 600]


def snapshot_of(log: Log, record: RecordToBeat, minutes: float):  # type: ignore[no-untyped-def]
    figures = SaleFigures(opens_at=T0)
    figures.fold_all(log.events)
    fresh = Freshness(figures.last_seq, figures.last_seq, 0, 0.0, T0.isoformat())
    now = T0 + timedelta(minutes=minutes)
    return build_snapshot(
        figures, now=now, record=record, budget_fen=9_000, freshness=fresh, version=1
    )


def test_ahead_by_compares_with_the_curve_at_the_same_minute_or_else_the_total():
    log = Log()
    log.placed("o-1", 600, at=30)
    with_curve = snapshot_of(log, RecordToBeat("R", 2_000, ((0.0, 0), (10.0, 1_000))), 5)
    assert (with_curve.record.at_now, with_curve.record.ahead_by) == (500, 100)
    total_only = snapshot_of(log, RecordToBeat("R", 2_000), 5)
    assert (total_only.record.at_now, total_only.record.ahead_by) == (None, -1_400)


def test_the_metrics_carry_the_figures_in_fen_with_escaped_labels():
    log = Log()
    log.placed("o-1", 1_234, category='odd "name"\\', subsidy=34)
    text = render_metrics(snapshot_of(log, DEFAULT_RECORD, 1))
    assert 'megasale_live_gmv_fen{figure="gross"} 1234' in text
    assert "megasale_live_subsidy_spent_fen 34" in text
    assert "megasale_live_subsidy_budget_fen 9000" in text
    assert 'megasale_live_category_gmv_fen{category="odd \\"name\\"\\\\"} 1234' in text
    assert text.endswith("\n")


def test_badges_are_asked_once_per_shop_until_they_go_stale():
    from megasale.live.setup import cached_badges

    asked: list[str] = []

    def badges_of(shop: str) -> frozenset[str]:
        asked.append(shop)
        return frozenset({"deposit"}) if shop == "shop-01" else frozenset()

    has_badge = cached_badges(badges_of, ttl_s=60)
    assert [has_badge(s) for s in ("shop-01", "shop-02", "shop-01", "shop-02")] == [
        True,
        False,
        True,
        False,
    ]
    assert asked == ["shop-01", "shop-02"]
    stale = cached_badges(badges_of, ttl_s=-1)  # every answer is already stale
    stale("shop-02")
    stale("shop-02")
    assert asked[2:] == ["shop-02", "shop-02"]
