"""The ledger's shape and the deposit's rules, on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from megasale.domain.deposits import DepositPolicy, check_award, check_payback
from megasale.domain.errors import DepositLocked, InsufficientDeposit, InvalidInput
from megasale.domain.ledger import Entry, Transaction, TxnKind, balances, reversal, transfer

T0 = datetime(2026, 11, 11, tzinfo=UTC)


def test_a_transaction_that_does_not_sum_to_zero_is_refused():
    with pytest.raises(InvalidInput, match="sum to zero"):
        Transaction("t", TxnKind.TOP_UP, "s", T0, (Entry("a", 5), Entry("b", -4)))


def test_a_transaction_needs_two_non_zero_entries():
    with pytest.raises(InvalidInput):
        Transaction("t", TxnKind.TOP_UP, "s", T0, (Entry("a", 0), Entry("b", 0)))
    with pytest.raises(InvalidInput):
        transfer("t", TxnKind.TOP_UP, "s", source="a", target="a", fen=1, at=T0)


def test_a_reversal_undoes_the_original_and_keeps_both():
    t = transfer(
        "t1", TxnKind.CLAIM_AWARD, "s", source="deposit:s", target="buyer:b", fen=700, at=T0
    )
    r = reversal(t, "t2", T0)
    assert r.ref == "t1"
    assert balances([t]) == {"deposit:s": -700, "buyer:b": 700}
    assert balances([t, r]) == {"deposit:s": 0, "buyer:b": 0}


@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd"), st.integers(1, 10**9))))
def test_any_set_of_transfers_sums_to_zero(moves):
    txns = [
        transfer(f"t{i}", TxnKind.TOP_UP, "s", source=a, target=b, fen=n, at=T0)
        for i, (a, b, n) in enumerate(moves)
        if a != b
    ]
    assert sum(balances(txns).values()) == 0


def test_the_requirement_is_the_largest_among_the_shops_categories():
    policy = DepositPolicy()
    assert policy.required_fen(["small_appliance"]) == 200_000
    assert policy.required_fen(["small_appliance", "tv"]) == 1_000_000
    assert policy.required_fen([]) == 200_000
    custom = DepositPolicy(requirements={"tv": 5, "small_appliance": 1})
    assert custom.required_fen(["tv"]) == 5


def test_an_award_above_the_balance_is_refused():
    assert check_award(100, 100) == 100
    with pytest.raises(InsufficientDeposit):
        check_award(101, 100)


def test_a_payback_waits_for_leaving_cooling_off_and_nothing_open():
    policy = DepositPolicy(cooling_off=timedelta(days=15))
    left = T0
    with pytest.raises(DepositLocked, match="leave"):
        check_payback(policy, left_at=None, now=T0, open_claims=0, open_returns=0)
    with pytest.raises(DepositLocked, match="cooling-off"):
        check_payback(
            policy,
            left_at=left,
            now=left + timedelta(days=15) - timedelta(microseconds=1),
            open_claims=0,
            open_returns=0,
        )
    with pytest.raises(DepositLocked, match="claim"):
        check_payback(
            policy, left_at=left, now=left + timedelta(days=15), open_claims=1, open_returns=0
        )
    with pytest.raises(DepositLocked, match="return"):
        check_payback(
            policy, left_at=left, now=left + timedelta(days=15), open_claims=0, open_returns=2
        )
    check_payback(
        policy, left_at=left, now=left + timedelta(days=15), open_claims=0, open_returns=0
    )
