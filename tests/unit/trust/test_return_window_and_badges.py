"""The 7 x 24 h window at its edges, how a request is routed, refund caps, badges and weights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from megasale.domain.badges import Badge, ShopTrust, TrustWeights, derive_badges
from megasale.domain.errors import InvalidInput, RefundTooLarge, ReturnRefused
from megasale.domain.orders import ClientContext, Order, OrderLine, OrderStatus, Pickup
from megasale.domain.returns import NO_REASON_WINDOW, ReturnRoute, check_refund, route_return
from megasale.services.clock import FakeClock

T0 = datetime(2026, 11, 11, tzinfo=UTC)


def order(received: datetime | None, status=OrderStatus.COLLECTED, sku="k1") -> Order:
    return Order(
        order_id="o1",
        buyer_id="b1",
        shop_id="s1",
        promotion_id="p1",
        lines=(OrderLine(sku, "tv", 1, 10_000, 10_000, 800),),
        fulfilment=Pickup("st"),
        client=ClientContext("127.0.0.1"),
        placed_at=T0,
        status=status,
        received_at=received,
    )


@given(st.integers(min_value=-(10**6), max_value=14 * 86_400 * 10**6))
def test_the_window_is_open_from_receipt_to_exactly_seven_times_24_hours(offset_us):
    clock = FakeClock(T0 + timedelta(days=1))
    received = clock.now()
    clock.advance(timedelta(microseconds=offset_us))
    inside = timedelta(0) <= clock.now() - received <= NO_REASON_WINDOW
    if inside:
        routing = route_return(
            order(received), clock.now(), guaranteed=True, excluded_skus=frozenset(), reason=None
        )
        assert routing.route is ReturnRoute.NO_REASON
    else:
        with pytest.raises(InvalidInput, match="reason"):
            route_return(
                order(received),
                clock.now(),
                guaranteed=True,
                excluded_skus=frozenset(),
                reason=None,
            )
        routing = route_return(
            order(received), clock.now(), guaranteed=True, excluded_skus=frozenset(), reason="late"
        )
        assert routing.route is ReturnRoute.MERCHANT_DECIDES


def test_the_edges_of_the_window_exactly():
    clock = FakeClock(T0)
    received = clock.now()
    clock.advance(NO_REASON_WINDOW)
    assert (
        route_return(
            order(received), clock.now(), guaranteed=True, excluded_skus=frozenset(), reason=None
        ).route
        is ReturnRoute.NO_REASON
    )
    clock.advance(timedelta(microseconds=1))
    with pytest.raises(InvalidInput):
        route_return(
            order(received), clock.now(), guaranteed=True, excluded_skus=frozenset(), reason=None
        )


def test_without_the_guarantee_or_for_excluded_goods_a_reason_is_needed():
    o = order(T0)
    with pytest.raises(InvalidInput, match="did not offer"):
        route_return(o, T0, guaranteed=False, excluded_skus=frozenset(), reason=" ")
    with pytest.raises(InvalidInput, match="excluded"):
        route_return(o, T0, guaranteed=True, excluded_skus=frozenset({"k1"}), reason=None)


def test_goods_not_yet_received_cannot_be_returned():
    with pytest.raises(ReturnRefused):
        route_return(
            order(None, OrderStatus.PLACED),
            T0,
            guaranteed=True,
            excluded_skus=frozenset(),
            reason="x",
        )


@given(st.integers(1, 10**7), st.integers(0, 10**7), st.integers(1, 10**7))
def test_a_refund_never_exceeds_what_was_paid_less_earlier_refunds(pay, earlier, fen):
    if earlier > pay:
        earlier = pay
    if fen <= pay - earlier:
        assert check_refund(fen, pay, earlier) == fen
    else:
        with pytest.raises(RefundTooLarge):
            check_refund(fen, pay, earlier)


def state(**kw) -> ShopTrust:
    base = dict(
        shop_id="s",
        identity_status=None,
        in_deposit_program=False,
        deposit_fen=0,
        required_fen=100,
        in_returns_program=False,
    )
    return ShopTrust(**{**base, **kw})


def test_badges_derive_from_the_state_alone():
    assert derive_badges(state()) == frozenset()
    assert derive_badges(state(identity_status="verified")) == {Badge.VERIFIED}
    assert derive_badges(state(identity_status="pending")) == frozenset()
    assert derive_badges(state(in_deposit_program=True, deposit_fen=99)) == frozenset()
    assert derive_badges(state(in_deposit_program=True, deposit_fen=100)) == {Badge.DEPOSIT}
    assert derive_badges(state(in_deposit_program=False, deposit_fen=100)) == frozenset()
    assert derive_badges(state(in_returns_program=True)) == {Badge.RETURNS}


def test_the_trust_score_is_the_share_of_badge_weight():
    w = TrustWeights()
    assert w.score([]) == 0
    assert w.score(list(Badge)) == 1
    assert w.score([Badge.VERIFIED]) == pytest.approx(1 / 5)
    with pytest.raises(InvalidInput):
        TrustWeights(weights={Badge.VERIFIED: -1.0})
