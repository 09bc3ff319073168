"""fast_init: the dataclass's own constructor, only faster; anything it cannot copy is refused."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from megasale.domain.records import fast_init


def _record(name: str) -> type:
    """The same frozen, slotted dataclass each call: defaults, a factory, a computed field."""

    @dataclass(frozen=True, slots=True)
    class Record:
        a: str
        b: int
        c: tuple[int, ...] = ()
        d: list[int] = field(default_factory=list, compare=False)
        total: int = field(init=False, compare=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "total", self.b + sum(self.c))

    Record.__name__ = Record.__qualname__ = name
    return Record


Plain: Any = _record("Plain")
Fast: Any = fast_init(_record("Fast"))


def _fields(obj: object) -> dict[str, object]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]


@given(st.text(), st.integers(), st.tuples(st.integers()), st.lists(st.integers()))
def test_it_builds_what_the_dataclass_builds_positionally_and_by_keyword(
    a: str, b: int, c: tuple[int, ...], d: list[int]
) -> None:
    assert _fields(Fast(a, b, c, d)) == _fields(Plain(a, b, c, d))
    assert _fields(Fast(a, b)) == _fields(Plain(a, b))
    assert _fields(Fast(b=b, a=a, d=d)) == _fields(Plain(b=b, a=a, d=d))
    assert Fast(a, b, c) == Fast(a, b, c) and hash(Fast(a, b, c)) == hash(Fast(a, b, c))
    assert repr(Fast(a, b, c, d)).removeprefix("Fast") == repr(Plain(a, b, c, d)).removeprefix(
        "Plain"
    )


def test_the_signature_defaults_and_errors_are_the_dataclasses() -> None:
    assert [(p.name, p.kind) for p in inspect.signature(Fast).parameters.values()] == [
        (p.name, p.kind) for p in inspect.signature(Plain).parameters.values()
    ]
    assert Fast("x", 1).d is not Fast("y", 2).d  # a fresh list each time, from the factory
    with pytest.raises(TypeError):
        Fast("x")
    with pytest.raises(TypeError):
        Fast("x", 1, e=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Fast("x", 1).a = "y"
    assert Fast.__init__.__qualname__ == "Fast.__init__"


def test_a_class_it_cannot_copy_is_refused() -> None:
    @dataclass(slots=True)
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(frozen=True, slots=True)
    class KeywordOnly:
        a: int = field(kw_only=True)

    @dataclass(frozen=True, slots=True)
    class WithInitVar:
        a: int
        b: InitVar[int]

        def __post_init__(self, b: int) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class UnsetDefault:
        a: int
        b: int = field(init=False, default=3)

    @dataclass(frozen=True, slots=True)
    class Shadowing:
        _MISSING: int

    for cls in (Mutable, NoSlots, KeywordOnly, WithInitVar, UnsetDefault, Shadowing):
        with pytest.raises(TypeError):
            fast_init(cls)


def test_the_new_init_reads_as_the_dataclasses_own() -> None:
    assert Fast.__init__.__module__ == Plain.__init__.__module__ == __name__
    assert Fast.__init__.__annotations__ == Plain.__init__.__annotations__
