"""Fuzzing the loader, the editor and import-json (issue 11), for a bounded number of
examples (AFSREG_FUZZ_EXAMPLES, default 300 each): the only outcomes allowed are a
value or afsreg's own located error. No other exception, no hang (a watchdog stops an
example after 60 s), no unbounded memory (the peak is measured with tracemalloc)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import dump, model_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afsreg.errors import AfsregError
from afsreg.format.editor import edit_yaml
from afsreg.format.loader import MAX_FILE_BYTES, YamlError, load_yaml

EXAMPLES = int(os.environ.get("AFSREG_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),  # CI runs the same examples every time
)
MEMORY_LIMIT = 256 * 1024 * 1024


class Hang(Exception):
    pass


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """A watchdog against hangs, and a memory peak check, around one example."""

    def alarm(_signum: int, _frame: Any) -> None:
        raise Hang("an example ran for 60 s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    tracemalloc.start()
    try:
        yield
        _current, peak = tracemalloc.get_traced_memory()
        assert peak < MEMORY_LIMIT, f"peak memory {peak / 1e6:.0f} MB"
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


TOKENS = [
    "[",
    "]",
    "{",
    "}",
    "- ",
    ": ",
    ", ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!int ",
    "!!bool ",
    "!!float ",
    "!!null ",
    "!!str ",
    "!!binary ",
    "!!python/object:os.system ",
    "<<: ",
    '"',
    "'",
    "\\",
    "\n",
    "\r\n",
    "  ",
    "    ",
    "\t",
    "#",
    "|",
    ">",
    "? ",
    "---",
    "...",
    "0x1f",
    "017",
    "1:20",
    "1_000",
    "0b11",
    "9" * 60,
    "9" * 5000,
    "1e400",
    "1.0e400",
    ".nan",
    "-.inf",
    "yes",
    "no",
    "~",
    "null",
    "true",
    "maybe",
    "2026-01-14T12:00:00Z",
    "2026-13-01",
    "\x00",
    "\x1b[2J",
    "\u2028",
    "\ufeff",
    "é",
    "a",
    "k",
    "name",
    "version",
    "v1",
    "models",
]
yaml_ish = st.lists(st.sampled_from(TOKENS), max_size=120).map("".join)
VALID = dump(model_doc("m", "v1", tags=["a", "b"], training_config={"epochs": 1, "lr": 0.1}))


@st.composite
def mutated_valid_file(draw: st.DrawFn) -> bytes:
    """A valid model file with a few tokens inserted, deleted or replaced."""
    text = VALID
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        token = draw(st.sampled_from(TOKENS))
        if action == "insert":
            text = text[:at] + token + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at] + token + text[at + len(token) :]
    return text.encode("utf-8", "surrogatepass")


def deep(kind: str, levels: int) -> bytes:
    if kind == "flow":
        return b"a: " + b"[" * levels + b"]" * levels + b"\n"
    if kind == "block":
        return b"a:\n  " + b"- " * levels + b"x\n"
    return (
        b"a: &x ["
        + b", ".join([b"y" * 1000] * 50)
        + b"]\nb: ["
        + b", ".join([b"*x"] * levels)
        + b"]\n"
    )


@FUZZ
@given(
    st.one_of(
        yaml_ish.map(lambda t: t.encode("utf-8", "surrogatepass")),
        mutated_valid_file(),
        st.binary(max_size=2000),
        st.tuples(st.sampled_from(["flow", "block", "alias"]), st.integers(0, 20000)).map(
            lambda kl: deep(*kl)
        ),
    )
)
def test_loader_returns_data_or_a_located_error(content: bytes) -> None:
    with bounded():
        try:
            load_yaml(content[: MAX_FILE_BYTES + 10])
        except YamlError as exc:
            assert exc.line >= 1 and exc.col >= 1 and exc.message


@FUZZ
@given(mutated_valid_file())
def test_per_file_check_never_fails_internally(content: bytes) -> None:
    from afsreg.checks.per_file import check_file
    from afsreg.format.schema import Schemas
    from afsreg.git.sources import SourceFile, git_blob_id

    with bounded():
        result = check_file(
            SourceFile("models/m/v1.yaml", content, git_blob_id(content)), Schemas.load(None)
        )
        for problem in result.problems:
            assert problem.line >= 1 and "\n" not in str(problem)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(TOKENS),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
EDIT_KEYS = [
    "title",
    "owner",
    "tags",
    "description",
    "training_config",
    "evaluation_metrics",
    "new_key",
    "status",
]


@FUZZ
@given(
    st.sampled_from(
        [VALID, VALID.replace("tags:\n- a\n- b", "tags: [a, b]"), "# c\n" + VALID + "# end\n"]
    ),
    st.dictionaries(st.sampled_from(EDIT_KEYS), json_values, max_size=4),
)
def test_editor_writes_exactly_the_data_or_refuses(text: str, changes: dict[str, Any]) -> None:
    data = {**load_yaml(text.encode()), **changes}
    with bounded():
        try:
            edited = edit_yaml(text, data, path="models/m/v1.yaml")
        except AfsregError as exc:
            assert str(exc)
            return
    assert load_yaml(edited.encode()) == data


RECORD_KEYS = [
    "model_name",
    "version",
    "status",
    "training",
    "evaluation_scores",
    "lora_path",
    "gguf_path",
    "git_commit",
    "deployed",
    "parent_version",
    "notes",
    "created_at",
]


@st.composite
def seed_registry_json(draw: st.DrawFn) -> Any:
    record = draw(st.dictionaries(st.sampled_from(RECORD_KEYS), json_values, max_size=8))
    version = draw(st.sampled_from(["v1", "v2", "v1.0", "1", "v1/../x"]))
    name = draw(st.sampled_from(["majora", "Majora", "m-1", "a b"]))
    layout = draw(st.sampled_from(["ok", "no-versions", "raw"]))
    if layout == "raw":
        return draw(json_values)
    model: Any = {"metadata": draw(json_values), "versions": {version: record}}
    if layout == "no-versions":
        model = draw(json_values)
    return {"version": "1.0", "models": {name: model}}


@pytest.fixture(scope="module")
def empty_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import GitRegistry

    return GitRegistry(tmp_path_factory.mktemp("fuzz") / "registry").root


@FUZZ
@given(seed_registry_json(), st.sampled_from(["json", "nan", "deep", "bigint"]))
def test_import_json_imports_or_refuses_naming_the_file(
    empty_registry: Path, document: Any, twist: str
) -> None:
    from afsreg.registry import Registry
    from afsreg.seeds.import_json import import_json

    text = json.dumps(document)
    if twist == "nan":
        text = text.replace("null", "NaN", 1)
    elif twist == "deep":
        text = text.replace("null", "[" * 5000 + "]" * 5000, 1)
    elif twist == "bigint":
        text = text.replace("0", "9" * 5000, 1)
    path = empty_registry / "registry.json"
    path.write_text(text)
    with bounded():
        try:
            import_json(
                Registry.open(empty_registry),
                path,
                defaults={"model_family": "x", "parameter_count": 1},
                dry_run=True,
            )
        except AfsregError as exc:
            assert str(exc)
