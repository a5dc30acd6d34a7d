"""Loader hardening (issue 11): values core tags cannot build, huge integers, alias
expansion measured in bytes, nesting in every style, and the number forms YAML 1.1
and 1.2 disagree on. Assertions are on afsreg's own words, location and field."""

from __future__ import annotations

import pytest
from conftest import GitRegistry, dump, model_doc, run_afsreg

from afsreg.format.loader import MAX_DEPTH, YamlError, load_yaml


def refused(content: bytes) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_yaml(content)
    return info.value


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b'a: !!bool "maybe"\n', "'maybe' is not a boolean"),
        (b'a: !!int ""\n', "'' is not an integer"),
        (b'a: !!int "twelve"\n', "'twelve' is not an integer"),
        (b'a: !!float "abc"\n', "'abc' is not a number"),
        (b'a: !!null "x"\n', "'x' is not a null"),
    ],
)
def test_core_tag_that_cannot_build_its_value_is_located(text: bytes, words: str) -> None:
    error = refused(text)
    assert (error.line, error.col, error.field) == (1, 4, "a")
    assert words in error.message


def test_integer_past_the_digit_limit_is_located_not_an_internal_error() -> None:
    for text in (b"a: " + b"7" * 5000 + b"\n", b"a: 0x" + b"f" * 20000 + b"\n"):
        error = refused(text)
        assert error.field == "a" and "digits" in error.message


def test_long_but_reasonable_integer_is_exact() -> None:
    assert load_yaml(b"a: " + b"9" * 40 + b"\n") == {"a": int("9" * 40)}


def test_alias_expansion_is_budgeted_in_bytes_not_only_values() -> None:
    # 2,000 aliases of one 50 KB string: far under the value budget, 100 MB once expanded.
    text = b'a: &a "' + b"x" * 50_000 + b'"\nb: [' + b", ".join([b"*a"] * 2000) + b"]\n"
    error = refused(text)
    assert error.field == "b" and "MiB of text after expanding aliases" in error.message


def deep_block_sequence(levels: int) -> bytes:
    return b"a:\n  " + b"- " * levels + b"x\n"


def deep_block_mapping(levels: int) -> bytes:
    return b"".join(b" " * i + b"k:\n" for i in range(levels)) + b" " * levels + b"x: 1\n"


def deep_flow(levels: int) -> bytes:
    return b"a: " + b"[" * levels + b"]" * levels + b"\n"


def deep_flow_in_block(levels: int) -> bytes:
    return b"a:\n  - " + b"{b: " * levels + b"1" + b"}" * levels + b"\n"


@pytest.mark.parametrize(
    "make", [deep_block_sequence, deep_block_mapping, deep_flow, deep_flow_in_block]
)
@pytest.mark.parametrize("levels", [MAX_DEPTH + 5, 300, 5_000, 200_000])
def test_nesting_limit_holds_in_every_style_and_depth(make, levels: int) -> None:  # type: ignore[no-untyped-def]
    if make is deep_block_mapping and levels > 1000:
        levels = 1400  # indentation grows with depth: 1 MiB holds about 1,400 levels
    error = refused(make(levels))
    assert error.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert error.field.startswith(("a", "k")) and error.line >= 1


def test_nesting_at_the_limit_is_accepted() -> None:
    # The top mapping is level 0; 63 more lists stay inside the limit.
    assert load_yaml(deep_flow(MAX_DEPTH - 1)) is not None


# -- accepted and refused forms (docs/format.md, "Accepted forms") -----------------


def test_crlf_line_endings_read_as_lf() -> None:
    assert load_yaml(b"a: 1\r\nb: [x, y]\r\n") == load_yaml(b"a: 1\nb: [x, y]\n")


def test_hexadecimal_integers_are_accepted() -> None:
    assert load_yaml(b"a: 0x10\n") == {"a": 16}


@pytest.mark.parametrize(
    "number", ["017", "00", "1:20", "190:20:30.15", "0b101", "1_000", "0.000_1"]
)
def test_yaml11_only_number_forms_are_refused(number: str) -> None:
    error = refused(f"a: {number}\n".encode())
    assert error.field == "a" and "YAML 1.1 and YAML 1.2" in error.message


def test_quoted_yaml11_forms_are_text() -> None:
    assert load_yaml(b'a: "017"\nb: "1:20"\n') == {"a": "017", "b": "1:20"}


# -- through the CLI, in a file and in a commit -----------------------------------------


@pytest.mark.parametrize(
    "value", ['!!bool "maybe"', '!!int ""', '!!float "abc"', "7" * 5000, "017"]
)
def test_bad_core_value_in_file_and_commit_is_a_located_refusal(
    git_registry: GitRegistry, value: str
) -> None:
    text = dump(model_doc("m", "v1")).replace("parameter_count: 1000", f"parameter_count: {value}")
    git_registry.write("models/m/v1.yaml", text)
    line = next(
        i for i, row in enumerate(text.splitlines(), 1) if row.startswith("parameter_count")
    )
    result = run_afsreg(["validate"], git_registry.root)
    assert result.returncode == 1, result
    assert f"models/m/v1.yaml:{line}:18: parameter_count:" in result.stderr
    result = run_afsreg(["show", "m@v1"], git_registry.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"models/m/v1.yaml doesn't parse: {line}:18: parameter_count:" in result.stderr
    git_registry.commit("bad value")
    for args in (
        ["validate", "--against", "HEAD"],
        ["sync", "--database-url", "sqlite:///db.sqlite"],
    ):
        result = run_afsreg(args, git_registry.root)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr
        assert f"models/m/v1.yaml:{line}:" in result.stdout + result.stderr
    assert not (git_registry.root / "db.sqlite").exists()


def test_yaml11_booleans_are_read_as_booleans_as_documented() -> None:
    assert load_yaml(b"a: yes\nb: off\n") == {"a": True, "b": False}
