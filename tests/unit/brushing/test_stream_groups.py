"""Incremental streaming passes: a pass reads only the groups its news touched."""

from __future__ import annotations

from megasale.brushing.detect import BrushingDetector
from megasale.brushing.identity import SharedIdentifierDetector
from megasale.brushing.stream_components import BuyerGroups
from megasale.brushing.streaming import StreamedOrder, StreamingDetector

MINUTE = 60_000_000


def groups_of(n: int, **strong: int) -> BuyerGroups:
    groups = BuyerGroups(strong or {"payment": 8, "device": 8, "phone": 3})
    for _ in range(n):
        groups.add_buyer()
    return groups


def test_neighbours_who_share_a_building_stay_apart_until_one_looks_suspicious() -> None:
    groups = groups_of(3)
    groups.hold(0, "building", "tower 7")
    groups.hold(1, "building", "tower 7")
    assert groups.find(0) != groups.find(1)
    groups.suspect(1)
    assert groups.find(0) == groups.find(1)
    groups.hold(2, "building", "tower 7")  # a value that may link takes its later holders
    assert sorted(groups.members(groups.find(2))) == [0, 1, 2]


def test_a_card_used_by_enough_buyers_groups_them_whatever_their_behaviour() -> None:
    groups = groups_of(4, payment=3)
    for buyer in range(3):
        groups.hold(buyer, "payment", "card-1")
    assert len({groups.find(b) for b in range(3)}) == 1
    assert groups.find(3) != groups.find(0)


def test_buyers_in_the_same_shop_and_wave_are_grouped_and_others_are_not() -> None:
    groups = groups_of(3)
    groups.meet(0, "s1", 5 * MINUTE)
    groups.meet(1, "s1", 7 * MINUTE)
    groups.meet(2, "s2", 7 * MINUTE)
    assert groups.find(0) == groups.find(1)
    assert groups.find(2) != groups.find(0)


def test_a_value_held_by_more_than_max_sharers_joins_no_more_holders() -> None:
    groups = BuyerGroups({}, max_sharers=3)
    for _ in range(5):
        groups.add_buyer()
    groups.suspect(0)  # young: the subnet may link its holders
    for buyer in range(5):
        groups.hold(buyer, "subnet", "10.0.0.0/24")
    # three and the one that made it a crowd: a pass reading them sees four, too many to link
    assert sorted(groups.members(groups.find(0))) == [0, 1, 2, 3]
    assert groups.find(4) == 4
    groups.suspect(4)  # suspicion after the fact does not reopen a crowded value
    assert groups.find(4) == 4


def crowd_orders(buyer: int, at: int) -> list[StreamedOrder]:
    """Two orders in one shop (a candidate) of a buyer of a big crowd behind one subnet; one
    in five accounts opened for the sale (young), as on the reference day."""
    young = buyer % 5 == 0
    return [
        StreamedOrder(
            f"c{buyer}-{k}",
            at + k * 100_000,
            f"crowd{buyer}",
            f"s{buyer % 7}",
            ip=f"10.9.8.{buyer % 200}",
            device_id=f"phone-{buyer}",
            buyer_registered_at=at - (86_400_000_000 if young else 10**15),
        )
        for k in range(2)
    ]


def test_a_pass_after_news_in_a_big_crowd_does_not_read_the_whole_crowd() -> None:
    identity = SharedIdentifierDetector(max_sharers=50)
    stream = StreamingDetector(BrushingDetector(identity=identity))
    stream.add_many([o for b in range(400) for o in crowd_orders(b, b * 1_000_000)])
    assert stream.candidates_ == 800
    stream.detect()
    assert stream.pass_orders_[-1] >= 100  # the subnet's first 51 holders are one group
    stream.add_many(crowd_orders(400, 500 * 1_000_000))  # a young latecomer
    stream.detect()
    assert stream.pass_orders_[-1] == 2  # its own orders, not the crowd's


