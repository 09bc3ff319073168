"""The contract every Store adapter passes (SQLite now; PostgreSQL runs the same suite)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import T0

from megasale.domain.catalog import PartnerStore, Shop, Sku
from megasale.domain.errors import InvalidInput, SoldOut, UnknownSku
from megasale.domain.orders import ClientContext, Order, OrderLine, Pickup, Shipping
from megasale.domain.promotions import PromoItem, Promotion, SubsidyRule
from megasale.services.accounts import hash_token
from megasale.services.order_events import decode_order_placed
from megasale.services.ports import Account, Placement, Role, StoredResponse


def seed(store, *, stock=10, budget=10_000, limit=3):
    store.add_accounts([(Account("m1", Role.MERCHANT, "Merchant"), hash_token("m1-token"))])
    store.add_shop(Shop("shop-1", "m1", "Shop"))
    store.add_sku(Sku("tv", "shop-1", "TV", "tv", 200_000, stock))
    store.add_sku(Sku("fan", "shop-1", "Fan", "small_appliance", 20_000, stock))
    store.add_store(PartnerStore("st-1", "Store", "Chain", "Leshan", 3))
    store.add_promotion(
        Promotion(
            "p1",
            "Sale",
            T0,
            T0 + timedelta(days=1),
            budget,
            items={"tv": PromoItem("tv", 150_000, limit), "fan": PromoItem("fan", 15_000, limit)},
            subsidy_rules=[SubsidyRule(1_000, category="tv")],
        )
    )


def render(outcome):
    if isinstance(outcome, Order):
        return StoredResponse(201, f"order {outcome.order_id}".encode())
    return StoredResponse(409, f"{outcome.code}".encode())


def placement(n, buyer="b1", sku="tv", qty=1, subsidy=1_000, key=None, body=b"same"):
    order = Order(
        order_id=f"o{n:05d}",
        buyer_id=buyer,
        shop_id="shop-1",
        promotion_id="p1",
        lines=(OrderLine(sku, "tv", qty, 150_000, 150_000 * qty, subsidy * qty),),
        fulfilment=Pickup("st-1"),
        client=ClientContext("198.51.100.7", "dev", "card"),
        placed_at=T0 + timedelta(seconds=n),
    )
    return Placement(order, key or f"key-{n}", hashlib.sha256(body).digest(), render)


def test_accounts_are_found_by_the_hash_of_their_token(store):
    store.add_accounts([(Account("b1", Role.BUYER, "Buyer"), hash_token("secret"))])
    assert store.account_for_token(hash_token("secret")) == Account("b1", Role.BUYER, "Buyer")
    assert store.account_for_token(hash_token("other")) is None


def test_a_duplicate_id_is_refused_with_the_field_named(store):
    seed(store)
    with pytest.raises(InvalidInput, match="sku_id"):
        store.add_sku(Sku("tv", "shop-1", "TV", "tv", 1, 1))


def test_a_promotion_reads_back_as_it_was_written(store):
    seed(store)
    p = store.get_promotion("p1")
    assert p.items["tv"] == PromoItem("tv", 150_000, 3)
    assert list(p.subsidy_rules) == [SubsidyRule(1_000, category="tv")]
    assert p.starts_at == T0


def test_stock_never_goes_below_zero(store):
    seed(store, stock=5)
    assert store.change_stock("tv", 3) == 8
    with pytest.raises(SoldOut):
        store.change_stock("tv", -9)
    assert store.get_sku("tv").stock_left == 8
    with pytest.raises(UnknownSku):
        store.change_stock("nope", 1)


def test_a_batch_takes_orders_until_stock_runs_out(store):
    seed(store, stock=2, limit=5)
    results = store.take_orders([placement(i, buyer=f"b{i}") for i in range(4)])
    assert [r.accepted for r in results] == [True, True, False, False]
    assert results[2].response == StoredResponse(409, b"sold-out")
    assert store.get_sku("tv").stock_left == 0


def test_the_subsidy_budget_is_never_overspent(store):
    seed(store, stock=100, budget=2_500, limit=5)
    results = store.take_orders([placement(i, buyer=f"b{i}") for i in range(4)])
    assert [r.accepted for r in results] == [True, True, False, False]
    assert results[2].response == StoredResponse(409, b"subsidy-budget-exhausted")
    assert store.promotion_figures("p1").budget_left_fen == 500


def test_a_buyer_cannot_pass_the_limit_across_batches(store):
    seed(store, stock=100, budget=10**6, limit=3)
    first = store.take_orders([placement(1, qty=2)])
    second = store.take_orders([placement(2, qty=2), placement(3, qty=1)])
    assert first[0].accepted
    assert [r.accepted for r in second] == [False, True]
    assert second[0].response == StoredResponse(409, b"buyer-limit-reached")


def test_a_key_replays_its_first_answer_and_refuses_another_body(store):
    seed(store)
    first = store.take_orders([placement(1, key="k")])
    again = store.take_orders([placement(2, key="k")])
    other = store.take_orders([placement(3, key="k", body=b"different")])
    assert first[0].accepted and again[0].replayed
    assert again[0].response == first[0].response
    assert other[0].key_reused and other[0].response is None
    assert store.get_sku("tv").stock_left == 9
    assert store.stored_response("b1", "k") == (hashlib.sha256(b"same").digest(), first[0].response)


def test_duplicates_inside_one_batch_take_one_order(store):
    seed(store)
    results = store.take_orders([placement(1, key="k"), placement(2, key="k")])
    assert results[0].accepted and results[1].replayed
    assert results[1].response == results[0].response
    assert store.promotion_figures("p1").orders == 1


def test_keys_are_scoped_per_buyer(store):
    seed(store)
    results = store.take_orders(
        [placement(1, buyer="b1", key="k"), placement(2, buyer="b2", key="k")]
    )
    assert all(r.accepted for r in results)


def test_a_refusal_is_kept_under_its_key_too(store):
    seed(store, stock=0)
    first = store.take_orders([placement(1, key="k")])
    assert not first[0].accepted
    store.change_stock("tv", 5)
    again = store.take_orders([placement(2, key="k")])
    assert again[0].replayed and again[0].response == StoredResponse(409, b"sold-out")


def test_every_order_has_one_event_in_sequence_and_checkpoints_persist(store):
    seed(store)
    store.take_orders([placement(i, buyer=f"b{i}") for i in range(3)])
    events = store.read_events(0, 10)
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert [decode_order_placed(e.payload).order_id for e in events] == [
        "o00000",
        "o00001",
        "o00002",
    ]
    assert store.read_events(events[1].seq, 10) == events[2:]
    assert store.last_seq() == events[-1].seq
    assert store.load_checkpoint("live") == 0
    store.save_checkpoint("live", events[1].seq)
    assert store.load_checkpoint("live") == events[1].seq


def test_orders_read_back_whole_and_page_newest_first(store):
    seed(store)
    p = placement(1)
    store.take_orders([p, placement(2), placement(3, buyer="b2")])
    assert store.get_order("o00001") == p.order
    page = store.orders_of("b1", 1, None)
    assert [o.order_id for o in page] == ["o00002"]
    assert [o.order_id for o in store.orders_of("b1", 5, "o00002")] == ["o00001"]


def test_shipping_orders_read_back_with_their_address(store):
    seed(store)
    p = placement(1)
    shipped = Placement(
        replace(p.order, fulfilment=Shipping("Addr 1")),
        "k-ship",
        p.request_hash,
        render,
    )
    store.take_orders([shipped])
    assert store.get_order("o00001").fulfilment == Shipping("Addr 1")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(
        st.lists(
            st.tuples(
                st.integers(0, 5),  # buyer
                st.sampled_from(["tv", "fan"]),
                st.integers(1, 3),  # quantity
                st.integers(0, 8),  # key
            ),
            min_size=1,
            max_size=12,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_whatever_arrives_stock_budget_and_limits_hold_and_each_key_orders_once(
    tmp_path_factory, batches
):
    from megasale.storage.sqlite_store import SqliteStore

    store = SqliteStore(tmp_path_factory.mktemp("h") / "db.sqlite")
    try:
        seed(store, stock=7, budget=9_000, limit=4)
        n = 0
        for batch in batches:
            placements = []
            for buyer, sku, qty, key in batch:
                n += 1
                body = f"{sku}:{qty}".encode()
                placements.append(
                    placement(n, buyer=f"b{buyer}", sku=sku, qty=qty, key=f"k{key}", body=body)
                )
            store.take_orders(placements)
        orders = [o for b in range(6) for o in store.orders_of(f"b{b}", 200, None)]
        sold = Counter()
        per_buyer = Counter()
        for o in orders:
            for line in o.lines:
                sold[line.sku_id] += line.quantity
                per_buyer[(o.buyer_id, line.sku_id)] += line.quantity
        for sku in ("tv", "fan"):
            assert sold[sku] <= 7
            assert store.get_sku(sku).stock_left == 7 - sold[sku]
        assert all(v <= 4 for v in per_buyer.values())
        spent = sum(o.subsidy_fen for o in orders)
        assert spent <= 9_000
        assert store.promotion_figures("p1").budget_left_fen == 9_000 - spent
        assert len(store.read_events(0, 10_000)) == len(orders)
        submitted_keys = {(f"b{b}", f"k{k}") for batch in batches for b, _, _, k in batch}
        assert len(orders) <= len(submitted_keys)
    finally:
        store.close()


def test_a_cancelled_order_gives_back_stock_subsidy_and_limit_once(store):
    from megasale.domain.orders import OrderStatus
    from megasale.services.order_events import decode_status_changed

    seed(store, stock=3, budget=5_000, limit=2)
    store.take_orders([placement(1, qty=2, subsidy=1_000)])
    assert store.get_sku("tv").stock_left == 1
    order = store.change_order_status("o00001", OrderStatus.CANCELLED, T0, release=True)
    assert order.status is OrderStatus.CANCELLED
    assert store.get_sku("tv").stock_left == 3
    assert store.promotion_figures("p1").budget_left_fen == 5_000
    # the limit came back too: the buyer may take two again
    again = store.take_orders([placement(2, qty=2, subsidy=1_000)])
    assert again[0].accepted
    event = decode_status_changed(store.read_events(0, 10)[1].payload)
    assert (event.status, event.previous, event.subsidy_returned_fen) == (
        "cancelled",
        "placed",
        2_000,
    )


def test_a_status_change_the_machine_refuses_changes_nothing(store):
    from megasale.domain.errors import InvalidTransition
    from megasale.domain.orders import OrderStatus

    seed(store)
    store.take_orders([placement(1)])
    with pytest.raises(InvalidTransition):
        store.change_order_status("o00001", OrderStatus.COLLECTED, T0)
    assert store.get_order("o00001").status is OrderStatus.PLACED
    assert len(store.read_events(0, 10)) == 1


def test_every_token_is_listed_with_its_account(store):
    a = Account("b1", Role.BUYER, "Buyer one")
    b = Account("m1", Role.MERCHANT, "Merchant")
    store.add_accounts([(a, hash_token("t-a")), (b, hash_token("t-b"))])
    assert dict(store.tokens()) == {hash_token("t-a"): a, hash_token("t-b"): b}


def test_accounts_resolve_tokens_warmed_opened_here_and_opened_elsewhere(store):
    from megasale.services.accounts import Accounts
    from megasale.services.clock import FakeClock

    store.add_accounts([(Account("early", Role.BUYER, "Early"), hash_token("t-early"))])
    accounts = Accounts(store, FakeClock(T0), cache_seconds=0.0)
    assert accounts.warm() == 1
    assert accounts.authenticate("t-early").account_id == "early"
    opened = accounts.open(Role.MERCHANT, "Here")
    assert accounts.authenticate(opened.token) == opened.account
    assert accounts.authenticate("nobody") is None
    # another process opens an account: found on the next lookup once the miss has expired
    store.add_accounts([(Account("late", Role.BUYER, "Late"), hash_token("t-late"))])
    assert accounts.authenticate("t-late").account_id == "late"
