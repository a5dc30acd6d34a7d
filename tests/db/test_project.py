"""Rows to and from the drivers (afsreg.db.project): the batched conversions a full sync uses
give what the one-value functions give, types included."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afsreg.db.project import (
    Kind,
    NotJson,
    Verbatim,
    canonical_ts,
    from_db,
    row_reader,
    row_values,
    rows_values,
)
from afsreg.errors import ValidationError


@pytest.mark.parametrize(
    "kind, value",
    [
        ("text", "x"),
        ("text", None),
        ("text", 1.5),
        ("text", NotJson("{bad")),
        ("text", Verbatim({"a": 1})),
        ("ts", "2026-01-02T00:00:00+00:00"),
        ("int", 3),
        ("int", True),
        ("int", "4"),
        ("bool", 1),
        ("json", {"b": [1, "é"], "a": None}),
        ("json", ["x"]),
        ("json", "text"),
        ("json", NotJson("{bad")),
    ],
)
def test_rows_values_gives_what_row_values_gives(kind: Kind, value: Any) -> None:
    columns: dict[str, Kind] = {"k": "text", "v": kind}
    rows = [{"k": "one", "v": value}, {"k": "two"}]
    expected = [row_values(r, columns, ["v", "k"]) for r in rows]
    got = rows_values(rows, columns, ["v", "k"])
    assert got == expected
    assert [[type(x) for x in row] for row in got] == [[type(x) for x in row] for row in expected]


def _from_db_as_before(value: Any, kind: Kind) -> Any:
    """from_db of a timestamp without its fast path: parse, else the text."""
    if value is None or kind != "ts":
        return from_db(value, kind)
    try:
        return canonical_ts(value)
    except ValidationError:
        return str(value)


TIMESTAMPS = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + "+00:00"),
    st.datetimes(timezones=st.just(UTC)),
    st.from_regex(
        r"\A[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\.[0-9]{6})?(\+00:00|Z|\+01:00)?\Z"
    ),
    st.sampled_from(["2026-02-30T00:00:00+00:00", "2026-01-02T00:00:00.000000+00:00", " x"]),
)


@given(TIMESTAMPS)
def test_a_timestamp_read_back_is_what_it_was_before_the_fast_path(value: Any) -> None:
    assert from_db(value, "ts") == _from_db_as_before(value, "ts")


@pytest.mark.parametrize(
    "kind, value",
    [
        ("text", "x"),
        ("text", 7),
        ("int", 3),
        ("int", "4"),
        ("int", True),
        ("bool", 2),
        ("json", '{"b": 1}'),
        ("json", "{bad"),
        ("json", {"already": "parsed"}),
        ("ts", "2026-01-02T00:00:00Z"),
        ("ts", "2026-01-02T00:00:00+00:00"),
        ("ts", None),
    ],
)
def test_row_reader_gives_what_from_db_gives(kind: Kind, value: Any) -> None:
    read = row_reader({"k": "text", "v": kind}, ["v", "k"])
    got = read((value, "key"))
    assert got == {"v": from_db(value, kind), "k": "key"}
    assert type(got["v"]) is type(from_db(value, kind))
