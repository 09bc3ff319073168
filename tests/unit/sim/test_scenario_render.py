"""The vectorised column renderers write what Python's own formatting would."""

from __future__ import annotations

import ipaddress
from datetime import timedelta, timezone

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from megasale.sim.scenario_config import REFERENCE_T0
from megasale.sim.scenario_render import hex_ids, ipv4, iso_times, numbered_ids

MS = st.integers(min_value=-(10**12), max_value=10**12)


@given(st.lists(MS, min_size=1, max_size=50), st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_times_read_as_python_writes_them_in_any_offset(offsets_ms, offset_minutes):
    t0 = REFERENCE_T0.astimezone(timezone(timedelta(minutes=offset_minutes)))
    got = iso_times(np.array(offsets_ms, dtype=np.int64), t0)
    assert got == [
        (t0 + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds") for ms in offsets_ms
    ]


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=50))
def test_ipv4_text_is_the_dotted_quad(values):
    assert ipv4(np.array(values, dtype=np.int64)) == [str(ipaddress.IPv4Address(v)) for v in values]


@given(st.lists(st.integers(min_value=0, max_value=2**60 - 1), min_size=1, max_size=50))
def test_hex_ids_are_zero_padded_lower_case_hex(values):
    assert hex_ids("d", np.array(values, dtype=np.int64), 15) == [f"d{v:015x}" for v in values]


def test_absent_values_render_as_empty_text():
    present = np.array([True, False, True])
    assert numbered_ids("st", np.array([0, 5, 41]), 4, present) == ["st0001", "", "st0042"]
    assert iso_times(np.array([0, 0]), REFERENCE_T0, np.array([False, True]))[0] == ""
