"""Smaller wrong answers (issue 11): v1.0 is v1, signed deltas, no `{} -> (absent)` noise,
a branch switch is not a rewrite, non-UTF-8 paths and the C locale, a schema with $id."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import GitRegistry, dump, model_doc, run_afsreg


def test_v1_0_names_v1_as_docs_format_says(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1")
    git_registry.write_model("m", "v2")
    for args in (["show", "m@v1.0"], ["compare", "m@v1.0", "m@v2.0.0"], ["lineage", "m@v1.0"]):
        result = run_afsreg(args, git_registry.root)
        assert result.returncode == 0, (args, result)
    result = run_afsreg(["score", "m@v1.0", "f1_score=0.25"], git_registry.root)
    assert result.returncode == 0, result
    assert "f1_score: 0.25" in (git_registry.root / "models/m/v1.yaml").read_text()


def test_compare_prints_positive_deltas_signed(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", evaluation_metrics={"accuracy": 0.5, "f1_score": 0.4})
    git_registry.write_model("m", "v2", evaluation_metrics={"accuracy": 0.52, "f1_score": 0.38})
    out = run_afsreg(["compare", "m@v1", "m@v2"], git_registry.root).stdout
    assert "+0.02" in out and "-0.02" in out
    data = json.loads(
        run_afsreg(["compare", "m@v1", "m@v2", "--format", "json"], git_registry.root).stdout
    )
    assert {row["metric"]: row["delta"] for row in data["metrics"]} == {
        "accuracy": 0.02,
        "f1_score": -0.02,
    }


def test_log_shows_the_metric_not_the_emptied_mapping(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", evaluation_metrics={})
    git_registry.commit("register")
    assert run_afsreg(["score", "m@v1", "accuracy=0.7"], git_registry.root).returncode == 0
    git_registry.commit("score")
    out = run_afsreg(["log", "m@v1"], git_registry.root).stdout
    assert "evaluation_metrics.accuracy: (absent) -> 0.7" in out
    assert "evaluation_metrics: {}" not in out


def test_sync_after_a_branch_switch_does_not_claim_a_rewrite(
    git_registry: GitRegistry, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    git_registry.write_model("m", "v1")
    git_registry.commit("base")
    git_registry.git("checkout", "-q", "-b", "feature")
    git_registry.write_model("m", "v2")
    git_registry.commit("feature work")
    assert run_afsreg(["sync", "--database-url", url], git_registry.root).returncode == 0
    git_registry.git("checkout", "-q", "main")
    git_registry.write_model("n", "v1")
    git_registry.commit("main work")
    result = run_afsreg(["sync", "--database-url", url], git_registry.root)
    assert result.returncode == 0, result
    text = result.stdout + result.stderr
    assert "history rewritten" not in text and "on branch feature" in text


def non_utf8_registry(git_registry: GitRegistry) -> GitRegistry:
    git_registry.write_model("m", "v1")
    doc = dump(model_doc("m", "v2"))
    os.makedirs(os.path.join(os.fsencode(git_registry.root), b"models", b"caf\xe9"))
    Path(
        os.fsdecode(os.path.join(os.fsencode(git_registry.root), b"models", b"caf\xe9", b"v1.yaml"))
    ).write_text(doc)
    Path(
        os.fsdecode(os.path.join(os.fsencode(git_registry.root), b"models", b"m", b"v\xff.yaml"))
    ).write_text(doc)
    return git_registry


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_paths_that_are_not_utf8_are_refused_in_tree_index_and_commit(
    git_registry: GitRegistry, locale: str
) -> None:
    registry = non_utf8_registry(git_registry)
    env = {**os.environ, "LC_ALL": locale, "LANG": locale}
    env.pop("AFSREG_DATABASE_URL", None)
    checks = [["validate"], ["list"], ["show", "m@v1"]]
    for args in checks:
        result = run_afsreg(args, registry.root, env=env)
        assert result.returncode == 1, (args, result)
        assert "internal error" not in result.stderr
        assert "models/caf\\xe9" in result.stderr and "not valid UTF-8" in result.stderr
    registry.commit("a commit can carry any bytes")
    for args in (["validate", "--staged"], ["list", "--rev", "HEAD"], ["sync"], ["log", "m@v1"]):
        result = run_afsreg(args, registry.root, env=env)
        assert "internal error" not in result.stderr, (args, result)
        assert result.returncode in (0, 1)
        if args[0] != "log":
            assert result.returncode == 1 and "models/m/v\\xff.yaml" in result.stderr, (
                args,
                result,
            )


def test_c_locale_prints_non_ascii_text(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", title="Modèle — ü")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    for args in (["list"], ["show", "m@v1"], ["validate"]):
        result = run_afsreg(args, git_registry.root, env=env)
        assert result.returncode == 0 and "internal error" not in result.stderr, (args, result)
    assert "Modèle" in run_afsreg(["show", "m@v1"], git_registry.root, env=env).stdout


@pytest.mark.parametrize("where", ["top", "nested"])
def test_registry_schema_with_a_remote_id_is_refused(git_registry: GitRegistry, where: str) -> None:
    from conftest import REPO_ROOT

    schemas = git_registry.root / "schemas"
    schemas.mkdir()
    for name in ("model_version.schema.json", "model_artifact_metadata.json"):
        (schemas / name).write_bytes((REPO_ROOT / "schemas" / name).read_bytes())
    schema = json.loads((schemas / "model_version.schema.json").read_text())
    if where == "top":
        schema["$id"] = "http://127.0.0.1:9/schemas/model_version.schema.json"
    else:
        schema["properties"]["title"]["$id"] = "http://127.0.0.1:9/title.json"
    (schemas / "model_version.schema.json").write_text(json.dumps(schema))
    git_registry.write_model("m", "v1", parameter_count="lots")  # jsonschema has to locate this
    result = run_afsreg(["validate"], git_registry.root)
    assert result.returncode == 1, result
    assert "internal error" not in result.stderr
    assert "schemas/model_version.schema.json: $id 'http://127.0.0.1:9/" in result.stderr
