from hypothesis import given
from hypothesis import strategies as st

from megasale.domain.money import format_yuan, split_proportionally, yuan


def test_yuan_are_a_hundred_fen():
    assert yuan(1_500) == 150_000


def test_format_yuan_shows_thousands_and_fen():
    assert format_yuan(60_000_000_000) == "¥600,000,000.00"
    assert format_yuan(1) == "¥0.01"


def test_a_split_gives_the_leftover_fen_to_the_largest_remainders():
    assert split_proportionally(10, [1, 2]) == [3, 7]
    assert split_proportionally(100, [1, 1, 1]) == [34, 33, 33]


@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30),
)
def test_a_split_always_sums_back_exactly_and_never_goes_negative(total, weights):
    parts = split_proportionally(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    assert len(parts) == len(weights)
    if sum(weights):
        # no part strays more than one fen from its exact share
        for part, w in zip(parts, weights):
            assert abs(part * sum(weights) - total * w) < sum(weights)
