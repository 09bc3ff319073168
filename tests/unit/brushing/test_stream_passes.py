"""Faster streaming passes: the same rings as before, and known rings' orders at once."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from tests.unit.brushing.test_stream_groups import farm_order, honest_pair

from megasale.brushing.behaviour import buyer_behaviour
from megasale.brushing.detect import BrushingDetector
from megasale.brushing.frame import OrderTable
from megasale.brushing.lockstep import LockstepDetector, _closest_peers
from megasale.brushing.orderlog import read_order_log
from megasale.brushing.rings import RingKind
from megasale.brushing.stream_pass import CUT_DOWN
from megasale.brushing.stream_rings import RingLedger, new_rings, pass_detector
from megasale.brushing.stream_runner import StreamRunner
from megasale.brushing.streaming import StreamedOrder, StreamingDetector
from megasale.brushing.wave_joins import join_all_waves
from megasale.brushing.waves import ShopIndex, join_waves, joinable_rows, quick_rows_of
from megasale.services.order_events import order_placed
from megasale.services.ports import Event
from megasale.sim.replay import order_of
from megasale.sim.scenario import FAMILIES, generate_day


@pytest.fixture(scope="module")
def day_table(tmp_path_factory: pytest.TempPathFactory) -> OrderTable:
    """A generated promotion day with rings of every kind, read as the batch reader reads it."""
    path: Path = tmp_path_factory.mktemp("day") / "orders.csv"
    generate_day(FAMILIES["mixed"], seed=3, orders=20_000).write_orders(path)
    return read_order_log(path)


def _closest_peers_one_by_one(grids: list[csr_matrix], cores: list[np.ndarray]) -> list[np.ndarray]:
    """The former computation: one dense product per group, the better grid, the row maximum."""
    result = []
    for core in cores:
        waves = None
        for matrix in grids:
            rows = matrix[core]
            pair = (rows @ rows.T).toarray()
            waves = pair if waves is None else np.maximum(waves, pair)
        assert waves is not None
        np.fill_diagonal(waves, 0.0)
        result.append(waves.max(axis=1))
    return result


def test_closest_peers_of_all_groups_at_once_match_each_group_alone_to_the_bit() -> None:
    rng = np.random.default_rng(7)
    grids = [csr_matrix(rng.random((60, 40)) * (rng.random((60, 40)) < 0.2)) for _ in range(2)]
    cores = [np.array(c) for c in ([3, 1, 8, 20], [0, 2], [30, 31, 32, 33, 34, 59], [5])]
    together = _closest_peers(grids, cores)
    alone = _closest_peers_one_by_one(grids, cores)
    assert [a.tolist() for a in together] == [b.tolist() for b in alone]
    assert any(a.max() > 0 for a in together)


def test_joining_every_rings_waves_at_once_gives_what_each_ring_gets_alone(
    day_table: OrderTable,
) -> None:
    table = day_table
    index = ShopIndex.of(table)
    quick = quick_rows_of(table)
    assert quick is not None
    # Rings as the lockstep detector hands them over: members and their orders.
    found = LockstepDetector(join_purity=2.0).fit(table).rings_  # purity 2: nobody joins
    assert len(found) >= 3
    ring_of = np.full(table.n_buyers, -1, dtype=np.int64)
    for number, ring in enumerate(found):
        ring_of[ring.members] = number
    joinable = joinable_rows(index, table, quick, ring_of)
    rings = [(ring.members, ring.orders) for ring in found]
    together = join_all_waves(table, index, rings, joinable, 2.0, 10.0, 0.5)
    grew = 0
    for (members, orders), (joined_members, joined_orders) in zip(rings, together, strict=True):
        alone_members, alone_orders = join_waves(
            table, index, members, orders, joinable, 2.0, 10.0, 0.5
        )
        assert joined_members.tolist() == alone_members.tolist()
        assert joined_orders.tolist() == alone_orders.tolist()
        assert joined_members.dtype == alone_members.dtype
        grew += joined_members.size > members.size
    assert grew > 0  # the check saw joiners, not only rings that nobody joined


def test_a_lockstep_detector_without_evidence_finds_the_same_rings_and_scores(
    day_table: OrderTable,
) -> None:
    behaviour = buyer_behaviour(day_table)
    full = LockstepDetector().fit(day_table, None, behaviour).rings_
    lean = LockstepDetector(evidence=False).fit(day_table, None, behaviour).rings_
    assert len(full) == len(lean) > 0
    for a, b in zip(full, lean, strict=True):
        assert a.members.tolist() == b.members.tolist()
        assert a.orders.tolist() == b.orders.tolist()
        assert a.score == b.score
        assert set(b.evidence) == {"shared_waves_median", "behaviour_suspicion_mean"}
        assert b.evidence["shared_waves_median"] == a.evidence["shared_waves_median"]


def test_a_pass_reports_every_ring_with_the_evidence_the_batch_detector_gives(
    day_table: OrderTable,
) -> None:
    batch = BrushingDetector().fit(day_table)
    fitted = pass_detector(None).fit(day_table)
    # rings that lost members to better ones, their evidence computed only when reported
    assert any(CUT_DOWN in ring.evidence for ring in fitted.rings_)
    ours = np.ones(day_table.n_buyers, dtype=bool)
    found = new_rings(RingLedger(), fitted, day_table, ours)
    assert len(found) == len(batch.rings_) > 0
    assert any(ring.kind is RingKind.LOCKSTEP for ring in batch.rings_)
    for ring, report in zip(batch.rings_, found, strict=True):
        assert report.kind == ring.kind.value
        assert report.order_ids == tuple(day_table.order_ids[ring.orders].tolist())
        assert report.score == ring.score
        expected = {"reasons": ring.reasons, **ring.evidence}
        assert json.loads(report.evidence) == json.loads(json.dumps(expected, default=str))


def test_a_streamed_order_is_left_out_of_the_garbage_collectors_rounds() -> None:
    order = StreamedOrder("o1", 0, "b1", "s1", payment_id="card-1")
    assert not gc.is_tracked(order)
    assert order.payment_id == "card-1"
    assert order.quantity == 1


def test_a_new_order_of_a_known_farm_member_is_reported_at_once_and_not_again() -> None:
    stream = StreamingDetector()
    stream.add_many([farm_order(i) for i in range(10)])
    (ring,) = stream.detect()
    assert stream.attached() == []
    stream.add_many([farm_order(3, wave=1), *honest_pair(1)])
    (update,) = stream.attached()  # no pass has run
    assert update.ring_id == ring.ring_id
    assert update.new_order_ids == ("f3-1",)
    assert "f3-1" in update.order_ids and set(ring.order_ids) <= set(update.order_ids)
    assert stream.attached() == []
    assert stream.dirty  # the order still touches the farm's group for the passes
    assert stream.detect() == []  # the pass finds the farm again: nothing new to report


def test_the_runner_flags_a_known_farms_new_order_without_waiting_for_a_pass() -> None:
    flags: list[object] = []
    runner = StreamRunner(_NoLog(), flags.append, lambda ids: {}, min_pass_s=3600.0)
    runner.detector.add_many([farm_order(i) for i in range(10)])
    runner.detect()
    assert len(flags) == 1 and len(runner.pass_seconds) == 1
    runner.detector.add_many([farm_order(5, wave=1)])
    found = runner.detect()  # the next pass is an hour away
    assert len(runner.pass_seconds) == 1
    assert [f.new_order_ids for f in found] == [("f5-1",)]
    assert len(flags) == 2


class _NoLog:
    def read_events(self, after_seq: int, limit: int) -> list[object]:
        return []


def test_a_runner_that_freezes_its_state_moves_each_fold_out_of_the_collectors_reach() -> None:
    day = generate_day(FAMILIES["mixed"], seed=2, orders=2_000)
    events = []
    for n, row in enumerate(day.orders, start=1):
        event_id, kind, payload = order_placed(order_of(row, "tv", "day"))
        events.append(Event(n, event_id, kind, payload, row.created_at))
    opened = {row.buyer_id: row.buyer_registered_at for row in day.orders}
    plain = StreamRunner(_NoLog(), lambda r: None, lambda ids: {i: opened[i] for i in ids})
    freezing = StreamRunner(
        _NoLog(),
        lambda r: None,
        lambda ids: {i: opened[i] for i in ids},
        freeze_state=True,
    )
    try:
        before = gc.get_freeze_count()
        plain.fold(events[:1000])
        assert gc.get_freeze_count() == before  # the default leaves the collector alone
        freezing.fold(events[:1000])
        frozen = gc.get_freeze_count()
        assert frozen > before
        freezing.fold(events[1000:])
        assert gc.get_freeze_count() > frozen  # each fold's additions too
        # freezing changes nothing of what is found
        plain.fold(events[1000:])
        assert freezing.detector.orders_ == plain.detector.orders_ == len(events)
        assert freezing.detector.candidates_ == plain.detector.candidates_
        found = [r.buyer_ids for r in freezing.detect()]
        assert found and found == [r.buyer_ids for r in plain.detect()]
    finally:
        gc.unfreeze()
