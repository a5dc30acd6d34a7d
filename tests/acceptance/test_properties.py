"""Properties, tested with hypothesis.

- any valid version survives write -> read unchanged (and is found valid);
- any sequence of edits through the write commands keeps the registry valid,
  or is refused with a clear error and no file changed.

"Incremental sync after any sequence of commits equals a full sync" is
tests/db/test_db_property.py (the sync's own property test).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from conftest import dump, model_doc
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from afsreg import Registry
from afsreg.cli import cli
from afsreg.git.sources import SourceFile, git_blob_id

# Text as people write it, and as they should not but may: any Unicode but surrogates and
# NUL (NUL cannot be stored by PostgreSQL; see test_security), including YAML-looking words.
TEXT = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(
        [
            "yes",
            "no",
            "null",
            "~",
            "1.0",
            "0x1F",
            "2026-01-14",
            "2026-01-14T12:00:00Z",
            "- a",
            "a: b",
            "'",
            '"',
            "#x",
            "&a",
            "*a",
            "!tag",
            "%YAML",
            "@x",
            "`x`",
            "{a}",
            "[a]",
            " a ",
            "\t",
        ]
    ),
)
SLUG = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,15}\Z")
SCORE = st.floats(min_value=0, max_value=1, allow_nan=False)
POSITIVE = st.floats(min_value=1e-9, max_value=1e6, allow_nan=False, allow_infinity=False)
TIMESTAMP = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
).map(lambda d: d.isoformat().replace("+00:00", "Z"))


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid internal model version m@v1 (no cross-file references)."""
    metrics: dict[str, Any] = {}
    for key in draw(st.sets(st.sampled_from(["accuracy", "f1_score"]))):
        metrics[key] = draw(SCORE)
    if draw(st.booleans()):
        metrics["perplexity"] = draw(st.floats(min_value=1, max_value=1e4, allow_nan=False))
    if draw(st.booleans()):
        metrics["custom"] = draw(
            st.dictionaries(
                st.from_regex(r"\A[A-Za-z0-9_.-]{1,10}\Z"),
                st.floats(allow_nan=False, allow_infinity=False),
                max_size=3,
            )
        )
    overrides: dict[str, Any] = {
        "title": draw(TEXT),
        "owner": draw(TEXT),
        "model_family": draw(TEXT),
        "framework": draw(TEXT),
        "parameter_count": draw(st.integers(min_value=0, max_value=10**15)),
        "training_data": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"name": TEXT}, optional={"samples": st.integers(0, 10**9), "uri": TEXT}
                ),
                max_size=3,
            )
        ),
        "training_config": draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "epochs": POSITIVE,
                    "batch_size": st.integers(1, 4096),
                    "learning_rate": POSITIVE,
                    "samples": st.integers(0, 10**9),
                },
            )
        ),
        "evaluation_dataset": draw(TEXT),
        "evaluation_metrics": metrics,
        "promotion": draw(
            st.fixed_dictionaries(
                {"state": st.sampled_from(["candidate", "promoted", "rejected"])},
                optional={"notes": TEXT, "decided_by": TEXT, "decided_at": TIMESTAMP},
            )
        ),
        "status": draw(
            st.sampled_from(["draft", "training", "completed", "deprecated", "archived"])
        ),
    }
    if draw(st.booleans()):
        overrides["description"] = draw(TEXT)
    if draw(st.booleans()):
        overrides["tags"] = sorted(draw(st.sets(SLUG, max_size=3)))
    if draw(st.booleans()):
        overrides["created_at"] = draw(TIMESTAMP)
    if draw(st.booleans()):
        overrides["training"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "started_at": TIMESTAMP,
                    "trained_by": TEXT,
                    "duration_hours": st.floats(0, 1e4, allow_nan=False),
                    "cost_usd": st.floats(0, 1e6, allow_nan=False),
                },
            )
        )
    return model_doc("m", "v1", **overrides)


