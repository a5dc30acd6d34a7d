"""Released versions are immutable: frozen fields, deletion and renaming, located problems."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, GitRegistry, dump, model_doc

from afsreg.checks import immutability
from afsreg.checks.immutability import (
    frozen_violations,
    immutability_problems,
    is_frozen,
    release_reason,
)
from afsreg.registry import Registry

REPO = REPO_ROOT
RELEASED = {"promotion": {"state": "promoted", "notes": "ship it"}}


def _registries(
    g: GitRegistry, base: dict[str, Any], head: dict[str, Any] | None
) -> tuple[Registry, Registry]:
    g.write("models/majora/v1.yaml", dump(model_doc("majora", "v1", **base)))
    g.commit("base")
    if head is None:
        g.remove("models/majora/v1.yaml")
    else:
        g.write("models/majora/v1.yaml", dump(model_doc("majora", "v1", **head)))
    return Registry.open(g.root, rev="HEAD"), Registry.open(g.root)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"promotion": {"state": "promoted"}}, "promotion.state: promoted"),
        ({"promotion": {"state": "superseded"}}, "promotion.state: superseded"),
        ({"promotion": {"state": "candidate"}, "status": "deployed"}, "status: deployed"),
        (
            {
                "promotion": {"state": "rejected"},
                "deployments": [{"env": "prod", "deployed_at": "x", "deployed_by": "y"}],
            },
            "it has deployments",
        ),
        ({"promotion": {"state": "candidate"}, "status": "completed"}, None),
        ({"promotion": {"state": "rejected"}}, None),
    ],
)
def test_release_reason(data: dict[str, Any], reason: str | None) -> None:
    assert release_reason(data) == reason


def test_frozen_and_editable_fields() -> None:
    for frozen in (
        "name",
        "training_data",
        "training.cost_usd",
        "code.commit_sha",
        "files.lora.path",
        "lineage.parent",
    ):
        assert is_frozen(frozen), frozen
    for editable in (
        "promotion.state",
        "promotion.notes",
        "status",
        "deployments",
        "review",
        "description",
        "tags",
    ):
        assert not is_frozen(editable), editable


def test_changing_training_data_of_a_released_version_is_reported_at_its_line(
    git_registry: GitRegistry,
) -> None:
    base, head = _registries(
        git_registry, RELEASED, {**RELEASED, "training_data": [{"name": "other-set", "samples": 5}]}
    )

    (problem,) = immutability_problems(base, head)

    assert problem.path == "models/majora/v1.yaml"
    assert problem.field == "training_data"
    content = (git_registry.root / problem.path).read_text().splitlines()
    assert content[problem.line - 1].startswith("training_data:")
    assert "majora@v1 is released (promotion.state: promoted)" in problem.message
    assert "frozen" in problem.message and "other-set" in problem.message


def test_editable_fields_and_new_metrics_pass(git_registry: GitRegistry) -> None:
    head = {
        "promotion": {"state": "superseded", "notes": "replaced by v2", "superseded_by": "v2"},
        "status": "deprecated",
        "description": "now documented",
        "tags": ["coder"],
        "evaluation_metrics": {"accuracy": 0.5, "bleu": 0.3},
        "review": [{"field": "owner", "reason": "check"}],
    }
    base, after = _registries(git_registry, RELEASED, head)
    assert immutability_problems(base, after) == []


def test_existing_metrics_are_frozen(git_registry: GitRegistry) -> None:
    base, head = _registries(
        git_registry, RELEASED, {**RELEASED, "evaluation_metrics": {"accuracy": 0.9}}
    )
    (problem,) = immutability_problems(base, head)
    assert problem.field == "evaluation_metrics.accuracy"
    assert "0.5 -> 0.9" in problem.message


def test_empty_fields_may_be_filled_in(git_registry: GitRegistry) -> None:
    base, head = _registries(
        git_registry,
        {**RELEASED, "parameter_count": None},
        {**RELEASED, "parameter_count": 7_000_000_000, "code": {"commit_sha": "abc1234"}},
    )
    assert immutability_problems(base, head) == []


def test_fields_flagged_for_review_may_be_corrected(git_registry: GitRegistry) -> None:
    review = [{"field": "training_data", "reason": "dataset name to be confirmed"}]
    base, head = _registries(
        git_registry,
        {**RELEASED, "review": review},
        {**RELEASED, "training_data": [{"name": "confirmed-set", "samples": 100}]},
    )
    assert immutability_problems(base, head) == []


def test_removing_a_frozen_field_is_reported(git_registry: GitRegistry) -> None:
    base, head = _registries(
        git_registry, {**RELEASED, "code": {"commit_sha": "abc1234"}}, RELEASED
    )
    (problem,) = immutability_problems(base, head)
    assert problem.field == "code.commit_sha" and "may not be removed" in problem.message


def test_deleting_a_released_version_is_reported(git_registry: GitRegistry) -> None:
    base, head = _registries(git_registry, RELEASED, None)
    (problem,) = immutability_problems(base, head)
    assert (problem.path, problem.line) == ("models/majora/v1.yaml", 1)
    assert "may not be deleted or renamed" in problem.message


def test_renaming_a_released_version_is_reported(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write("models/majora/v1.yaml", dump(model_doc("majora", "v1", **RELEASED)))
    g.commit("base")
    g.remove("models/majora/v1.yaml")
    g.write("models/majora/v1.1.yaml", dump(model_doc("majora", "v1.1", **RELEASED)))
    problems = immutability_problems(Registry.open(g.root, rev="HEAD"), Registry.open(g.root))
    assert [p.path for p in problems] == ["models/majora/v1.yaml"]


def test_candidates_may_change_freely(git_registry: GitRegistry) -> None:
    base, head = _registries(
        git_registry,
        {},
        {"training_data": [{"name": "x"}], "evaluation_metrics": {"accuracy": 0.9}},
    )
    assert immutability_problems(base, head) == []
    base, head = _registries(git_registry, {}, None)
    assert immutability_problems(base, head) == []


def test_demoting_does_not_unfreeze_in_the_same_change(git_registry: GitRegistry) -> None:
    base, head = _registries(
        git_registry,
        RELEASED,
        {"promotion": {"state": "rejected"}, "training_data": [{"name": "x"}]},
    )
    assert [p.field for p in immutability_problems(base, head)] == ["training_data"]


def test_frozen_violations_on_plain_data() -> None:
    base = {
        "name": "a",
        "files": {"lora": {"path": "/a"}},
        "review": [{"field": "files.lora", "reason": "r"}],
    }
    assert (
        frozen_violations(base, {"name": "b", "files": {"lora": {"path": "/b"}}})[0].field == "name"
    )
    assert len(frozen_violations(base, {"name": "b", "files": {"lora": {"path": "/b"}}})) == 1


def test_a_version_promoted_in_the_past_stays_frozen(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1", **RELEASED)
    promoted = g.commit("promote")
    g.write_model("majora", "v1", promotion={"state": "rejected"})
    g.commit("roll back the promotion")
    g.write_model(
        "majora", "v1", promotion={"state": "rejected"}, training_data=[{"name": "other"}]
    )

    (problem,) = immutability_problems(Registry.open(g.root, rev="HEAD"), Registry.open(g.root))

    assert problem.field == "training_data"
    assert f"promotion.state: promoted at commit {promoted[:10]}" in problem.message
    assert (
        immutability_problems(
            Registry.open(g.root, rev="HEAD"), Registry.open(g.root), check_history=False
        )
        == []
    )


def test_history_is_read_only_for_touched_versions(
    git_registry: GitRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.write_model("majora", "v2")
    g.commit("base")
    g.write_model("majora", "v2", description="edited")
    asked: list[str] = []

    def reason(self: object, path: str) -> None:
        asked.append(path)

    monkeypatch.setattr(immutability._HistoryReleases, "reason", reason)
    # An edit of editable fields reports nothing, released before or not: no history is read.
    assert immutability_problems(Registry.open(g.root, rev="HEAD"), Registry.open(g.root)) == []
    assert asked == []
    # An edit of a frozen field is a problem if the version was ever released: asked of history.
    g.write_model("majora", "v2", framework="jax")
    assert immutability_problems(Registry.open(g.root, rev="HEAD"), Registry.open(g.root)) == []
    assert asked == ["models/majora/v2.yaml"]


def test_validate_against_reports_violations_like_other_errors(git_registry: GitRegistry) -> None:
    from click.testing import CliRunner

    from afsreg.cli import cli

    g = git_registry
    g.write_model("majora", "v1", **RELEASED)
    g.commit("release v1")
    path = g.write_model("majora", "v1", **RELEASED, framework="jax")
    line = next(
        i
        for i, text in enumerate(path.read_text().splitlines(), 1)
        if text.startswith("framework:")
    )

    result = CliRunner().invoke(cli, ["validate", "--against", "HEAD", "--root", str(g.root)])

    assert result.exit_code == 1
    assert f"models/majora/v1.yaml:{line}:1: framework: majora@v1 is released" in result.output
    ok = CliRunner().invoke(cli, ["validate", "--root", str(g.root)])
    assert ok.exit_code == 0, ok.output


def _hook_commit(root: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return subprocess.run(
        ["git", "commit", "-q", "-m", message], cwd=root, env=env, capture_output=True, text=True
    )


def test_precommit_framework_refuses_editing_a_released_version(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    g = git_registry
    (g.root / ".pre-commit-config.yaml").write_text((REPO / ".pre-commit-config.yaml").read_text())
    g.write_model("majora", "v1", **RELEASED)
    g.commit("release v1")
    installed = subprocess.run(
        ["pre-commit", "install"], cwd=g.root, env=afsreg_env, capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    g.write_model("majora", "v1", **RELEASED, training_config={"epochs": 9})

    refused = _hook_commit(g.root, afsreg_env, "retrain in place")

    assert refused.returncode != 0
    assert "training_config.epochs: majora@v1 is released" in refused.stdout + refused.stderr
    assert g.git("log", "--format=%s").splitlines() == ["release v1"]


def test_plain_git_hook_refuses_deleting_a_released_version(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    g = git_registry
    g.write_model("majora", "v1", **RELEASED)
    g.write_model("majora", "v2")
    g.commit("release v1")
    installed = subprocess.run(
        ["afsreg", "install-hooks"], cwd=g.root, env=afsreg_env, capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    g.remove("models/majora/v1.yaml")
    g.write_model("majora", "v2")  # v2 no longer names v1 as parent: stays valid

    refused = _hook_commit(g.root, afsreg_env, "drop v1")

    assert refused.returncode != 0
    assert "models/majora/v1.yaml:1:1: (file): majora@v1 is released" in refused.stderr
    assert "may not be deleted or renamed" in refused.stderr


def test_a_released_version_may_not_gain_a_review_flag_on_a_frozen_field(
    git_registry: GitRegistry,
) -> None:
    """Found in review: adding a flag, then changing the flagged field, rewrote a release."""
    from afsreg.read.validate import validate

    git_registry.write_model("m", "v1", promotion={"state": "promoted"})
    git_registry.commit("release m v1")
    git_registry.write_model(
        "m",
        "v1",
        promotion={"state": "promoted"},
        review=[{"field": "training_config", "reason": "let me change it"}],
    )
    report = validate(git_registry.root, against="HEAD")
    assert any(
        p.field == "review"
        and "may not be added to its frozen field(s) training_config" in p.message
        for p in report.errors
    )
