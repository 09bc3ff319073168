"""Pickup codes: enough randomness, short to read out, and a check character that catches typos."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from megasale.domain.errors import MistypedPickupCode
from megasale.domain.pickup_codes import (
    ALPHABET,
    BODY_LENGTH,
    CODE_LENGTH,
    check_character,
    code_from_bits,
    format_code,
    new_pickup_code,
    normalise_code,
)

bodies = st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH)


def test_a_code_carries_at_least_40_random_bits_and_reads_out_in_three_groups():
    assert len(set(ALPHABET)) == 32
    assert BODY_LENGTH * math.log2(len(ALPHABET)) >= 40
    code = new_pickup_code()
    assert len(code) == CODE_LENGTH
    assert format_code(code).count("-") == 2
    assert normalise_code(format_code(code)) == code


def test_fresh_codes_do_not_repeat():
    assert len({new_pickup_code() for _ in range(5_000)}) == 5_000


def test_the_alphabet_leaves_out_letters_that_read_like_digits():
    assert not set("ILOU") & set(ALPHABET)


def test_every_single_character_typo_in_every_position_is_caught():
    for _ in range(200):
        code = new_pickup_code()
        for position in range(CODE_LENGTH):
            for symbol in ALPHABET:
                if symbol == code[position]:
                    continue
                typo = code[:position] + symbol + code[position + 1 :]
                with pytest.raises(MistypedPickupCode):
                    normalise_code(typo)
        assert normalise_code(code) == code


@given(bodies, st.integers(0, CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_a_substituted_symbol_never_checks_out(body, position, symbol):
    code = body + check_character(body)
    typo = code[:position] + symbol + code[position + 1 :]
    if typo == code:
        assert normalise_code(typo) == code
    else:
        with pytest.raises(MistypedPickupCode):
            normalise_code(typo)


def test_most_swaps_of_neighbours_are_caught_too():
    caught = total = 0
    for _ in range(300):
        code = new_pickup_code()
        for i in range(CODE_LENGTH - 1):
            if code[i] == code[i + 1]:
                continue
            total += 1
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            try:
                normalise_code(swapped)
            except MistypedPickupCode:
                caught += 1
    assert caught / total > 0.9


def test_lower_case_spaces_and_look_alike_letters_are_read_as_meant():
    body = "0123456789"
    code = body + check_character(body)
    typed = " o123-456 789" + code[-1].lower()
    assert normalise_code(typed.replace("1", "l", 1)) == code


@pytest.mark.parametrize(
    ("typed", "why"),
    [("ABC", "11 characters"), ("U" * CODE_LENGTH, "never contains U")],
)
def test_a_code_of_the_wrong_form_says_what_is_wrong(typed, why):
    with pytest.raises(MistypedPickupCode, match=why):
        normalise_code(typed)


@given(st.integers(0, 2**64 - 1))
def test_a_code_derived_from_bits_always_checks_out(bits):
    code = code_from_bits(bits)
    assert normalise_code(code) == code