@settings(max_examples=150, deadline=None)
@given(doc=valid_documents(), style=st.sampled_from(["block", "flow", "canonical-ish"]))
def test_a_valid_version_survives_write_then_read(doc: dict[str, Any], style: str) -> None:
    if style == "block":
        text = dump(doc)
    elif style == "flow":
        # allow_unicode=False: PyYAML's emitter writes U+0085 raw inside a folded flow
        # scalar, where any YAML reader takes it for a line break (PyYAML's bug, not ours).
        text = yaml.safe_dump(doc, default_flow_style=True, width=60)
    else:
        text = yaml.safe_dump(doc, allow_unicode=False, default_style='"', sort_keys=True)
    content = text.encode("utf-8")
    path = "models/m/v1.yaml"
    registry = Registry(
        Path("/nonexistent-registry"),
        [SourceFile(path, content, git_blob_id(content))],
        save_cache=False,
    )
    assert registry.errors == [], "\n".join(map(str, registry.errors))
    assert registry.get("m@v1").data == doc


@settings(max_examples=150, deadline=None)
@given(doc=valid_documents())
def test_a_valid_version_survives_the_registry_writer(doc: dict[str, Any]) -> None:
    """afsreg's own YAML writer (used by every write command) loses nothing either."""
    from afsreg.format.editor import dump_yaml
    from afsreg.format.loader import load_yaml

    text = dump_yaml(doc)
    content = text.encode("utf-8") if isinstance(text, str) else text
    assert load_yaml(content) == doc


# -- random edit sequences ------------------------------------------------------------------

VERSIONS = ["v1", "v2", "v3", "v9"]
EDITS = st.one_of(
    st.tuples(
        st.just("add"), st.sampled_from(["m", "n", "M", "../x"]), st.sampled_from([None, *VERSIONS])
    ),
    st.tuples(
        st.just("score"),
        st.sampled_from(VERSIONS),
        st.sampled_from(
            ["accuracy=0.9", "accuracy=1.5", "accuracy=nan", "f1_score=0.5", "bleu=-1", "x=y"]
        ),
    ),
    st.tuples(st.just("promote"), st.sampled_from(VERSIONS), st.none()),
    st.tuples(st.just("reject"), st.sampled_from(VERSIONS), st.none()),
    st.tuples(
        st.just("deploy"),
        st.sampled_from(VERSIONS),
        st.sampled_from(["production", "staging", "Bad Env"]),
    ),
    st.tuples(st.just("rollback"), st.just("m"), st.sampled_from(["production", "staging"])),
    st.tuples(st.just("deprecate"), st.sampled_from(VERSIONS), st.none()),
    st.tuples(st.just("archive"), st.sampled_from(VERSIONS), st.none()),
)


ADD_FIELDS = [
    "model_family=transformer",
    "framework=pytorch",
    "parameter_count=1000",
    "training_data=[{name: train-set}]",
    "training_config={epochs: 1}",
    "evaluation_dataset=eval-set",
    "evaluation_metrics={accuracy: 0.5}",
]


def edit_args(edit: tuple[str, str, str | None]) -> list[str]:
    action, target, extra = edit
    if action == "add":
        fields = [f"--set={assignment}" for assignment in ADD_FIELDS]
        return ["add", target, *fields, *(["--parent", extra] if extra else [])]
    if action == "score":
        return ["score", f"m@{target}", str(extra)]
    if action == "reject":
        return ["reject", f"m@{target}", "--notes", "worse than v1"]
    if action == "deploy":
        return ["deploy", f"m@{target}", "--env", str(extra)]
    if action == "rollback":
        return ["rollback", target, "--env", str(extra)]
    return [action, f"m@{target}"]


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / "models").rglob("*"))
        if p.is_file()
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(edits=st.lists(EDITS, min_size=1, max_size=8))
@example(
    edits=[
        ("add", "m", None),
        ("promote", "v2", None),
        ("deploy", "v2", "production"),
        ("add", "m", "v2"),
        ("promote", "v3", None),
        ("deploy", "v3", "production"),
        ("rollback", "m", "production"),
        ("deprecate", "v3", None),
    ]
)
def test_random_edits_keep_the_registry_valid_or_change_nothing(
    edits: list[tuple[str, str, str | None]],
) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "models" / "m").mkdir(parents=True)
        (root / "models" / "m" / "v1.yaml").write_text(dump(model_doc("m", "v1")))
        for edit in edits:
            before = tree_bytes(root)
            result = runner.invoke(cli, [*edit_args(edit), "--root", str(root)])
            assert result.exit_code in (0, 1), (edit, result.output, result.exception)
            if result.exit_code == 1:
                assert tree_bytes(root) == before, (edit, result.output)
                assert result.output.strip(), edit  # said why
            errors = Registry.open(root).errors
            assert errors == [], (edit, result.output, [str(e) for e in errors])
