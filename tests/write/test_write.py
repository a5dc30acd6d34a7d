"""The write API (afsreg.write: change, register, lifecycle) on real git repositories."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, GitRegistry

from afsreg.errors import AfsregError, ValidationError
from afsreg.format.editor import load_text
from afsreg.registry import Registry
from afsreg.write.change import Change, write_files
from afsreg.write.lifecycle import (
    archive,
    deploy,
    deployment_history,
    deprecate,
    promote,
    reject,
    rollback,
)
from afsreg.write.register import register_model, update_evaluation_scores

T1 = "2026-02-01T10:00:00Z"
T2 = "2026-02-02T10:00:00Z"
T3 = "2026-02-03T10:00:00Z"
T4 = "2026-02-04T10:00:00Z"


@pytest.fixture
def majora(git_registry: GitRegistry) -> GitRegistry:
    """A registry holding seed 001's majora v1 (promoted, deployed) and v2 (candidate)."""
    shutil.copytree(REPO_ROOT / "models" / "majora", git_registry.path("models/majora"))
    git_registry.commit("majora v1 and v2")
    return git_registry


def reg(repo: GitRegistry) -> Registry:
    return Registry.open(repo.root)


def data(repo: GitRegistry, ref: str) -> dict[str, Any]:
    name, version = ref.split("@")
    loaded = load_text(repo.path(f"models/{name}/{version}.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def snapshot(repo: GitRegistry) -> dict[str, bytes]:
    return {
        str(p.relative_to(repo.root)): p.read_bytes()
        for p in repo.path("models").rglob("*")
        if p.is_file()
    }


# -- register -----------------------------------------------------------------


def test_register_picks_next_version_and_inherits_model_fields(majora: GitRegistry) -> None:
    change = register_model(
        reg(majora),
        "majora",
        parent="v2",
        evaluation_scores={"accuracy": 0.9, "pass_at_1": 0.4},
        samples=300,
        epochs=2,
        training_data=[{"name": "majora-train"}],
        evaluation_dataset="majora-heldout",
        parameter_count=7_000_000_000,
        lora_path="/models/majora-v3-lora",
        git_commit="0123456789ab",
        at=T1,
    )
    assert change.ref == "majora@v3"
    assert change.paths == ["models/majora/v3.yaml"]
    v3 = data(majora, "majora@v3")
    assert v3["owner"] == "scawful"
    assert v3["model_family"] == "qwen2.5-coder"
    assert v3["lineage"] == {"parent": "v2"}
    assert v3["evaluation_metrics"] == {"accuracy": 0.9, "custom": {"pass_at_1": 0.4}}
    assert v3["training_config"] == {"samples": 300, "epochs": 2}
    assert v3["files"] == {"lora": {"path": "/models/majora-v3-lora"}}
    assert v3["code"] == {"commit_sha": "0123456789ab"}
    assert v3["promotion"] == {"state": "candidate"}
    assert v3["status"] == "completed"
    assert v3["created_at"] == T1
    assert change.registry is not None and change.registry.get("majora@v3").version == "v3"


@pytest.mark.parametrize(
    ("bump", "expected"), [("major", "v3.0.0"), ("minor", "v2.1.0"), ("patch", "v2.0.1")]
)
def test_register_semantic_bump(majora: GitRegistry, bump: Any, expected: str) -> None:
    change = register_model(
        reg(majora), "majora", bump=bump, template=majora.path("models/majora/v2.yaml").read_text()
    )
    assert change.ref == f"majora@{expected}"
    assert majora.path(f"models/majora/{expected}.yaml").is_file()


def test_register_first_version_of_new_model(git_registry: GitRegistry) -> None:
    change = register_model(
        reg(git_registry),
        "tiny",
        framework="pytorch",
        model_family="mlp",
        owner="bob",
        is_external=False,
        parameter_count=10,
        training_data=[{"name": "d"}],
        training_config={"epochs": 1},
        evaluation_dataset="e",
        evaluation_scores={"accuracy": 0.5},
    )
    assert change.ref == "tiny@v1"
    assert reg(git_registry).get("tiny@v1").framework == "pytorch"


def test_register_from_template_keeps_comments_and_resets_decisions(majora: GitRegistry) -> None:
    template = majora.path("models/majora/v1.yaml").read_text()
    register_model(
        reg(majora),
        "majora",
        version="v3",
        template=template,
        fields={"evaluation_metrics.accuracy": 0.88, "lineage.parent": "v1"},
    )
    text = majora.path("models/majora/v3.yaml").read_text()
    assert text.startswith("# majora v1: the first LoRA fine-tune")
    v3 = load_text(text)
    assert v3["version"] == "v3"
    assert v3["promotion"] == {"state": "candidate"}
    assert v3["status"] == "completed"
    assert "deployments" not in v3
    assert v3["evaluation_metrics"]["accuracy"] == 0.88


def test_register_never_overwrites(majora: GitRegistry) -> None:
    before = snapshot(majora)
    with pytest.raises(AfsregError, match="already exists"):
        register_model(reg(majora), "majora", version="v2")
    assert snapshot(majora) == before


def test_register_missing_required_metadata_writes_nothing(git_registry: GitRegistry) -> None:
    with pytest.raises(ValidationError) as info:
        register_model(reg(git_registry), "tiny", framework="pytorch")
    fields = {p.field for p in info.value.problems}
    assert "model_family" in str(info.value) or "model_family" in fields
    assert not git_registry.path("models/tiny").exists()


def test_written_file_is_never_half_written(
    majora: GitRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between writing the temporary file and renaming it leaves the old file."""
    before = snapshot(majora)

    def crash(*args: Any) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr("afsreg.write.change.os.replace", crash)
    with pytest.raises(AfsregError, match=r"cannot write \(disk on fire\); nothing was changed"):
        promote(reg(majora), "majora@v2")
    assert snapshot(majora) == before  # no temporary files left behind either


def test_write_refuses_when_file_changed_on_disk(majora: GitRegistry) -> None:
    path = "models/majora/v2.yaml"
    with pytest.raises(AfsregError, match="changed on disk"):
        write_files(majora.root, {path: b"x: 1\n"}, {path: b"something else"})
    assert majora.path(path).read_bytes() != b"x: 1\n"


# -- scores -------------------------------------------------------------------


def test_scores_go_to_their_fields(majora: GitRegistry) -> None:
    update_evaluation_scores(
        reg(majora), "majora@v2", {"f1_score": 0.84, "rougeL": 0.4, "pass_at_1": 0.3}
    )
    metrics = data(majora, "majora@v2")["evaluation_metrics"]
    assert metrics == {
        "accuracy": 0.87,
        "f1_score": 0.84,
        "rouge": {"rougeL": 0.4},
        "custom": {"pass_at_1": 0.3},
    }


def test_invalid_score_is_rejected_and_nothing_written(majora: GitRegistry) -> None:
    before = snapshot(majora)
    with pytest.raises(ValidationError) as info:
        update_evaluation_scores(reg(majora), "majora@v2", accuracy=1.7)
    assert "models/majora/v2.yaml" in str(info.value)
    assert "evaluation_metrics.accuracy" in str(info.value)
    assert snapshot(majora) == before


# -- promotion ----------------------------------------------------------------


def test_promote_supersedes_previous_and_keeps_comments(majora: GitRegistry) -> None:
    v1_before = majora.path("models/majora/v1.yaml").read_text()
    change = promote(reg(majora), "majora@v2", notes="0.87 beats 0.85", by="carol", at=T1)
    assert change.paths == ["models/majora/v1.yaml", "models/majora/v2.yaml"]
    assert change.message == "afsreg: promote majora@v2"
    v2 = data(majora, "majora@v2")["promotion"]
    assert v2 == {
        "state": "promoted",
        "decided_by": "carol",
        "decided_at": T1,
        "notes": "0.87 beats 0.85",
    }
    v1_after = majora.path("models/majora/v1.yaml").read_text()
    assert v1_after == v1_before.replace("  state: promoted\n", "  state: superseded\n").replace(
        "registry's first production model.\n",
        "registry's first production model.\n  superseded_by: v2\n",
    )
    assert "# majora v1: the first LoRA fine-tune" in v1_after


def test_promote_again_clears_superseded_by(majora: GitRegistry) -> None:
    promote(reg(majora), "majora@v2", at=T1)
    promote(reg(majora), "majora@v1", at=T2)
    assert data(majora, "majora@v1")["promotion"]["state"] == "promoted"
    assert "superseded_by" not in data(majora, "majora@v1")["promotion"]
    assert data(majora, "majora@v2")["promotion"]["superseded_by"] == "v1"


def test_promote_twice_is_an_error(majora: GitRegistry) -> None:
    with pytest.raises(AfsregError, match="already promoted"):
        promote(reg(majora), "majora@v1")


def test_reject_needs_notes_and_records_decision(majora: GitRegistry) -> None:
    with pytest.raises(AfsregError, match="needs notes"):
        reject(reg(majora), "majora@v2", notes=" ")
    reject(reg(majora), "majora@v2", notes="hallucinates opcodes", by="dan", at=T1)
    assert data(majora, "majora@v2")["promotion"] == {
        "state": "rejected",
        "notes": "hallucinates opcodes",
        "decided_by": "dan",
        "decided_at": T1,
    }
    with pytest.raises(AfsregError, match="only the promoted version"):
        deploy(reg(majora), "majora@v2")


def test_reject_deployed_version_is_refused(majora: GitRegistry) -> None:
    with pytest.raises(AfsregError, match="deployed in production"):
        reject(reg(majora), "majora@v1", notes="bad")


# -- deployment and rollback ----------------------------------------------------


def test_deploy_replaces_previous_deployment(majora: GitRegistry) -> None:
    promote(reg(majora), "majora@v2", at=T1)
    change = deploy(reg(majora), "majora@v2", by="erin", at=T2)
    assert change.paths == ["models/majora/v1.yaml", "models/majora/v2.yaml"]
    v1, v2 = data(majora, "majora@v1"), data(majora, "majora@v2")
    assert v1["status"] == "completed"
    assert v1["deployments"][-1]["undeployed_at"] == T2
    assert v1["deployments"][-1]["undeployed_by"] == "erin"
    assert v2["status"] == "deployed"
    assert v2["deployments"] == [{"env": "production", "deployed_at": T2, "deployed_by": "erin"}]
    assert not reg(majora).errors


def test_deploy_only_promoted(majora: GitRegistry) -> None:
    before = snapshot(majora)
    with pytest.raises(AfsregError, match="candidate; only the promoted version"):
        deploy(reg(majora), "majora@v2")
    assert snapshot(majora) == before


def test_deploy_to_second_env_keeps_first(majora: GitRegistry) -> None:
    deploy(reg(majora), "majora@v1", env="staging", at=T1)
    v1 = data(majora, "majora@v1")
    assert [d["env"] for d in v1["deployments"]] == ["production", "staging"]
    assert all("undeployed_at" not in d for d in v1["deployments"])


def test_rollback_goes_back_through_history(majora: GitRegistry) -> None:
    promote(reg(majora), "majora@v2", at=T1)
    deploy(reg(majora), "majora@v2", at=T2)
    register_model(
        reg(majora), "majora", template=majora.path("models/majora/v2.yaml").read_text(), at=T2
    )
    promote(reg(majora), "majora@v3", at=T3)
    deploy(reg(majora), "majora@v3", at=T3)
    change = rollback(reg(majora), "majora", by="frank", at=T4)
    assert change.ref == "majora@v2"
    assert change.message == "afsreg: rollback majora to v2"
    v2, v3 = data(majora, "majora@v2"), data(majora, "majora@v3")
    assert v2["status"] == "deployed"
    assert v2["deployments"][-1] == {
        "env": "production",
        "deployed_at": T4,
        "deployed_by": "frank",
        "reason": "rollback from v3",
    }
    assert v3["status"] == "completed"
    assert v3["deployments"][-1]["undeployed_at"] == T4
    # Promotion is left alone: v3 stays promoted, v2 superseded.
    assert v3["promotion"]["state"] == "promoted"
    history = deployment_history(reg(majora), "majora", "production")
    assert [v for v, _ in history] == ["v1", "v2", "v3", "v2"]
    # And once more: back from v2 goes to v3, the version it replaced.
    rollback(reg(majora), "majora", at="2026-02-05T10:00:00Z")
    assert data(majora, "majora@v3")["status"] == "deployed"


def test_rollback_to_named_version(majora: GitRegistry) -> None:
    promote(reg(majora), "majora@v2", at=T1)
    deploy(reg(majora), "majora@v2", at=T2)
    rollback(reg(majora), "majora", to="v1", at=T3)
    assert data(majora, "majora@v1")["status"] == "deployed"
    with pytest.raises(AfsregError, match="already the version deployed"):
        rollback(reg(majora), "majora", to="v1", at=T4)


def test_rollback_with_no_history(majora: GitRegistry) -> None:
    with pytest.raises(AfsregError, match="only version of majora ever deployed"):
        rollback(reg(majora), "majora")
    with pytest.raises(AfsregError, match="nothing to roll back"):
        rollback(reg(majora), "majora", env="staging")


# -- lifecycle ----------------------------------------------------------------


def test_deprecate_and_archive(majora: GitRegistry) -> None:
    with pytest.raises(AfsregError, match="deployed in production"):
        deprecate(reg(majora), "majora@v1")
    change = deprecate(reg(majora), "majora@v2")
    assert change.details == ["majora@v2: status completed -> deprecated"]
    archive(reg(majora), "majora@v2")
    assert data(majora, "majora@v2")["status"] == "archived"
    with pytest.raises(AfsregError, match="retired version cannot be promoted"):
        promote(reg(majora), "majora@v2")


def test_registry_read_at_a_revision_is_read_only(majora: GitRegistry) -> None:
    with pytest.raises(AfsregError, match="writes go to the working tree"):
        promote(Registry.open(majora.root, rev="HEAD"), "majora@v2")


def test_error_in_a_touched_file_blocks_the_change(majora: GitRegistry) -> None:
    text = (
        majora.path("models/majora/v2.yaml").read_text().replace("accuracy: 0.87", "accuracy: 1.5")
    )
    majora.write("models/majora/v2.yaml", text)
    before = snapshot(majora)
    with pytest.raises(ValidationError, match=r"evaluation_metrics\.accuracy"):
        promote(reg(majora), "majora@v2", at=T1)
    assert snapshot(majora) == before


def test_error_elsewhere_does_not_block_an_unrelated_change(majora: GitRegistry) -> None:
    majora.write_model("other", "v1", evaluation_metrics={"accuracy": 2})
    assert reg(majora).errors
    deprecate(reg(majora), "majora@v2")
    assert data(majora, "majora@v2")["status"] == "deprecated"


def test_change_that_breaks_a_cross_file_rule_is_refused(majora: GitRegistry) -> None:
    """Redeploying v1 to production while v2 is deployed there would need an undeploy."""
    promote(reg(majora), "majora@v2", at=T1)
    deploy(reg(majora), "majora@v2", env="staging", at=T2)
    text = (
        majora.path("models/majora/v2.yaml").read_text().replace("env: staging", "env: production")
    )
    majora.write("models/majora/v2.yaml", text)  # now v1 and v2 both claim production
    with pytest.raises(ValidationError, match="deployed in production"):
        update_evaluation_scores(reg(majora), "majora@v2", {"f1_score": 0.8})


def test_default_by_is_git_user(majora: GitRegistry) -> None:
    promote(reg(majora), "majora@v2")
    assert data(majora, "majora@v2")["promotion"]["decided_by"] == "Alice Example"


def test_change_reports_paths(majora: GitRegistry) -> None:
    change: Change = promote(reg(majora), "majora@v2", dry_run=True)
    assert change.written is False
    assert change.paths == ["models/majora/v1.yaml", "models/majora/v2.yaml"]
    assert majora.git("status", "--porcelain") == ""


def test_timestamps_must_have_a_zone(majora: GitRegistry) -> None:
    with pytest.raises(AfsregError, match="no time zone"):
        promote(reg(majora), "majora@v2", at="2026-02-01T10:00:00")


def test_write_api_is_exported_with_real_signatures(majora: GitRegistry) -> None:
    """Writes are functions of afsreg taking a Registry; the read model has none of them."""
    import inspect

    import afsreg

    registry = reg(majora)
    for name in (
        "register_model",
        "update_evaluation_scores",
        "promote",
        "reject",
        "deploy",
        "rollback",
        "deprecate",
        "archive",
    ):
        function = getattr(afsreg, name)
        assert callable(function), name
        assert name in afsreg.__all__, name
        parameters = inspect.signature(function).parameters
        assert next(iter(parameters)) == "registry", name
        # help() shows every option: no **kwargs forwarding
        assert {"dry_run", "commit", "message"} <= parameters.keys(), name
        assert not hasattr(registry, name), name
    assert afsreg.Change is Change


def test_paths_are_relative(majora: GitRegistry) -> None:
    change = promote(reg(majora), "majora@v2", dry_run=True)
    assert all(not Path(p).is_absolute() for p in change.paths)


def test_changing_a_released_metric_is_refused_before_writing(majora: GitRegistry) -> None:
    """The pre-commit hook would refuse it; the API refuses it first."""
    before = snapshot(majora)
    with pytest.raises(ValidationError, match="released"):
        update_evaluation_scores(reg(majora), "majora@v1", {"accuracy": 0.9})
    assert snapshot(majora) == before
    update_evaluation_scores(reg(majora), "majora@v1", {"latency_ms": 80})  # a new metric is fine
    assert data(majora, "majora@v1")["evaluation_metrics"]["latency_ms"] == 80


def test_seed_001_workflow_from_python_commits_each_step(majora: GitRegistry) -> None:
    """Train, register, evaluate, compare, promote, deploy, roll back: one commit each."""
    root = majora.root
    # Train (elsewhere) and register.
    added = register_model(
        Registry.open(root),
        "majora",
        parent="v2",
        base_model="majora@v2",
        epochs=3,
        training_data=[{"name": "majora-train"}],
        evaluation_dataset="majora-heldout",
        parameter_count=7_615_616_512,
        evaluation_scores={"f1_score": 0.8},
        commit=True,
    )
    ref = added.ref
    # Evaluate.
    update_evaluation_scores(Registry.open(root), ref, {"accuracy": 0.9}, commit=True)
    # Compare against production.
    registry = Registry.open(root)
    production = registry.get("majora@v1").data["evaluation_metrics"]["accuracy"]
    assert registry.get(ref).data["evaluation_metrics"]["accuracy"] > production
    # Promote, deploy, roll back.
    promote(Registry.open(root), ref, notes="0.90 vs 0.85", commit=True)
    deploy(Registry.open(root), ref, commit=True)
    rollback(Registry.open(root), "majora", commit=True)
    assert majora.git("log", "--format=%s").splitlines()[:5] == [
        "afsreg: rollback majora to v1",
        "afsreg: deploy majora@v3",
        "afsreg: promote majora@v3",
        "afsreg: score majora@v3 (accuracy=0.9)",
        "afsreg: add majora@v3",
    ]
    assert majora.git("status", "--porcelain") == ""
    final = Registry.open(root)
    assert not final.errors
    assert final.get("majora@v1").status == "deployed"
    assert final.get("majora@v3").status == "completed"


def test_add_from_a_file_does_not_copy_its_lineage(majora: GitRegistry) -> None:
    """Found in review: --from copied the template's parent and base models."""
    template = majora.path("models/majora/v2.yaml").read_text()
    change = register_model(reg(majora), "majora", template=template)
    assert "lineage" not in data(majora, change.ref)
    change = register_model(reg(majora), "majora", template=template, parent="v2")
    assert data(majora, change.ref)["lineage"] == {"parent": "v2"}
