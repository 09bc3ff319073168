"""Views that survive IP rotation: building, subnet, phone block, device family."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from megasale.brushing.views import (
    building_expr,
    building_of,
    device_family_expr,
    device_family_of,
    phone_block_expr,
    phone_block_of,
    subnet_expr,
    subnet_of,
)


def test_flats_of_one_building_share_a_building() -> None:
    a = "Hangzhou, Xihu District, Wenhua Road No. 128, Building 7, Unit 2, Room 1502"
    b = "Hangzhou, Xihu District, Wenhua Road No. 128, Building 7, Unit 5, Room 302"
    c = "Hangzhou, Xihu District, Wenhua Road No. 128, Building 8, Unit 2, Room 1502"
    assert building_of(a) == building_of(b) != building_of(c)


def test_the_street_number_is_part_of_the_building() -> None:
    a = "Hangzhou, Xihu District, Wenhua Road No. 128, Building 7, Unit 2, Room 1502"
    b = "Hangzhou, Xihu District, Wenhua Road No. 129, Building 7, Unit 2, Room 1502"
    assert building_of(a) != building_of(b)


def test_chinese_addresses_drop_unit_and_room() -> None:
    assert building_of("杭州市西湖区文化路128号7号楼2单元1502室") == building_of(
        "杭州市西湖区文化路128号7号楼5单元302室"
    )


def test_case_does_not_make_another_building() -> None:
    assert building_of("88 Jianguo Rd, Bldg 3") == building_of("88 JIANGUO RD, BLDG 3, Room 5")


def test_a_word_that_merely_contains_a_unit_word_is_kept() -> None:
    assert building_of("Farmer Road No. 5, Building 2") == "farmer road no. 5, building 2"


def test_ipv4_subnets_are_slash_24_and_ipv6_slash_64() -> None:
    assert subnet_of("58.17.3.200") == subnet_of("58.17.3.1") != subnet_of("58.17.4.1")
    assert subnet_of("2001:db8:1:2::9") == "2001:db8:1:2"


def test_phone_numbers_of_one_block_share_it() -> None:
    assert phone_block_of("17012345678") == phone_block_of("17012340001") == "1701234"
    assert phone_block_of("17012355678") != phone_block_of("17012345678")


def test_sequential_device_serials_share_a_family() -> None:
    assert device_family_of("d00000abcdef0012") == device_family_of("d00000abcdef00ff")
    assert device_family_of("short") == "short"


text = st.text(alphabet="abc 0123456789,#-单元室号楼", max_size=40)


@given(st.lists(text, min_size=1, max_size=5))
def test_the_column_rules_agree_with_the_single_value_rules(values: list[str]) -> None:
    frame = pl.DataFrame({"v": values})
    buildings = frame.select(building_expr("v"))["v"].to_list()
    assert buildings == [building_of(v) or None for v in values]
    assert frame.select(phone_block_expr("v"))["v"].to_list() == [phone_block_of(v) for v in values]
    families = frame.select(device_family_expr("v"))["v"].to_list()
    assert families == [device_family_of(v) for v in values]


@given(st.lists(st.ip_addresses().map(str), min_size=1, max_size=5))
def test_the_subnet_column_rule_agrees_with_the_single_value_rule(values: list[str]) -> None:
    frame = pl.DataFrame({"v": values})
    assert frame.select(subnet_expr("v"))["v"].to_list() == [subnet_of(v) for v in values]


@given(st.lists(st.text(alphabet="a0.:f", max_size=20), min_size=1, max_size=5))
def test_the_subnet_column_rule_agrees_on_any_text(values: list[str]) -> None:
    frame = pl.DataFrame({"v": values})
    assert frame.select(subnet_expr("v"))["v"].to_list() == [subnet_of(v) for v in values]
