from datetime import UTC, datetime, timedelta

import pytest

from megasale.domain.catalog import Sku
from megasale.domain.errors import (
    InvalidInput,
    InvalidTransition,
    PromotionNotOpen,
    SkuNotInPromotion,
    UnknownSku,
)
from megasale.domain.orders import (
    ClientContext,
    OrderRequest,
    OrderStatus,
    Pickup,
    RequestedLine,
    Shipping,
    check_transition,
    quote_order,
)
from megasale.domain.promotions import PromoItem, Promotion, SubsidyRule

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)

SKUS = {
    "tv": Sku("tv", "shop-a", "55-inch TV", "tv", 249_900, 10),
    "fryer": Sku("fryer", "shop-a", "Air fryer", "small_appliance", 29_900, 10),
    "fridge": Sku("fridge", "shop-b", "Fridge", "fridge", 329_900, 10),
}


def promotion(**kw):
    args = dict(
        promotion_id="p1",
        name="Double 11",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=24),
        budget_fen=1_000_000,
        items={
            "tv": PromoItem("tv", 199_900, 2),
            "fryer": PromoItem("fryer", 19_900, 5),
            "fridge": PromoItem("fridge", 299_900, 1),
        },
        subsidy_rules=[SubsidyRule(5_000, category="tv"), SubsidyRule(1_000, sku_id="fryer")],
    )
    args.update(kw)
    return Promotion(**args)


def request(*lines, fulfilment=None):
    return OrderRequest(
        buyer_id="b1",
        promotion_id="p1",
        lines=[RequestedLine(sku, qty) for sku, qty in lines],
        fulfilment=fulfilment or Pickup("st-1"),
        client=ClientContext("203.0.113.9", "dev-1", "card-1"),
    )


def test_an_order_is_priced_at_promo_prices_with_the_subsidy_per_unit():
    order = quote_order(request(("tv", 2), ("fryer", 3)), promotion(), SKUS, order_id="o1", at=T0)
    assert order.amount_fen == 2 * 199_900 + 3 * 19_900
    assert [line.subsidy_fen for line in order.lines] == [10_000, 3_000]
    assert order.pay_fen == order.amount_fen - 13_000
    assert order.shop_id == "shop-a"
    assert order.status is OrderStatus.PLACED


def test_a_rule_naming_the_sku_wins_over_its_category():
    p = promotion(
        subsidy_rules=[SubsidyRule(9_000, category="tv"), SubsidyRule(1_234, sku_id="tv")]
    )
    order = quote_order(request(("tv", 1)), p, SKUS, order_id="o1", at=T0)
    assert order.subsidy_fen == 1_234


def test_the_per_order_cap_is_split_across_lines_and_sums_back_exactly():
    p = promotion(max_subsidy_per_order_fen=10_001)
    order = quote_order(request(("tv", 2), ("fryer", 3)), p, SKUS, order_id="o1", at=T0)
    assert order.subsidy_fen == 10_001
    assert [line.subsidy_fen for line in order.lines] == [7_693, 2_308]


def test_an_order_before_the_window_opens_is_refused():
    with pytest.raises(PromotionNotOpen):
        quote_order(
            request(("tv", 1)), promotion(), SKUS, order_id="o", at=T0 - timedelta(seconds=1)
        )


def test_the_window_closes_at_its_end():
    with pytest.raises(PromotionNotOpen):
        quote_order(
            request(("tv", 1)), promotion(), SKUS, order_id="o", at=T0 + timedelta(hours=24)
        )


def test_an_unknown_sku_and_a_sku_off_promotion_are_told_apart():
    with pytest.raises(UnknownSku):
        quote_order(request(("nope", 1)), promotion(), SKUS, order_id="o", at=T0)
    p = promotion(items={"tv": PromoItem("tv", 199_900, 2)})
    with pytest.raises(SkuNotInPromotion):
        quote_order(request(("fryer", 1)), p, SKUS, order_id="o", at=T0)


def test_one_order_holds_one_shops_goods():
    with pytest.raises(InvalidInput, match="one shop"):
        quote_order(request(("tv", 1), ("fridge", 1)), promotion(), SKUS, order_id="o", at=T0)


@pytest.mark.parametrize("qty", [0, -1, 100])
def test_a_quantity_out_of_range_names_the_line(qty):
    with pytest.raises(InvalidInput, match=r"lines\[0\]\.quantity"):
        quote_order(request(("tv", qty)), promotion(), SKUS, order_id="o", at=T0)


def test_the_subsidy_never_exceeds_the_line_amount():
    p = promotion(subsidy_rules=[SubsidyRule(10**9, sku_id="fryer")])
    order = quote_order(
        request(("fryer", 1)),
        p,
        SKUS,
        order_id="o",
        at=T0,
    )
    assert order.subsidy_fen == order.amount_fen == 19_900
    assert order.pay_fen == 0


def test_shipping_orders_keep_the_address():
    order = quote_order(
        request(("tv", 1), fulfilment=Shipping("Chengdu, Jinjiang, Road 1")),
        promotion(),
        SKUS,
        order_id="o",
        at=T0,
    )
    assert order.fulfilment == Shipping("Chengdu, Jinjiang, Road 1")


def test_a_placed_order_can_be_shipped_then_delivered_then_returned():
    status = OrderStatus.PLACED
    for target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURNED):
        status = check_transition(status, target)
    assert status is OrderStatus.RETURNED


def test_a_cancelled_order_cannot_be_collected_and_the_error_says_what_can_happen():
    with pytest.raises(InvalidTransition, match="cannot become collected"):
        check_transition(OrderStatus.CANCELLED, OrderStatus.COLLECTED)
    with pytest.raises(InvalidTransition, match="ready_for_pickup"):
        check_transition(OrderStatus.PLACED, OrderStatus.COLLECTED)


def test_a_promotion_needs_an_aware_window_that_ends_after_it_starts():
    with pytest.raises(InvalidInput):
        promotion(ends_at=T0)
    with pytest.raises(InvalidInput):
        promotion(starts_at=datetime(2026, 11, 11))
