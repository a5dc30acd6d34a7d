from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afsreg.format.editor import YamlEditError, dump_yaml, edit_yaml, flow_text, load_text, same

MAJORA = """\
# majora v2: a comment at the top.
schema_version: 1
name: majora
version: v2   # the version
tags: [coder]

evaluation_metrics:
  accuracy: 0.87  # measured on the held-out set
training_config:
  epochs: 3

promotion:
  state: candidate
status: completed

review:
  # flags a human has to clear
  - field: parameter_count
    reason: not given.
"""


def edited(text: str, change: Any) -> str:
    data = load_text(text)
    change(data)
    out = edit_yaml(text, data)
    assert same(load_text(out), data)
    return out


def test_unchanged_data_leaves_text_identical() -> None:
    assert edit_yaml(MAJORA, load_text(MAJORA)) == MAJORA


def test_replace_scalar_keeps_comment_and_everything_else() -> None:
    out = edited(MAJORA, lambda d: d["evaluation_metrics"].update(accuracy=0.9))
    assert out == MAJORA.replace("accuracy: 0.87  #", "accuracy: 0.9  #")


def test_add_key_to_nested_mapping_uses_its_indentation() -> None:
    def change(d: dict[str, Any]) -> None:
        d["promotion"]["state"] = "promoted"
        d["promotion"]["decided_at"] = "2026-01-15T10:00:00Z"

    out = edited(MAJORA, change)
    assert (
        'promotion:\n  state: promoted\n  decided_at: "2026-01-15T10:00:00Z"\nstatus: completed\n'
        in out
    )


def test_new_top_level_block_is_appended_at_the_end() -> None:
    def change(d: dict[str, Any]) -> None:
        d["deployments"] = [{"env": "production", "deployed_at": "2026-01-15T10:00:00Z"}]

    out = edited(MAJORA, change)
    assert out.startswith(MAJORA)
    assert out[len(MAJORA) :] == (
        'deployments:\n  - env: production\n    deployed_at: "2026-01-15T10:00:00Z"\n'
    )


def test_append_to_block_sequence_at_its_column() -> None:
    out = edited(MAJORA, lambda d: d["review"].append({"field": "x", "reason": "y"}))
    assert out.endswith("    reason: not given.\n  - field: x\n    reason: y\n")
    assert "  # flags a human has to clear\n" in out


def test_flow_sequence_stays_flow() -> None:
    out = edited(MAJORA, lambda d: d["tags"].append("prod"))
    assert "tags: [coder, prod]\n" in out


def test_add_key_to_sequence_item_mapping() -> None:
    out = edited(MAJORA, lambda d: d["review"][0].update(known="7B"))
    assert "    reason: not given.\n    known: 7B\n" in out


def test_delete_key_takes_its_line_and_comment() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["evaluation_metrics"]["accuracy"]
        d["evaluation_metrics"]["f1_score"] = 0.5

    out = edited(MAJORA, change)
    assert "evaluation_metrics:\n  f1_score: 0.5\ntraining_config:" in out
    assert "held-out" not in out


def test_delete_last_key_of_mapping_leaves_empty_flow_mapping() -> None:
    out = edited(MAJORA, lambda d: d["training_config"].clear())
    assert "training_config: {}\n" in out


def test_delete_first_key_of_sequence_item() -> None:
    out = edited(MAJORA, lambda d: d["review"][0].pop("field"))
    assert "  - reason: not given.\n" in out


def test_delete_top_level_key() -> None:
    out = edited(MAJORA, lambda d: d.pop("status"))
    assert out == MAJORA.replace("status: completed\n", "")


def test_scalar_replaced_by_mapping_keeps_comment_on_key_line() -> None:
    text = "a: 1\nb: null  # pending\nc: 3\n"
    out = edited(text, lambda d: d.update(b={"x": 1, "y": [1, 2]}))
    assert out == "a: 1\nb:  # pending\n  x: 1\n  y:\n    - 1\n    - 2\nc: 3\n"


def test_block_collection_replaced_by_scalar() -> None:
    out = edited(MAJORA, lambda d: d.update(review=None))
    assert out.endswith("review: null\n")


def test_shorter_list_is_rewritten() -> None:
    text = "a:\n  - 1\n  - 2\n  - 3\nb: 2\n"
    out = edited(text, lambda d: d["a"].pop(0))
    assert out == "a:\n  - 2\n  - 3\nb: 2\n"


def test_empty_value_gets_a_space() -> None:
    out = edited("a:\nb: 1\n", lambda d: d.update(a="x"))
    assert out == "a: x\nb: 1\n"


@pytest.mark.parametrize(
    "value",
    ["yes", "no", "on", "1.0", "1", "0x10", "null", "~", "", " x", "x ", "#x", "a: b", "- x",
     "2026-01-15", "2026-01-15T10:00:00Z", "[x]", "{x}", "*x", "&x", "!x", "%x", "@x", "`x",
     "a\nb", "tab\there", "é😀", "'", '"', "\\", "1e3", ".inf", ".nan", "=", "<<"],
)  # fmt: skip
def test_strings_that_look_like_other_things_round_trip(value: str) -> None:
    for text in ("a: 1\nb: 2\n", "a: [1]\nb: 2\n"):
        out = edited(text, lambda d, v=value: d.update(a=v))  # type: ignore[misc]
        assert load_text(out)["a"] == value
    assert yaml.safe_load(f"k: {flow_text(value)}")["k"] == value


