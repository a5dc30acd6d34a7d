"""The reference grammar: NAME@VERSION, @latest, @promoted, @ENV, MLflow URIs; and --at WHEN."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afsreg.errors import AfsregError
from afsreg.format.refs import (
    Ref,
    RefError,
    VersionRef,
    base_model_id,
    looks_like_hf_id,
    parse_external,
    parse_ref,
    parse_version_ref,
)
from afsreg.git.asof import parse_when


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("majora@v2", VersionRef("majora", "version", "v2")),
        ("majora@v2.0.0-rc.1", VersionRef("majora", "version", "v2.0.0-rc.1")),
        ("majora@latest", VersionRef("majora", "latest", "latest")),
        ("majora@promoted", VersionRef("majora", "promoted", "promoted")),
        ("majora@production", VersionRef("majora", "env", "production")),
        ("majora@env:latest", VersionRef("majora", "env", "latest")),
        ("majora@env:v1", VersionRef("majora", "env", "v1")),
        ("models:/majora/2", VersionRef("majora", "version", "v2")),
        ("models:/majora/v2.1", VersionRef("majora", "version", "v2.1")),
        ("models:/majora/latest", VersionRef("majora", "latest", "latest")),
        ("models:/majora/Production", VersionRef("majora", "env", "production")),
        ("models:/majora/Staging", VersionRef("majora", "env", "staging")),
        ("models:/majora@champion", VersionRef("majora", "promoted", "promoted")),
        ("models:/majora@production", VersionRef("majora", "env", "production")),
    ],
)
def test_the_grammar(text: str, expected: VersionRef) -> None:
    assert parse_version_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "majora",
        "Majora@v1",
        "majora@",
        "majora@V2",
        "majora@prod uction",
        "models:/majora",
        "models:/majora/None",
        "models:/majora/Archived",
        "models:/majora/2/3",
        "models:/Majora/2",
        "models:/majora/0",
    ],
)
def test_malformed_references_are_refused_with_the_reference_named(text: str) -> None:
    with pytest.raises(RefError) as info:
        parse_version_ref(text)
    assert repr(text.strip()) in str(info.value)


def test_parse_ref_wants_an_exact_version() -> None:
    assert parse_ref("majora@v2") == Ref("majora", "v2")
    with pytest.raises(RefError, match="the version of majora deployed in production"):
        parse_ref("majora@production")


_names = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,20}\Z")
_selectors = st.one_of(
    st.from_regex(r"\Av(0|[1-9][0-9]{0,3})(\.(0|[1-9][0-9]{0,3})){0,2}\Z"),
    st.sampled_from(["latest", "promoted"]),
    _names,
)


@given(_names, _selectors)
def test_str_parses_back_to_the_same_reference(name: str, selector: str) -> None:
    ref = parse_version_ref(f"{name}@{selector}")
    assert parse_version_ref(str(ref)) == ref
    env = VersionRef(name, "env", selector)
    assert parse_version_ref(str(env)) == env  # an env named like a version keeps env:


def test_external_ids() -> None:
    assert looks_like_hf_id("Qwen/Qwen2.5-Coder-7B")
    assert not looks_like_hf_id("qwen2.5-coder")
    assert not looks_like_hf_id("a/b/c")
    assert not looks_like_hf_id("https://huggingface.co/Qwen/X")
    assert parse_external("Qwen/Qwen2.5-Coder-7B") == (None, "Qwen/Qwen2.5-Coder-7B")
    assert parse_external("hf:Qwen/X") == ("huggingface", "Qwen/X")
    assert parse_external("huggingface:Qwen/X") == ("huggingface", "Qwen/X")
    assert parse_external("https://huggingface.co/Qwen/X/") == ("huggingface", "Qwen/X")
    assert parse_external("https://github.com/org/repo") == ("github", "org/repo")
    entry = {"external": "Qwen/X", "source": "huggingface", "revision": "abc"}
    assert base_model_id(entry) == "huggingface:Qwen/X"
    assert base_model_id({"model": "majora@v1"}) == "majora@v1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15", datetime(2026, 1, 15, tzinfo=UTC)),
        ("2026-01-15T00:00Z", datetime(2026, 1, 15, tzinfo=UTC)),
        ("2026-01-15T10:30:00+02:00", datetime(2026, 1, 15, 8, 30, tzinfo=UTC)),
        ("2026-01-15 10:30", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("main", None),
        ("HEAD~3", None),
        ("a38d27d166", None),
    ],
)
def test_when_is_a_time_or_a_revision(text: str, expected: datetime | None) -> None:
    assert parse_when(text) == expected


def test_an_impossible_date_is_an_error_not_a_revision() -> None:
    with pytest.raises(AfsregError, match="2026-02-30"):
        parse_when("2026-02-30")
