"""Whatever happens to a deposit, the ledger balances and the deposit never goes negative."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from megasale.domain.errors import DepositLocked, InsufficientDeposit, InvalidTransition, NotAllowed
from megasale.domain.promotions import PromoItem

PRICE = 500_000
_shops = itertools.count(1)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(1, 1_500_000)),
        st.tuples(st.just("claim"), st.integers(1, PRICE)),
        st.tuples(st.just("leave"), st.just(0)),
        st.tuples(st.just("join"), st.just(0)),
        st.tuples(st.just("wait_days"), st.integers(1, 20)),
        st.tuples(st.just("pay_back"), st.just(0)),
    ),
    max_size=25,
)


def setup_shop(api):
    """A fresh shop with one SKU on its own promotion, and one order of it by buyer 0."""
    n = next(_shops)
    platform = api.platform
    merchant = platform.accounts.authenticate(api.seeded.merchants[0]["token"])
    operator = platform.accounts.authenticate(api.seeded.operator_token)
    shop = platform.catalog.open_shop(merchant, f"Prop shop {n}", f"prop-{n}")
    sku = platform.catalog.add_sku(
        merchant, shop.shop_id, name="Fridge", category="fridge", list_price_fen=PRICE, stock=9
    )
    now = api.clock.now()
    platform.catalog.create_promotion(
        operator,
        name=f"P{n}",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=3650),
        budget_fen=0,
        items=[PromoItem(sku.sku_id, PRICE, 5)],
        promotion_id=f"promo-prop-{n}",
    )
    r = api.client.post(
        "/v1/orders",
        json={
            "promotion_id": f"promo-prop-{n}",
            "lines": [{"sku_id": sku.sku_id, "quantity": 1}],
            "fulfilment": {"kind": "pickup", "store_id": "st-bj-01"},
        },
        headers={**api.buyer(0), "Idempotency-Key": f"prop-{n}"},
    )
    assert r.status_code == 201, r.text
    return merchant, operator, shop.shop_id, r.json()["order_id"]


def ledger_sums(api):
    conn = api.platform.store.db.connection()
    (total,) = conn.execute("SELECT coalesce(sum(fen), 0) FROM ledger_entries").fetchone()
    unbalanced = conn.execute(
        "SELECT txn_id FROM ledger_entries GROUP BY txn_id HAVING sum(fen) <> 0"
    ).fetchall()
    return total, unbalanced


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ops)
def test_the_ledger_balances_and_a_deposit_never_goes_negative(api, steps):
    trust = api.platform.trust.service
    merchant, operator, shop, order_id = setup_shop(api)
    buyer = api.platform.accounts.authenticate(api.seeded.buyers[0]["token"])
    trust.join(merchant, shop, "deposit")
    member, expected = True, 0
    for op, value in steps:
        if op == "top_up":
            try:
                trust.top_up(merchant, shop, value)
                expected += value
            except NotAllowed:
                assert not member
        elif op == "claim":
            claim = trust.file_claim(buyer, order_id, description="broken", asked_fen=value)
            try:
                trust.award_claim(operator, claim.claim_id, value)
                expected -= value
            except InsufficientDeposit:
                assert value > expected
                trust.dismiss_claim(operator, claim.claim_id, "the deposit cannot cover it")
        elif op == "leave":
            try:
                trust.leave(merchant, shop, "deposit")
                member = False
            except InvalidTransition:
                assert not member
        elif op == "join":
            trust.join(merchant, shop, "deposit")
            member = True
        elif op == "wait_days":
            api.clock.advance(timedelta(days=value))
        else:
            try:
                trust.pay_back(merchant, shop)
                expected = 0
            except (DepositLocked, NotAllowed):
                pass
        balance = api.platform.trust.service.deposit_of(merchant, shop).balance_fen
        assert balance == expected >= 0
        total, unbalanced = ledger_sums(api)
        assert total == 0 and unbalanced == []
        view = trust.deposit_of(merchant, shop)
        assert view.badge == (member and balance >= view.required_fen)
