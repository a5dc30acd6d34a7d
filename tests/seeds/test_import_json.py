"""Importing seed 001's JSON registry (tests/data/legacy reproduces its example)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, GitRegistry, run_afsreg

from afsreg.errors import AfsregError, ValidationError
from afsreg.format.editor import load_text
from afsreg.registry import Registry
from afsreg.seeds.import_json import import_json

LEGACY = DATA / "legacy"


def loaded(repo: GitRegistry, rel: str) -> dict[str, Any]:
    data = load_text(repo.path(rel).read_text())
    assert isinstance(data, dict)
    return data


def flags(data: dict[str, Any]) -> dict[str, Any]:
    return {flag["field"]: flag for flag in data.get("review", [])}


def test_seed_example_imports(git_registry: GitRegistry) -> None:
    report = import_json(
        Registry.open(git_registry.root), LEGACY / "registry.json", LEGACY / "lineage.json"
    )
    assert [v.ref for v in report.versions] == ["majora@v1", "majora@v2"]
    registry = Registry.open(git_registry.root)
    assert not registry.errors
    v1 = loaded(git_registry, "models/majora/v1.yaml")
    v2 = loaded(git_registry, "models/majora/v2.yaml")

    # Mapped with certainty.
    assert v1["framework"] == "unsloth"
    assert v1["owner"] == "scawful"
    assert v1["training_config"] == {"samples": 223, "epochs": 3}
    assert v1["training"] == {"cost_usd": 0.8, "duration_hours": 3.0}
    assert v1["evaluation_metrics"] == {
        "accuracy": 0.85,
        "f1_score": 0.82,
        "inference_speed_tokens_per_sec": 120,
    }
    assert v1["files"] == {
        "lora": {"path": "/models/majora-v1-lora"},
        "gguf": {"path": "/models/majora-v1-Q8_0.gguf"},
    }
    assert v1["code"] == {"commit_sha": "abc123def456"}
    assert v1["status"] == "deployed"
    assert v1["promotion"] == {"state": "promoted"}
    assert v2["status"] == "completed"
    assert v2["evaluation_metrics"] == {"accuracy": 0.87}
    assert v2["lineage"] == {
        "parent": "v1",
        "base_models": [{"model": "majora@v1", "relation": "fine-tune"}],
    }
    assert v2["training_data"] == [{"name": "majora-train"}, {"name": "majora-train-additional"}]

    # Not certain: kept, flagged, never guessed.
    f1 = flags(v1)
    assert f1["lineage.base_models"]["known"] == "Qwen2.5-Coder-7B"
    assert v1["lineage"]["base_models"] == [
        {"external": "Qwen2.5-Coder-7B", "source": "other", "relation": "fine-tune"}
    ]
    assert f1["deployments"]["known"] == {
        "deployed": True,
        "registry_updated_at": "2026-01-14T12:00:00Z",
    }
    assert v1["deployments"][0]["deployed_by"] == "unknown"
    assert v1["parameter_count"] is None and "parameter_count" in f1
    assert v1["evaluation_dataset"] is None and "evaluation_dataset" in f1
    assert v1["model_family"] == "unknown" and "model_family" in f1
    assert f1["description"]["known"] == "Primary model"  # the model's notes
    f2 = flags(v2)
    assert f2["legacy.lineage.notes"]["known"] == "Fine-tune of v1 with additional training data"
    # The null f1_score of v2 carried no value; it is reported, not kept.
    assert report.versions[1].skipped == ["evaluation_scores.f1_score (null: not measured)"]


def test_report_lines(git_registry: GitRegistry) -> None:
    report = import_json(
        Registry.open(git_registry.root),
        LEGACY / "registry.json",
        LEGACY / "lineage.json",
        dry_run=True,
    )
    lines = report.lines()
    assert lines[0] == "majora@v1 -> models/majora/v1.yaml (6 field(s) flagged for review)"
    assert lines[-1] == "imported 2 version(s); 11 review flag(s) to clear"
    assert not git_registry.path("models/majora").exists()


def test_defaults_fill_fields_the_json_lacks(git_registry: GitRegistry) -> None:
    import_json(
        Registry.open(git_registry.root),
        LEGACY / "registry.json",
        defaults={"model_family": "qwen2.5-coder"},
    )
    v1 = loaded(git_registry, "models/majora/v1.yaml")
    assert v1["model_family"] == "qwen2.5-coder"
    assert "model_family" not in flags(v1)
    assert "training_data" in flags(v1)  # without lineage.json nobody named the data


def test_import_never_overwrites(git_registry: GitRegistry) -> None:
    import_json(Registry.open(git_registry.root), LEGACY / "registry.json")
    before = git_registry.path("models/majora/v1.yaml").read_bytes()
    with pytest.raises(AfsregError, match="already exists"):
        import_json(Registry.open(git_registry.root), LEGACY / "registry.json")
    assert git_registry.path("models/majora/v1.yaml").read_bytes() == before


def write_json(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(document))
    return path


def test_unknown_fields_are_kept_for_review(git_registry: GitRegistry, tmp_path: Path) -> None:
    document = json.loads((LEGACY / "registry.json").read_text())
    v2 = document["models"]["majora"]["versions"]["v2"]
    v2["training"]["optimizer"] = "adamw"
    v2["quantization"] = {"bits": 4}
    v2["git_commit"] = "not-a-sha"
    v2["created_at"] = "2026-01-13T09:00:00"  # no time zone: not assumed UTC
    import_json(Registry.open(git_registry.root), write_json(tmp_path, document))
    f2 = flags(loaded(git_registry, "models/majora/v2.yaml"))
    assert f2["legacy.training.optimizer"]["known"] == "adamw"
    assert f2["legacy.quantization"]["known"] == {"bits": 4}
    assert f2["code.commit_sha"]["known"] == "not-a-sha"
    assert f2["created_at"]["known"] == "2026-01-13T09:00:00"


def test_invalid_values_stop_the_whole_import(git_registry: GitRegistry, tmp_path: Path) -> None:
    document = json.loads((LEGACY / "registry.json").read_text())
    document["models"]["majora"]["versions"]["v2"]["evaluation_scores"]["accuracy"] = 87
    with pytest.raises(ValidationError, match=r"evaluation_metrics\.accuracy"):
        import_json(Registry.open(git_registry.root), write_json(tmp_path, document))
    assert not git_registry.path("models/majora").exists()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"models": []}, "expected seed 001's layout"),
        ({"models": {"Majora": {"versions": {}}}}, "not a lowercase slug"),
        ({"models": {"m": {"versions": {"1": {}}}}}, "cannot name a file after"),
        ({"models": {}}, "no versions to import"),
    ],
)
def test_bad_json_layouts(
    git_registry: GitRegistry, tmp_path: Path, document: Any, message: str
) -> None:
    with pytest.raises(AfsregError, match=message):
        import_json(Registry.open(git_registry.root), write_json(tmp_path, document))


def test_import_json_command(git_registry: GitRegistry, afsreg_env: dict[str, str]) -> None:
    git_registry.commit("empty registry")
    result = run_afsreg(
        [
            "import-json",
            str(LEGACY / "registry.json"),
            str(LEGACY / "lineage.json"),
            "--set",
            "model_family=qwen2.5-coder",
            "--commit",
        ],
        git_registry.root,
        afsreg_env,
    )
    assert result.returncode == 0, result.stderr
    assert "majora@v1 -> models/majora/v1.yaml" in result.stdout
    assert "review lineage.base_models" in result.stdout
    assert "committed" in result.stdout
    assert (
        git_registry.git("log", "-1", "--format=%s").strip()
        == "afsreg: import 2 version(s) from registry.json"
    )
    bad = run_afsreg(["import-json", str(LEGACY / "nope.json")], git_registry.root, afsreg_env)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