def test_a_pass_over_a_crowded_value_sees_a_crowd_and_links_nobody_through_it() -> None:
    """25 young accounts that collect quickly share one subnet and nothing else: over them all
    the detector (here at most 20 sharers) links nobody, and neither may a pass that reads
    only the group the subnet made, whatever it holds."""
    identity = SharedIdentifierDetector(max_sharers=20)
    stream = StreamingDetector(BrushingDetector(identity=identity))
    orders = [
        StreamedOrder(
            f"x{b}-{k}",
            (b * 2 + k) * MINUTE,
            f"young{b}",
            "s1",
            ip=f"10.9.8.{b}",
            payment_id=f"own-card-{b}",
            buyer_registered_at=-86_400_000_000,
        )
        for b in range(25)
        for k in range(2)
    ]
    stream.add_many(orders)
    for order in orders:
        stream.picked_up(order.order_id, order.created_at + 10 * MINUTE)
    assert stream.detect() == []
    news = StreamedOrder(
        "x0-new", 60 * MINUTE, "young0", "s2", ip="10.9.8.0", buyer_registered_at=-86_400_000_000
    )
    stream.add_many([news])
    assert stream.detect() == []
    assert stream.pass_orders_[-1] >= 2 * 21 + 1  # the group: 21 of the subnet's holders


def test_members_of_names_each_group_once() -> None:
    groups = groups_of(4)
    groups.unite(0, 1)
    groups.unite(2, 3)
    assert sorted(groups.members_of([0, 1, 3])) == [0, 1, 2, 3]
    assert sorted(groups.members_of([1])) == [0, 1]


def farm_order(i: int, wave: int = 0) -> StreamedOrder:
    """An order of a card farm: one card, fresh accounts, a device each."""
    return StreamedOrder(
        f"f{i}-{wave}",
        (wave * 60 + i) * MINUTE,
        f"farm{i}",
        "s1",
        payment_id="card-1",
        device_id=f"emu-{i:04d}-{wave}",
        buyer_registered_at=0,
    )


def honest_pair(n: int) -> list[StreamedOrder]:
    """Two flatmates sharing a building: candidates, but nothing ties them to the farm."""
    address = f"Road {n}, Building 1, Room {{}}"
    return [
        StreamedOrder(
            f"h{n}-{k}",
            (200 + n) * MINUTE,
            f"home{n}-{k}",
            "s9",
            address=address.format(k),
            buyer_registered_at=-1,
        )
        for k in range(2)
    ]


def test_a_pass_after_news_elsewhere_reads_only_that_group() -> None:
    stream = StreamingDetector()
    stream.add_many([farm_order(i) for i in range(10)] + honest_pair(1))
    first = stream.detect()
    assert [len(ring.buyer_ids) for ring in first] == [10]
    read_first = stream.pass_orders_[-1]
    assert read_first == 12

    stream.add_many(honest_pair(2))
    assert stream.dirty
    assert stream.detect() == []
    assert stream.pass_orders_[-1] == 2  # the new flatmates only, not the farm


def test_a_ring_that_grows_is_reported_again_under_its_id_with_only_its_new_orders() -> None:
    stream = StreamingDetector()
    stream.add_many([farm_order(i) for i in range(10)])
    (ring,) = stream.detect()
    stream.add_many([farm_order(i, wave=1) for i in range(3)] + honest_pair(1))
    (again,) = stream.detect()
    assert again.ring_id == ring.ring_id
    assert sorted(again.new_order_ids) == ["f0-1", "f1-1", "f2-1"]
    assert stream.pass_orders_[-1] == 15  # the farm's 13 orders and the new flatmates' 2


def test_a_redelivered_order_touches_nothing() -> None:
    stream = StreamingDetector()
    orders = [farm_order(i) for i in range(10)]
    stream.add_many(orders)
    stream.detect()
    stream.add_many(orders[:3])
    assert not stream.dirty
    assert stream.detect() == []


def test_a_restarted_stream_reports_a_ring_found_before_under_its_old_id() -> None:
    before = StreamingDetector()
    before.add_many([farm_order(i) for i in range(10)])
    (ring,) = before.detect()
    after = StreamingDetector()
    after.remember({ring.ring_id: list(ring.order_ids)})
    after.add_many([farm_order(i) for i in range(10)] + [farm_order(0, wave=1)])
    (again,) = after.detect()
    assert again.ring_id == ring.ring_id
    assert again.new_order_ids == ("f0-1",)


def test_a_quick_pickup_makes_a_buyers_shared_values_link_and_touches_it() -> None:
    stream = StreamingDetector()
    stream.add_many(honest_pair(1))
    stream.detect()
    assert not stream.dirty
    stream.picked_up("h1-0", (201 + 30) * MINUTE)
    assert stream.dirty
    stream.detect()
    assert stream.pass_orders_[-1] == 2  # the flatmates, grouped now
