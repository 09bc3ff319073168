"""The live aggregator folds the event log into the sale's figures, each fact once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.live.live_events import T0, Log

from megasale.live.aggregator import SaleFigures
from megasale.services.brushing_events import RING_CLEARED, RING_CONFIRMED
from megasale.services.ports import Event

YUAN = 100
MILLION = 1_000_000 * YUAN


def figures(**kwargs: object) -> SaleFigures:
    return SaleFigures(opens_at=T0, **kwargs)  # type: ignore[arg-type]


def test_an_order_counts_once_however_often_its_event_is_delivered():
    log = Log()
    log.placed("o-1", 150_000, buyer="b-1", subsidy=5_000)
    log.placed("o-2", 250_000, buyer="b-2")
    f = figures()
    f.fold_all(log.events)
    f.fold_all(log.events)  # the whole log again: a restart without a checkpoint
    f.fold(log.events[0])  # one event redelivered
    assert (f.gross_fen, f.net_fen, f.orders, len(f.buyers)) == (400_000, 400_000, 2, 2)
    assert f.subsidy_spent_fen == 5_000
    assert f.duplicates_ignored == 3


def test_a_buyer_with_two_orders_is_one_distinct_buyer():
    log = Log()
    log.placed("o-1", 100, buyer="b-1")
    log.placed("o-2", 100, buyer="b-1")
    f = figures()
    f.fold_all(log.events)
    assert f.orders == 2
    assert len(f.buyers) == 1


def test_a_cancellation_takes_the_whole_order_out_of_net_gmv_and_gives_back_its_subsidy():
    log = Log()
    log.placed("o-1", 150_000, subsidy=5_000)
    log.placed("o-2", 90_000)
    log.status("o-1", "cancelled", 150_000, refund=150_000, subsidy_back=5_000)
    f = figures()
    f.fold_all(log.events)
    assert f.gross_fen == 240_000
    assert f.net_fen == 90_000
    assert f.cancelled_orders == 1
    assert f.subsidy_spent_fen == 0


def test_a_refund_takes_only_the_refund_out_and_never_more_than_is_left():
    log = Log()
    log.placed("o-1", 150_000)
    log.status("o-1", "delivered", 150_000, at=30)
    log.status("o-1", "returned", 150_000, refund=100_000)
    f = figures()
    f.fold_all(log.events)
    assert f.net_fen == 50_000
    assert f.refunded_fen == 100_000
    log2 = Log()
    log2.placed("o-1", 150_000)
    log2.status("o-1", "returned", 150_000, refund=400_000)
    f2 = figures()
    f2.fold_all(log2.events)
    assert f2.net_fen == 0
    assert f2.refunded_fen == 150_000


def test_an_order_named_by_two_rings_leaves_brushing_net_once_and_returns_when_both_clear():
    log = Log()
    log.placed("o-1", 100_000)
    log.placed("o-2", 30_000)
    f = figures()
    f.fold_all(log.events)
    f.fold(log.flagged("ring-a", ["o-1"]))
    f.fold(log.flagged("ring-b", ["o-1", "o-2"]))
    assert f.net_of_brushing_fen == 0
    assert f.flagged_orders == 2
    f.fold(log.ruled("ring-a", RING_CLEARED))
    assert f.net_of_brushing_fen == 0  # ring-b still names both orders
    f.fold(log.ruled("ring-b", RING_CLEARED))
    assert f.net_of_brushing_fen == 130_000
    assert f.net_fen == 130_000


def test_a_confirmed_ring_keeps_its_orders_out_and_a_refund_after_a_flag_is_not_taken_twice():
    log = Log()
    log.placed("o-1", 100_000)
    log.placed("o-2", 50_000)
    log.flagged("ring-a", ["o-1"])
    log.ruled("ring-a", RING_CONFIRMED)
    log.status("o-1", "returned", 100_000, refund=40_000)
    f = figures()
    f.fold_all(log.events)
    assert f.net_fen == 110_000
    assert f.net_of_brushing_fen == 50_000


def test_a_ring_flagged_before_its_orders_arrive_still_takes_them_out():
    log = Log()
    log.flagged("ring-a", ["o-1"])
    log.placed("o-1", 70_000)
    f = figures()
    f.fold_all(log.events)
    assert f.net_of_brushing_fen == 0


def test_a_ring_that_grows_takes_out_its_new_orders_only_once():
    log = Log()
    log.placed("o-1", 10)
    log.placed("o-2", 20)
    log.flagged("ring-a", ["o-1"])
    log.flagged("ring-a", ["o-1", "o-2"], revision=2)
    f = figures()
    f.fold_all(log.events)
    assert f.flagged_net_fen == 30
    assert [r.ring_id for r in f.alerts.latest()] == ["ring-a"]
    assert len(f.alerts.latest()[0].orders) == 2


def test_milestones_record_the_time_since_the_sale_opened():
    log = Log()
    log.placed("o-1", 600_000 * YUAN, at=65)
    log.placed("o-2", 600_000 * YUAN, at=125.5)  # passes 1M
    log.placed("o-3", 9 * MILLION, at=600)  # passes 10M on its own
    f = figures()
    f.fold_all(log.events)
    assert f.reached == [(1 * MILLION, 125.5), (10 * MILLION, 600.0)]
    assert f.next_milestone_fen == 100 * MILLION


def test_one_huge_order_passes_several_milestones_at_once():
    log = Log()
    log.placed("o-1", 250 * MILLION, at=7)
    f = figures()
    f.fold_all(log.events)
    assert [fen for fen, _ in f.reached] == [MILLION, 10 * MILLION, 100 * MILLION, 200 * MILLION]
    assert f.next_milestone_fen == 300 * MILLION


def test_cities_come_from_the_pickup_store_or_the_first_part_of_the_address():
    log = Log()
    log.placed("o-1", 100, store="st-bj-01")
    log.placed("o-2", 200, store=None, address=" Chengdu , Wuhou, 1 Road")
    log.placed("o-3", 300, store=None, address="")
    f = figures(city_of_store={"st-bj-01": "Beijing"}.__getitem__)
    f.fold_all(log.events)
    assert f.top(f.cities, 5) == [("unknown", 300, 1), ("Chengdu", 200, 1), ("Beijing", 100, 1)]
    assert f.fulfilment == {"pickup": [100, 1], "shipping": [500, 2]}


def test_the_badge_share_counts_gmv_of_shops_that_hold_a_badge():
    log = Log()
    log.placed("o-1", 300, shop="shop-01")
    log.placed("o-2", 700, shop="shop-02")
    f = figures(has_badge=lambda shop: shop == "shop-02")
    f.fold_all(log.events)
    assert f.badged_fen == 700


def test_gmv_per_second_and_the_curve_follow_the_placing_time():
    log = Log()
    log.placed("o-1", 100, at=0.2)
    log.placed("o-2", 200, at=0.9)
    log.placed("o-3", 400, at=61)
    f = figures()
    f.fold_all(log.events)
    assert f.per_second == {0: [300, 2], 61: [400, 1]}
    assert f.curve() == ([1, 2], [300, 700])
    start, gmv, orders = f.recent(T0 + timedelta(seconds=62), 3)
    assert (start, gmv, orders) == (60, [0, 400, 0], [0, 1, 0])


def test_without_an_opening_time_the_first_orders_promotion_start_is_t0():
    log = Log()
    log.placed("o-1", 100, at=30)
    f = SaleFigures(opens_at_of=lambda promotion: T0 - timedelta(minutes=1))
    f.fold_all(log.events)
    assert f.opens_at == T0 - timedelta(minutes=1)
    assert f.per_second == {90: [100, 1]}


# -- the invariant: any log, any redelivery, equals the sums worked out from the facts ---------
orders_st = st.lists(
    st.tuples(st.integers(1, 10_000), st.sampled_from(["b-1", "b-2", "b-3"])),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(
    orders=orders_st,
    data=st.data(),
)
def test_any_log_delivered_any_number_of_times_adds_up_to_the_facts(orders, data):
    log = Log()
    for i, (amount, buyer) in enumerate(orders):
        log.placed(f"o-{i}", amount, buyer=buyer, at=i)
    n = len(orders)
    cancelled = set(data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n)))
    refunds = {
        i: data.draw(st.integers(0, 20_000))
        for i in data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
        if i not in cancelled
    }
    for i in sorted(cancelled):
        log.status(f"o-{i}", "cancelled", orders[i][0])
    for i, refund in refunds.items():
        log.status(f"o-{i}", "returned", orders[i][0], refund=refund)
    rings = data.draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=n), max_size=3))
    cleared = data.draw(st.lists(st.booleans(), min_size=len(rings), max_size=len(rings)))
    for r, members in enumerate(rings):
        log.flagged(f"ring-{r}", [f"o-{i}" for i in members])
    for r, clear in enumerate(cleared):
        if clear:
            log.ruled(f"ring-{r}", RING_CLEARED)
    # redeliver: the whole log, then a random handful of its events again, in random order
    again = data.draw(st.lists(st.sampled_from(log.events), max_size=10))
    f = figures()
    f.fold_all(log.events)
    f.fold_all(log.events)
    for event in again:
        f.fold(event)

    left = {
        i: 0 if i in cancelled else max(0, amount - refunds.get(i, 0))
        for i, (amount, _) in enumerate(orders)
    }
    out = {i for r, members in enumerate(rings) if not cleared[r] for i in members}
    assert f.gross_fen == sum(amount for amount, _ in orders)
    assert f.net_fen == sum(left.values())
    assert f.net_of_brushing_fen == sum(v for i, v in left.items() if i not in out)
    assert f.orders == n
    assert len(f.buyers) == len({buyer for _, buyer in orders})
    assert f.cancelled_orders == len(cancelled)


def test_a_ring_cleared_before_its_orders_arrive_leaves_them_in():
    log = Log()
    log.flagged("ring-a", ["o-1", "o-2"])
    log.ruled("ring-a", RING_CLEARED)
    log.placed("o-1", 70_000)
    f = figures()
    f.fold_all(log.events)
    f.fold(log.placed("o-2", 30_000))
    assert f.net_of_brushing_fen == 100_000
    assert f.flagged_orders == 0


def test_an_order_a_ring_named_before_it_came_leaves_once_and_returns_when_cleared():
    log = Log()
    log.flagged("ring-a", ["o-1"])
    log.flagged("ring-b", ["o-1"])
    f = figures()
    f.fold_all(log.events)
    f.fold(log.placed("o-1", 70_000))
    f.fold(log.placed("o-1", 70_000))  # redelivered under a new seq: still one order
    assert (f.net_fen, f.net_of_brushing_fen, f.orders) == (70_000, 0, 1)
    f.fold(log.ruled("ring-a", RING_CLEARED))
    assert f.net_of_brushing_fen == 0
    f.fold(log.ruled("ring-b", RING_CLEARED))
    assert f.net_of_brushing_fen == 70_000


def test_one_city_written_two_ways_in_addresses_is_one_row():
    log = Log()
    log.placed("o-1", 100, store=None, address="Chengdu, Wuhou, 1 Road")
    log.placed("o-2", 200, store=None, address=" Chengdu , Jinjiang")
    log.placed("o-3", 400, store="st-cd-01")
    f = figures(city_of_store={"st-cd-01": "Chengdu"}.__getitem__)
    f.fold_all(log.events[:2])
    f.fold_all(log.events[2:])
    assert f.top(f.cities, 5) == [("Chengdu", 700, 3)]


def test_orders_of_one_second_folded_in_two_batches_land_in_one_row():
    log = Log()
    for i, at in enumerate((5.1, 5.5, 5.9, 6.0)):
        log.placed(f"o-{i}", 100 * (i + 1), at=at)
    f = figures()
    f.fold_all(log.events[:2])
    f.fold_all(log.events[2:])
    assert f.per_second == {5: [600, 3], 6: [400, 1]}
    assert f.per_minute == {0: [1_000]}


def test_the_same_wall_time_at_another_utc_offset_is_another_second():
    log = Log()
    log.placed("o-1", 100, at=3_600.2)
    log.placed("o-2", 200, at=3_600.4)
    utc = log.placed("o-3", 400, at=0.5)
    # o-3 again as its placing server wrote it at +01:00: 01:00:00 on the wall, the first second
    wall = utc.payload.replace(
        b"2026-11-11T00:00:00.500000+00:00", b"2026-11-11T01:00:00.500000+01:00"
    )
    log.events[-1] = Event(utc.seq, utc.event_id, utc.kind, wall, utc.recorded_at)
    f = figures()
    f.fold_all(log.events)
    assert f.per_second == {3_600: [300, 2], 0: [400, 1]}


def test_a_shop_that_earns_a_badge_between_batches_counts_from_then_on():
    log = Log()
    log.placed("o-1", 300, shop="shop-01")
    log.placed("o-2", 700, shop="shop-01")
    badged: set[str] = set()
    f = figures(has_badge=lambda shop: shop in badged)
    f.fold_all(log.events[:1])
    badged.add("shop-01")
    f.fold_all(log.events[1:])
    assert f.badged_fen == 700


def test_an_event_that_fails_to_fold_is_passed_over_and_the_rest_still_counts():
    log = Log()
    log.placed("o-1", 100, shop="shop-01")
    log.placed("o-2", 200, shop="shop-broken")  # the trust program fails on this shop
    log.placed("o-3", 400, shop="shop-01")

    def has_badge(shop: str) -> bool:
        if shop == "shop-broken":
            raise RuntimeError("trust program unavailable")
        return False

    f = figures(has_badge=has_badge)
    with pytest.raises(RuntimeError):
        f.fold_all(log.events)
    assert f.last_seq == 2  # the runner reads on after the event that failed, not before it
    f.fold_all(log.events[f.last_seq :])
    assert (f.orders, f.gross_fen, f.last_seq) == (3, 700, 3)
    f.fold_all(log.events)  # and a replay still counts each order once
    assert (f.orders, f.gross_fen, f.duplicates_ignored) == (3, 700, 3)


def test_a_status_change_for_an_order_this_log_never_placed_changes_no_figure():
    log = Log()
    log.placed("o-1", 100)
    log.status("o-404", "cancelled", 500, refund=500, subsidy_back=50)
    f = figures()
    assert f.fold_all(log.events) == 2
    assert (f.gross_fen, f.net_fen, f.cancelled_orders, f.subsidy_spent_fen) == (100, 100, 0, 0)
