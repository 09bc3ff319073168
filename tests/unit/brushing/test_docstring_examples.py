"""The examples in the brushing modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "megasale.brushing.baselines",
    "megasale.brushing.behaviour",
    "megasale.brushing.detect",
    "megasale.brushing.identity",
    "megasale.brushing.lockstep",
    "megasale.brushing.orderlog",
    "megasale.brushing.shop_rule",
    "megasale.brushing.shop_self",
    "megasale.brushing.stream_components",
    "megasale.brushing.stream_pass",
    "megasale.brushing.stream_rings",
    "megasale.brushing.stream_table",
    "megasale.brushing.streaming",
    "megasale.brushing.views",
    "megasale.brushing.wave_joins",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
