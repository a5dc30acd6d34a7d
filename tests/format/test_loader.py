import pytest

from afsreg.format.loader import MAX_FILE_BYTES, YamlError, load_yaml, locate


def error_of(content: bytes) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_yaml(content)
    return info.value


def test_plain_data_loads_and_timestamps_stay_strings() -> None:
    data = load_yaml(
        b"a: 1\nb: [x, 2.5]\nwhen: 2026-01-14T12:00:00Z\nday: 2026-01-14\nok: true\nnone: null\n"
    )
    assert data == {
        "a": 1,
        "b": ["x", 2.5],
        "when": "2026-01-14T12:00:00Z",
        "day": "2026-01-14",
        "ok": True,
        "none": None,
    }


def test_duplicate_key_points_at_the_second_one() -> None:
    err = error_of(b"name: a\nversion: v1\nname: b\n")
    assert (err.line, err.col, err.field) == (3, 1, "name")
    assert "duplicate key 'name' (first at line 1)" in err.message


def test_python_object_tags_are_refused_without_running_anything() -> None:
    err = error_of(b"x: !!python/object/apply:os.system ['touch /tmp/afsreg-pwned']\n")
    assert "!!python/object/apply:os.system is not allowed" in err.message
    assert err.field == "x"


def test_custom_tags_and_merge_keys_are_refused() -> None:
    assert "not allowed" in error_of(b"x: !secret 1\n").message
    assert "merge keys" in error_of(b"base: &b {a: 1}\nx:\n  <<: *b\n").message


def test_billion_laughs_fails_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    err = error_of(("\n".join(lines) + "\n").encode())
    assert "alias" in err.message and err.line > 1


def test_deep_nesting_is_refused() -> None:
    err = error_of(b"[" * 10_000 + b"]" * 10_000)
    assert "nesting deeper than" in err.message
    block = "".join(f"{' ' * i}k{i}:\n" for i in range(100)) + " " * 100 + "k: 1\n"
    assert "nesting deeper than" in error_of(block.encode()).message


def test_tabs_bom_utf8_and_size() -> None:
    tab = error_of(b"a:\n\tb: 1\n")
    assert tab.line == 2 and "not tabs" in tab.message
    assert "byte-order mark" in error_of(b"\xef\xbb\xbfa: 1\n").message
    bad = error_of(b"a: ok\nb: \xff\n")
    assert (bad.line, bad.col) == (2, 4) and "UTF-8" in bad.message
    assert "MiB" in error_of(b"a: " + b"x" * MAX_FILE_BYTES).message


def test_nan_and_infinity_are_refused() -> None:
    assert "finite" in error_of(b"x: .nan\n").message
    assert "finite" in error_of(b"x: -.inf\n").message


def test_not_yaml_and_multiple_documents() -> None:
    assert "not valid YAML" in error_of(b"a: [1, 2\n").message
    assert "not valid YAML" in error_of(b"a: 1\n---\nb: 2\n").message


def test_locate_finds_nested_keys_and_list_items() -> None:
    text = b"a: 1\nlineage:\n  base_models:\n    - model: x@v1\n      relation: merge\n"
    assert locate(text, ("lineage", "base_models", 0, "relation")) == (5, 7)
    assert locate(text, ("lineage", "parent")) == (2, 1)  # missing: its parent mapping
    assert locate(text, ()) == (1, 1)
