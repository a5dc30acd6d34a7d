"""Typed deep equality (afsreg.format.fields.same), against its plain recursive definition."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from afsreg.format.fields import same

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, -0.0, 0.5, float("nan")]),
    st.sampled_from(["", "a", "1"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=8,
)


def reference(a: Any, b: Any) -> bool:
    """What ``same`` means: equal, and of the same type at every level."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(reference(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(reference(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(VALUES, VALUES)
def test_same_is_typed_deep_equality(a: Any, b: Any) -> None:
    assert same(a, b) == reference(a, b)
    assert same(a, a) == reference(a, a)  # NaN is not the same as itself, as before


def test_same_tells_numbers_of_other_types_apart() -> None:
    assert same({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]})
    assert not same(1, 1.0) and not same(1, True) and not same(0, False)
    assert not same({"a": 1}, {"a": 1.0}) and not same([True], [1])
    assert not same({"a": 1}, OrderedDict(a=1))  # a dict subclass is another type
    assert same(OrderedDict(a=[1]), OrderedDict(a=[1]))
