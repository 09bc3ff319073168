"""The shop-side rule of the brief, on hand-worked cases and against a brute-force reading."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from megasale.brushing import shop_rule
from megasale.brushing.frame import OrderTable, encode
from megasale.brushing.shop_rule import HOUR_US, brushing_orders, shop_brushing, sort_ids

MIN = 60_000_000


def table_of(orders: list[tuple[str, str, float]]) -> OrderTable:
    """Orders as (shop, buyer, minutes after midnight)."""
    shop_keys = {s: i for i, s in enumerate(dict.fromkeys(s for s, _, _ in orders))}
    buyer_keys = {b: i for i, b in enumerate(dict.fromkeys(b for _, b, _ in orders))}
    shop, _ = encode(np.array([shop_keys[s] for s, _, _ in orders], dtype=np.int64))
    buyer, _ = encode(np.array([buyer_keys[b] for _, b, _ in orders], dtype=np.int64))
    return OrderTable(
        order_ids=np.array([f"o{i}" for i in range(len(orders))], dtype=object),
        created=np.array([round(m * MIN) for _, _, m in orders], dtype=np.int64),
        buyer=buyer,
        buyer_names=np.array(list(buyer_keys), dtype=object),
        shop=shop,
        shop_names=np.array(list(shop_keys), dtype=object),
    )


def rule(orders: list[tuple[str, str, float]]) -> dict[str, str]:
    return dict(shop_brushing(table_of(orders)))


def test_a_shop_that_never_brushes_gets_zero() -> None:
    orders = [("7", "1", 0), ("7", "2", 1), ("7", "1", 2), ("7", "3", 3), ("7", "1", 70)]
    assert rule(orders) == {"7": "0"}


def test_one_buyer_with_three_orders_in_an_hour_is_suspicious() -> None:
    assert rule([("7", "1", 0), ("7", "1", 30), ("7", "1", 59)]) == {"7": "1"}


def test_orders_exactly_an_hour_apart_share_a_closed_window() -> None:
    assert rule([("7", "1", 0), ("7", "1", 30), ("7", "1", 60)]) == {"7": "1"}


def test_orders_just_over_an_hour_apart_do_not() -> None:
    assert rule([("7", "1", 0), ("7", "1", 30), ("7", "1", 60.001)]) == {"7": "0"}


def test_a_ratio_of_exactly_three_brushes() -> None:
    orders = [("7", b, m) for b, m in [("1", 0), ("1", 1), ("1", 2), ("1", 3), ("2", 4), ("2", 5)]]
    assert rule(orders) == {"7": "1"}


def test_a_ratio_just_under_three_does_not() -> None:
    # Every run of these orders has fewer than three orders per buyer: at most 5 / 2.
    spread = [("7", "1", 0), ("7", "2", 1), ("7", "1", 2), ("7", "2", 3), ("7", "1", 4)]
    assert rule(spread) == {"7": "0"}


def test_orders_at_the_same_time_are_never_split() -> None:
    same_minute = [("7", "1", 0)] * 4 + [("7", "2", 0)] * 2 + [("7", "3", 0)] * 2
    assert rule(same_minute) == {"7": "0"}  # 8 / 3 < 3, and no window holds a part of them
    assert rule([*same_minute, ("7", "1", 0)]) == {"7": "1"}  # 9 / 3


def test_a_tie_names_every_top_buyer_ascending_numerically() -> None:
    orders = [("7", "10", m) for m in (0, 1, 2)] + [("7", "9", m) for m in (3, 4, 5)]
    assert rule(orders) == {"7": "9&10"}


def test_text_buyer_ids_sort_as_text() -> None:
    orders = [("7", "b", m) for m in (0, 1, 2)] + [("7", "a", m) for m in (3, 4, 5)]
    assert rule(orders) == {"7": "a&b"}


def test_a_window_between_order_times_counts() -> None:
    orders = [("7", "2", 0), ("7", "4", 0), ("7", "1", 40), ("7", "1", 41), ("7", "1", 42)]
    orders += [("7", "3", 100), ("7", "5", 101)]
    # Windows starting at an order time, or ending at one, hold at most 4 orders of 2 buyers
    # or 5 of 3. [a, a + 60] with 0 < a < 40 holds minutes 40, 41 and 42 only: 3 / 1.
    assert rule(orders) == {"7": "1"}
    assert brushing_orders(*_columns(table_of(orders))).tolist() == [
        False, False, True, True, True, False, False
    ]  # fmt: skip


def test_brushing_orders_are_the_union_of_all_brushing_windows() -> None:
    orders = [("7", "1", 0), ("7", "1", 1), ("7", "1", 2), ("7", "2", 50)]
    orders += [("7", "2", 90), ("7", "2", 91), ("7", "2", 92)]
    mask = brushing_orders(*_columns(table_of(orders)))
    assert mask.tolist() == [True, True, True, True, True, True, True]
    assert rule(orders) == {"7": "2"}


def test_shops_are_judged_separately_and_listed_in_order() -> None:
    orders = [("10", "1", 0), ("10", "1", 1), ("9", "1", 2), ("9", "2", 3), ("10", "1", 4)]
    assert shop_brushing(table_of(orders)) == [("9", "0"), ("10", "1")]


def test_the_shopee_style_identifiers_sort_numerically() -> None:
    assert sort_ids(["214988798", "31075566", "8"]) == ["8", "31075566", "214988798"]


def _columns(table: OrderTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return table.shop, table.buyer, table.created


def brute_force(shop: list[int], buyer: list[int], minutes: list[int]) -> list[bool]:
    """Try every window start where the contents can change, and one between each pair."""
    hour = Fraction(60)
    marked = [False] * len(shop)
    for s in set(shop):
        rows = [i for i in range(len(shop)) if shop[i] == s]
        edges = sorted({Fraction(minutes[i]) for i in rows} | {minutes[i] - hour for i in rows})
        starts = [*edges, *[(a + b) / 2 for a, b in itertools.pairwise(edges)]]
        for a in starts:
            inside = [i for i in rows if a <= minutes[i] <= a + hour]
            if inside and len(inside) >= 3 * len({buyer[i] for i in inside}):
                for i in inside:
                    marked[i] = True
    return marked


def _rows(max_size: int) -> st.SearchStrategy[list[tuple[int, int, int]]]:
    """(shop, buyer, minute) rows: two shops, four buyers, two and a half hours."""
    return st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(0, 150)),
        min_size=1,
        max_size=max_size,
    )


def _agrees_with_brute_force(rows: list[tuple[int, int, int]]) -> bool:
    shop = [s for s, _, _ in rows]
    buyer = [b for _, b, _ in rows]
    minutes = [m for _, _, m in rows]
    mask = brushing_orders(
        np.array(shop, dtype=np.int32),
        np.array(buyer, dtype=np.int32),
        np.array(minutes, dtype=np.int64) * MIN,
        HOUR_US,
    )
    return bool(mask.tolist() == brute_force(shop, buyer, minutes))


@settings(max_examples=300, deadline=None)
@given(_rows(14))
def test_the_rule_matches_a_brute_force_reading(rows: list[tuple[int, int, int]]) -> None:
    assert _agrees_with_brute_force(rows)


@settings(max_examples=300, deadline=None)
@given(_rows(24), st.lists(st.integers(1, 6), min_size=1, max_size=2))
def test_small_blocks_of_window_starts_change_nothing(
    rows: list[tuple[int, int, int]], blocks: list[int]
) -> None:
    """The tighter bound, taken over blocks of a few starts (one size, or a coarse one and
    then a fine one), rules out only starts that cannot qualify: the answer is the brute-force
    reading's still."""
    default = shop_rule._BLOCKS
    shop_rule._BLOCKS = tuple(blocks)
    try:
        assert _agrees_with_brute_force(rows)
    finally:
        shop_rule._BLOCKS = default


def test_a_crowd_that_keeps_coming_back_is_not_brushing_and_is_judged_quickly() -> None:
    """20,000 buyers over five shops, 60,000 orders in ten minutes: many repeat buyers, no shop
    near three orders per buyer. (The block bound prunes the starts the first bound passed;
    the time is not asserted, the answer is.)"""
    rng = np.random.default_rng(1)
    n = 60_000
    shop = rng.integers(0, 5, n).astype(np.int32)
    buyer = rng.integers(0, 20_000, n).astype(np.int32)
    created = np.sort(rng.integers(0, 10 * 60 * 1_000_000, n)).astype(np.int64)
    assert not brushing_orders(shop, buyer, created).any()
    # and one buyer who orders 30 times in a minute an hour after the crowd brushes that shop
    extra = 30
    shop = np.r_[shop, np.full(extra, 4, dtype=np.int32)]
    buyer = np.r_[buyer, np.full(extra, 99_999, dtype=np.int32)]
    created = np.r_[created, HOUR_US + 20 * MIN + np.arange(extra, dtype=np.int64) * 2_000_000]
    mask = brushing_orders(shop, buyer, created)
    assert mask.sum() == extra and set(buyer[mask].tolist()) == {99_999}
