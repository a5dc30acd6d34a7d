from pathlib import Path

import pytest
import yaml
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from afsreg.format import loader
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


# The fast path (yaml-rs) against the strict loader. Wherever the fast path
# answers, the strict loader must build the same data, with the same types
# (True == 1 == 1.0 in Python, so == alone would not tell them apart).


def same_typed(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same_typed(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same_typed(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def assert_fast_agrees(text: str) -> bool:
    """True when the fast path answered (and agreed); False when it left the text to strict."""
    fast = loader._fast_load(text)
    if fast is loader._NO_FAST:
        return False
    try:
        strict = loader._strict_load(text)
    except YamlError as exc:
        raise AssertionError(f"the fast path accepted what strict refuses: {text!r}") from exc
    assert same_typed(fast, strict), (text, fast, strict)
    return True


# Plain scalars YAML 1.1 and 1.2 (or PyYAML and yaml-rs) could read differently.
TRICKY_SCALARS = [
    *("yes", "No", "on", "OFF", "y", "n", "true", "False", "TRUE", "~", "null", "Null", "NULL"),
    *("017", "0o17", "0x1F", "0b11", "1_000", "1:20", "1:20.5", "-017", "+1", "-0", "0"),
    *("1e3", "1E-3", "1.5e3", "1.0e+3", ".5", "+.5", "-.5", "5.", "0.5", "1.", ".inf", ".NaN"),
    *("-.inf", "=", "<<", "@x", "`x", ":x", "?x", "%x", "-x", "v1.2.3", "a@v1", "2026-01-14"),
    *("2026-01-14T12:00:00Z", "12:30", "1 2", "a b", "a #b", "a#b", "'q'", '"q"', "[a]", "{a: 1}"),
    *("9" * 120, "12345678901234567890123", "3.14159265358979323846", "1e400", "0.1", "-1.5"),
    *("é", "日本", "a\u00a0b", "\u0085", "x: y", "- a", "!!str a", "&a x", "*a", "!x y"),
    *("_0", "__1", "0_", "._5", "_.5", "-_1", "+_1", "_1e3", "1__2", "_1_", "_", "a_1", "_a"),
]

scalars = st.one_of(
    st.sampled_from(TRICKY_SCALARS),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.text(alphabet="0123456789.eE+-_:xob ", min_size=1, max_size=6),
)
keys = st.one_of(st.sampled_from(["a", "b", "name", "1", "yes", "null", "~", "x y"]), scalars)


def block(value: object, indent: int) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(f"\n{pad}{k}:{block(v, indent + 2)}" for k, v in value.items()) or " {}"
    if isinstance(value, list):
        return "".join(f"\n{pad}-{block(v, indent + 2)}" for v in value) or " []"
    return f" {value}"


def flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return str(value)


trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(keys, inner, min_size=1, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(keys, trees, min_size=1, max_size=6)


@settings(max_examples=800, deadline=None)
@given(documents, st.sampled_from(["block", "flow", "mixed"]))
def test_fast_path_agrees_with_strict_on_raw_plain_scalars(
    doc: dict[str, object], style: str
) -> None:
    """Scalars written as they are, unquoted: the case where YAML versions disagree most."""
    if style == "block":
        text = block(doc, 0).lstrip("\n") + "\n"
    elif style == "flow":
        text = flow(doc) + "\n"
    else:
        text = "".join(f"{k}: {flow(v)}\n" for k, v in doc.items())
    assert_fast_agrees(text)


plain_data = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.sampled_from(TRICKY_SCALARS),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=16,
)


@settings(max_examples=800, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), plain_data, min_size=1, max_size=6),
    st.sampled_from([None, False, True]),
    st.sampled_from([None, '"', "'", "|"]),
)
def test_fast_path_agrees_with_strict_on_emitted_documents(
    doc: dict[str, object], flow_style: bool | None, scalar_style: str | None
) -> None:
    """Documents as a YAML emitter writes them (quoting what needs it), in every style."""
    text = yaml.safe_dump(
        doc, default_flow_style=flow_style, default_style=scalar_style, allow_unicode=True
    )
    assert_fast_agrees(text)


def test_fast_path_answers_for_an_ordinary_model_file() -> None:
    text = (Path(__file__).parents[2] / "models" / "majora" / "v1.yaml").read_text()
    # (its first comment says "seed 001", a leading-zero number to the guard)
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    assert assert_fast_agrees(body)


def test_fast_path_agrees_on_every_file_in_the_corpus() -> None:
    data = Path(__file__).parents[1] / "data"
    answered = 0
    for path in sorted(data.rglob("*.yaml")):
        try:
            text = loader.decode(path.read_bytes())
        except YamlError:
            continue  # refused before either parser runs
        answered += assert_fast_agrees(text)
    assert answered > 0  # the corpus has plain files too: the fast path was exercised


@pytest.mark.parametrize(
    "text",
    [
        "a: !!str 1\n",  # yaml-rs drops tags silently
        "a: &x 1\nb: *x\n",
        "a: {<<: {b: 1}}\n",
        "a: 017\n",
        "a: 0o17\n",
        "a: 1e3\n",
        "a: +.5\n",
        "a: .inf\n",
        "a: yes\n",
        "a: 1:20\n",
        "a: '1'\n---\nb: 2\n",
        'a: "\\0"\n',
        "a: 1\r\nb: 2\r\n",
        "a:\tb\n",
        f"a: {'9' * 101}\n",
        "a: " + "[" * 70 + "]" * 70 + "\n",
        "- a\n",
    ],
)
def test_fast_path_leaves_what_the_format_restricts_to_the_strict_loader(text: str) -> None:
    assert loader._fast_load(text) is loader._NO_FAST


@pytest.mark.parametrize("depth", range(62, 67))
@pytest.mark.parametrize(
    ("opening", "leaf", "closing"), [("[", "1", "]"), ("{b: ", "1", "}"), ("[", "", "]")]
)
def test_fast_path_depth_limit_is_the_strict_one(
    depth: int, opening: str, leaf: str, closing: str
) -> None:
    """Around MAX_DEPTH, the walk of the fast result refuses exactly what strict refuses."""
    text = "a: " + opening * depth + leaf + closing * depth
    fast = yaml_rs.loads(text, parse_datetime=False)
    try:
        loader._strict_load(text)
        strict_accepts = True
    except YamlError:
        strict_accepts = False
    assert loader._plain(fast) is strict_accepts


@pytest.mark.parametrize("word", ["_0", "__1", "._5", "_.5", "-_1", "+_1", "_1e3", "_1_"])
def test_digit_separators_first_are_text_not_numbers(word: str) -> None:
    """yaml-rs reads "_0" as 0; YAML 1.1 and 1.2 read it as text: the fast path leaves it to strict."""
    for text in (f"a: {word}\n", f"a: [x, {word}]\n", f"a:\n- {word}\n"):
        assert loader._fast_load(text) is loader._NO_FAST
        assert assert_fast_agrees(text) is False
        assert load_yaml(text.encode()) in ({"a": word}, {"a": ["x", word]}, {"a": [word]})