def test_utf8_and_crlf_are_kept() -> None:
    text = "title: Majora é😀\r\nb: 1\r\n"
    out = edited(text, lambda d: d.update(c={"x": 1}))
    assert out == "title: Majora é😀\r\nb: 1\r\nc:\r\n  x: 1\r\n"


def test_four_space_indentation_is_followed() -> None:
    text = "a:\n    x: 1\nb:\n    - 1\n"
    out = edited(text, lambda d: d.update(c={"y": {"z": [1]}}))
    assert out.endswith("c:\n    y:\n        z:\n            - 1\n")


def test_indentless_sequences_are_followed() -> None:
    text = "a:\n- 1\n- 2\n"
    out = edited(text, lambda d: (d["a"].append(3), d.update(b=[4])))
    assert out == "a:\n- 1\n- 2\n- 3\nb:\n- 4\n"


def test_anchors_are_refused() -> None:
    text = "a: &x 1\nb: *x\n"
    with pytest.raises(YamlEditError, match="anchors"):
        edit_yaml(text, {"a": 2, "b": 1})


def test_non_mapping_document_is_refused() -> None:
    with pytest.raises(YamlEditError, match="not a mapping"):
        edit_yaml("- 1\n", {"a": 1})


def test_dump_yaml_reads_back() -> None:
    data = {"a": [{"b": "yes", "c": []}, [1, 2]], "d": {}, "e": None, "f": "2026-01-01"}
    assert same(load_text(dump_yaml(data)), data)


# -- property tests ---------------------------------------------------------------

keys = st.sampled_from(["a", "b", "c", "name", "env", "yes", "1", "null", "x y", "é"])
texts = st.one_of(
    st.sampled_from(["yes", "1.0", "2026-01-15T10:00:00Z", "", "a: b", "- x", "#", "null"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    texts,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=6)


def _styles(data: dict[str, Any]) -> list[str]:
    return [
        dump_yaml(data),
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=40),
    ]


def _with_comments(text: str) -> tuple[str, list[str]]:
    """A full-line comment before every line: valid anywhere in block YAML."""
    lines = text.splitlines(keepends=True)
    markers = [f"# keep-{i}" for i in range(len(lines))]
    return "".join(f"{m}\n{line}" for m, line in zip(markers, lines, strict=True)), markers


@st.composite
def mutations(draw: st.DrawFn, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A changed copy of ``data``, and whether every change only sets or adds."""
    new = copy.deepcopy(data)
    only_adds = True
    for _ in range(draw(st.integers(1, 4))):
        containers: list[Any] = [new]
        stack: list[Any] = [new]
        while stack:
            node = stack.pop()
            children = node.values() if isinstance(node, dict) else node
            for child in children:
                if isinstance(child, (dict, list)):
                    containers.append(child)
                    stack.append(child)
        target = draw(st.sampled_from(containers))
        action = draw(st.sampled_from(["set", "add", "delete"]))
        if isinstance(target, dict):
            if action == "delete" and target:
                del target[draw(st.sampled_from(sorted(target)))]
                only_adds = False
            elif action == "set" and target:
                key = draw(st.sampled_from(sorted(target)))
                if isinstance(target[key], (dict, list)):
                    only_adds = False
                target[key] = draw(scalars)
            else:
                key = draw(keys)
                if key in target:
                    only_adds = False
                target[key] = draw(values)
        else:
            if action == "delete" and target:
                target.pop(draw(st.integers(0, len(target) - 1)))
                only_adds = False
            elif action == "set" and target:
                index = draw(st.integers(0, len(target) - 1))
                if isinstance(target[index], (dict, list)):
                    only_adds = False
                target[index] = draw(scalars)
            else:
                target.append(draw(values))
    return new, only_adds


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), documents)
def test_edit_reads_back_as_intended(data: st.DataObject, old: dict[str, Any]) -> None:
    new, only_adds = data.draw(mutations(old))
    for style in _styles(old):
        out = edit_yaml(style, new)
        assert same(load_text(out), new)
        assert edit_yaml(out, new) == out
    # dump_yaml writes every scalar on one line, so a comment fits between
    # any two lines. Setting scalars and adding keys or items never loses a
    # comment (flow collections, rewritten whole, are left out of this check).
    text, markers = _with_comments(dump_yaml(old))
    assert same(load_text(text), old)
    out = edit_yaml(text, new)
    assert same(load_text(out), new)
    if only_adds and "[" not in text and "{" not in text:
        assert all(m in out for m in markers)


@settings(max_examples=150, deadline=None)
@given(documents, documents)
def test_any_document_can_become_any_other(old: dict[str, Any], new: dict[str, Any]) -> None:
    for style in _styles(old):
        out = edit_yaml(style, new)
        assert same(load_text(out), new)


def test_block_values_stay_plain_where_yaml_allows() -> None:
    out = edited("a: 1\nb: [x]\n", lambda d: d.update(a="one, two [three]", b=["p, q"]))
    assert out == 'a: one, two [three]\nb: ["p, q"]\n'
