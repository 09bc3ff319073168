"""Resident IDs and unified social credit codes: format, region, birth date, check character."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from megasale.domain.errors import InvalidIdentity
from megasale.domain.identity import (
    USCC_ALPHABET,
    IdentityKind,
    check_resident_id,
    check_uscc,
    identity_digest,
    mask,
    parse_identity,
    resident_id_check_char,
    uscc_check_char,
)

VALID_IDS = [
    "11010519491231002X",
    "11010119900307" + "001" + resident_id_check_char("11010119900307001"),
    "44030419851226" + "342" + resident_id_check_char("44030419851226342"),
    "65010220000229" + "123" + resident_id_check_char("65010220000229123"),  # a leap day
]
INVALID_IDS = [
    ("11010519491231002", "has 17"),
    ("1101051949123100211", "has 19"),
    ("11010519491231002Y", "digit or X"),
    ("1101051949123A002X", "first 17"),
    ("99010519491231002X", "region"),
    ("11010519491331002X", "not a date"),
    ("11010519490230002X", "not a date"),
    ("11010518891231002X", "out of range"),
    ("110105194912310021", "check digit"),
    ("11010519491231003X", "check digit"),
]
VALID_USCC = [
    "91350100M000100Y43",
    "91110000100000000" + uscc_check_char("91110000100000000"),
    "52440300MJL2" + "0000" + "1" + uscc_check_char("52440300MJL200001"),
]
INVALID_USCC = [
    ("91350100M000100Y4", "has 17"),
    ("91350100M000100Y44", "check character"),
    ("91350100M000100I43", "capitals other than"),
    ("Z1350100M000100Y43", "capitals other than"),
    ("B1350100M000100Y43", "registration authority"),
    ("95350100M000100Y43", "organisation type"),
    ("9199A100M000100Y43", "region code"),
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_a_valid_resident_id_passes(number):
    assert check_resident_id(number).kind is IdentityKind.RESIDENT_ID


@pytest.mark.parametrize(("number", "why"), INVALID_IDS)
def test_an_invalid_resident_id_is_refused_with_its_reason_and_never_echoed(number, why):
    with pytest.raises(InvalidIdentity) as caught:
        check_resident_id(number)
    assert why in caught.value.detail
    assert number not in caught.value.detail and number[:14] not in caught.value.detail


@pytest.mark.parametrize("number", VALID_USCC)
def test_a_valid_credit_code_passes(number):
    assert check_uscc(number).kind is IdentityKind.USCC


@pytest.mark.parametrize(("number", "why"), INVALID_USCC)
def test_an_invalid_credit_code_is_refused_with_its_reason_and_never_echoed(number, why):
    with pytest.raises(InvalidIdentity) as caught:
        check_uscc(number)
    assert why in caught.value.detail
    assert number not in caught.value.detail


def test_a_birth_date_after_today_is_refused():
    first = "11010120300101001"
    with pytest.raises(InvalidIdentity, match="out of range"):
        check_resident_id(first + resident_id_check_char(first), today=date(2026, 11, 11))


def test_spaces_and_a_lower_case_x_are_forgiven():
    assert check_resident_id(" 110105 19491231 002x ").number == "11010519491231002X"


@given(
    st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 9)
)
def test_any_single_digit_mistake_breaks_the_id_check(first17, pos, delta):
    good = first17 + resident_id_check_char(first17)
    wrong = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1 :]
    assert resident_id_check_char(wrong[:17]) != wrong[17]


@given(
    st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17),
    st.integers(0, 16),
    st.integers(1, 30),
)
def test_any_single_character_mistake_breaks_the_credit_code_check(first17, pos, delta):
    good = first17 + uscc_check_char(first17)
    c = USCC_ALPHABET[(USCC_ALPHABET.index(good[pos]) + delta) % 31]
    wrong = good[:pos] + c + good[pos + 1 :]
    assert uscc_check_char(wrong[:17]) != wrong[17]


def test_the_masked_form_keeps_two_characters_at_each_end():
    assert mask("11010519491231002X") == "11**************2X"
    assert parse_identity("uscc", "91350100M000100Y43").masked == "91**************43"


def test_the_digest_is_keyed_and_the_same_for_the_same_identity():
    a = parse_identity("resident_id", "11010519491231002X")
    b = parse_identity("resident_id", "110105 19491231002x")
    assert identity_digest(b"k" * 32, a) == identity_digest(b"k" * 32, b)
    assert identity_digest(b"k" * 32, a) != identity_digest(b"j" * 32, a)
    assert "1101051949" not in repr(a)


def test_an_unknown_kind_is_refused():
    with pytest.raises(InvalidIdentity, match="resident_id or uscc"):
        parse_identity("passport", "E12345678")
