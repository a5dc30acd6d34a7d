"""Write commands: --format json, --dry-run, --by/--at, references, outside base ids, env names."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest
import yaml
from conftest import REPO_ROOT, GitRegistry, run_afsreg

from afsreg.format.schema import output_schema


@pytest.fixture
def majora(git_registry: GitRegistry) -> GitRegistry:
    shutil.copytree(REPO_ROOT / "models" / "majora", git_registry.path("models/majora"))
    git_registry.commit("majora v1 and v2")
    return git_registry


def run_json(repo: GitRegistry, *args: str) -> dict[str, object]:
    result = run_afsreg([*args, "--format", "json"], repo.root)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    errors = list(jsonschema.Draft202012Validator(output_schema("change")).iter_errors(data))
    assert errors == []
    return data  # type: ignore[no-any-return]


def test_dry_run_prints_the_change_and_writes_nothing(majora: GitRegistry) -> None:
    before = majora.path("models/majora/v2.yaml").read_bytes()
    data = run_json(
        majora,
        "promote",
        "majora@latest",
        "--by",
        "eval-gate",
        "--at",
        "2026-01-15T09:00:00Z",
        "--dry-run",
    )
    assert data["dry_run"] is True and data["written"] is False and data["commit"] is None
    changed = {f["path"]: f for f in data["files"]}  # type: ignore[union-attr]
    assert set(changed) == {"models/majora/v1.yaml", "models/majora/v2.yaml"}
    v2 = yaml.safe_load(changed["models/majora/v2.yaml"]["content"])
    assert v2["promotion"]["state"] == "promoted"
    assert v2["promotion"]["decided_by"] == "eval-gate"
    assert v2["promotion"]["decided_at"] == "2026-01-15T09:00:00Z"
    assert majora.path("models/majora/v2.yaml").read_bytes() == before
    text = run_afsreg(["promote", "majora@v2", "--dry-run"], majora.root)
    assert "dry run: would change" in text.stdout and "nothing written" in text.stdout


def test_deploy_by_reference_with_by_and_at(majora: GitRegistry) -> None:
    run_json(majora, "promote", "majora@v2", "--commit")
    data = run_json(
        majora,
        "deploy",
        "majora@promoted",
        "--env",
        "staging",
        "--by",
        "ci",
        "--at",
        "2026-01-16T00:00:00Z",
        "--commit",
    )
    assert data["written"] is True and isinstance(data["commit"], str)
    record = yaml.safe_load(majora.path("models/majora/v2.yaml").read_text())["deployments"][-1]
    assert record == {"env": "staging", "deployed_at": "2026-01-16T00:00:00Z", "deployed_by": "ci"}
    resolved = json.loads(
        run_afsreg(["resolve", "majora@staging", "--format", "json"], majora.root).stdout
    )
    assert resolved["version"] == "v2"


def test_add_recognises_a_hugging_face_id(majora: GitRegistry) -> None:
    data = run_json(
        majora,
        "add",
        "coder",
        "--from",
        "models/majora/v1.yaml",
        "--set",
        "title=Coder",
        "--base-model",
        "Qwen/Qwen2.5-Coder-7B",
        "--base-model",
        "majora@promoted",
        "--dry-run",
    )
    (written,) = data["files"]  # type: ignore[misc]
    doc = yaml.safe_load(written["content"])
    assert written["change"] == "added"
    assert doc["lineage"]["base_models"] == [
        {"external": "Qwen/Qwen2.5-Coder-7B", "source": "huggingface", "relation": "fine-tune"},
        {"model": "majora@v1", "relation": "fine-tune"},  # the promoted version, exactly
    ]


@pytest.mark.parametrize("env", ["latest", "promoted", "v1"])
def test_an_env_named_like_a_version_or_keyword_is_refused(majora: GitRegistry, env: str) -> None:
    result = run_afsreg(["deploy", "majora@v1", "--env", env], majora.root)
    assert result.returncode == 1
    assert "not an environment name" in result.stderr
