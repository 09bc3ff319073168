"""The shipment state machine: carriers' reports in an order that makes sense, or refused."""

from __future__ import annotations

import pytest

from megasale.domain.errors import InvalidShipmentTransition
from megasale.domain.shipments import (
    DEFAULT_CARRIERS,
    ShipmentStatus,
    check_shipment_transition,
    choose_carrier,
)

S = ShipmentStatus


@pytest.mark.parametrize(
    "path",
    [
        [S.PICKED_UP, S.IN_TRANSIT, S.IN_TRANSIT, S.DELIVERED],
        [S.PICKED_UP, S.DELIVERED],
        [S.PICKED_UP, S.IN_TRANSIT, S.FAILED],
    ],
)
def test_a_parcel_moves_on_as_carriers_report_it(path):
    current = S.AWAITING_HANDOVER
    for status in path:
        current = check_shipment_transition(current, status)
    assert current == path[-1]


@pytest.mark.parametrize(
    ("current", "reported"),
    [
        (S.AWAITING_HANDOVER, S.DELIVERED),
        (S.AWAITING_HANDOVER, S.IN_TRANSIT),
        (S.DELIVERED, S.IN_TRANSIT),
        (S.DELIVERED, S.FAILED),
        (S.FAILED, S.DELIVERED),
        (S.PICKED_UP, S.PICKED_UP),
    ],
)
def test_a_report_that_makes_no_sense_is_refused_with_what_is_possible(current, reported):
    with pytest.raises(InvalidShipmentTransition) as caught:
        check_shipment_transition(current, reported)
    assert f"is {current}" in caught.value.detail
    assert f"reported {reported}" in caught.value.detail


def test_orders_spread_over_every_carrier_and_keep_theirs():
    chosen = [choose_carrier(f"o-{n}", DEFAULT_CARRIERS).carrier_id for n in range(2_000)]
    counts = {c.carrier_id: chosen.count(c.carrier_id) for c in DEFAULT_CARRIERS}
    assert min(counts.values()) > 400
    assert choose_carrier("o-7", DEFAULT_CARRIERS) == choose_carrier("o-7", DEFAULT_CARRIERS)


def test_a_tracking_number_carries_the_carriers_prefix():
    sf = DEFAULT_CARRIERS[0]
    number = sf.tracking_number("o-1", "")
    assert number.startswith("SF") and len(number) == 14 and number[2:].isdigit()
