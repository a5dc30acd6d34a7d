"""Tables: the direct writer of plain text tables prints what tabulate prints."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from afsreg.cli.options import plain_table, tabulate_table

# Printable ASCII, weighted towards what tabulate treats specially: spaces to strip,
# empty cells, the words it reads as booleans, numbers (not parsed here), dashes.
_WORDS = st.sampled_from(["", " ", "  x ", "True", "False", "1", "-2.5", "1e3", "--", "a b"])
_CELL = st.one_of(_WORDS, st.text(alphabet=string.printable[:95], max_size=12))


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(_CELL, min_size=n, max_size=n),
    st.lists(st.lists(_CELL, min_size=n, max_size=n), min_size=1, max_size=6),
)))  # fmt: skip
def test_plain_tables_are_tabulates_simple_tables(table: tuple[list[str], list[list[str]]]) -> None:
    headers, cells = table
    assert plain_table(headers, cells) == tabulate_table(headers, cells)


def test_other_text_is_left_to_tabulate() -> None:
    for cell in ("café", "wide 表", "tab\there", "\x1b[31mred\x1b[0m", "line\nbreak", "clip…"):
        assert plain_table(["h"], [[cell]]) is None
    assert plain_table([], [[]]) is None
