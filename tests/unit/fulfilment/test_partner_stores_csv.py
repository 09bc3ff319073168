"""The partner-store file: every bad row named by its line, nothing taken from a bad file."""

from __future__ import annotations

import pytest

from megasale.domain.errors import StoreImportRejected
from megasale.domain.fulfilment import parse_store_csv
from megasale.sim.partner_network import generate_network, network_csv

HEADER = "store_id,name,chain,city,city_tier,address,opening_hours\n"


def test_a_good_file_gives_every_store_with_its_address_and_hours():
    text = HEADER + (
        "st-1,Suning Wuhan Optics Valley,Suning,Wuhan,2,1 Luoyu Road,09:00-21:30\n"
        '"st-2","Yibin Home, Electric",Independent,Yibin,4,"3 Renmin Road, Cuiping",08:00-20:00\n'
    )
    records = parse_store_csv(text)
    assert [r.store.store_id for r in records] == ["st-1", "st-2"]
    assert records[1].store.name == "Yibin Home, Electric"
    assert records[1].store.city_tier == 4
    assert records[0].opening_hours == "09:00-21:30"


def test_each_bad_row_is_named_by_its_line_and_nothing_is_taken():
    text = HEADER + (
        "st-1,Good,Suning,Wuhan,2,1 Road,09:00-21:00\n"
        "st-2,Bad tier,Suning,Wuhan,5,1 Road,09:00-21:00\n"
        "st-3,Bad hours,Suning,Wuhan,2,1 Road,21:00-09:00\n"
        "st-1,Twice,Suning,Wuhan,2,1 Road,09:00-21:00\n"
        ",No id,Suning,Wuhan,2,1 Road,09:00-21:00\n"
        "st-6,Short row\n"
    )
    with pytest.raises(StoreImportRejected) as caught:
        parse_store_csv(text)
    lines = [line for line, _ in caught.value.rows]
    assert lines == [3, 4, 5, 6, 7]
    problems = dict(caught.value.rows)
    assert "city_tier" in problems[3]
    assert "open before it closes" in problems[4]
    assert "already on line 2" in problems[5]
    assert "store_id" in problems[6]
    assert "line 3" in caught.value.detail


def test_a_file_without_a_needed_column_is_refused_at_the_header():
    with pytest.raises(StoreImportRejected, match="opening_hours"):
        parse_store_csv("store_id,name,chain,city,city_tier,address\nst-1,A,B,C,1,D\n")


def test_the_seeded_network_has_300_big_box_and_2000_small_stores_and_reads_back():
    records = generate_network()
    big = [r for r in records if r.store.city_tier <= 2]
    small = [r for r in records if r.store.city_tier >= 3]
    assert (len(big), len(small)) == (300, 2_000)
    assert all(r.store.chain != "Independent" for r in big)
    assert parse_store_csv(network_csv(records)) == records
    assert network_csv(generate_network()) == network_csv(records)
