"""The write commands, run as the real `afsreg` program in real git repositories.

Includes seed 001's whole deployment workflow (train, register, evaluate,
compare, promote, deploy, roll back), each step a commit that goes through
the real pre-commit hook.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, GitRegistry, run_afsreg


@pytest.fixture
def majora(git_registry: GitRegistry) -> GitRegistry:
    shutil.copytree(REPO_ROOT / "models" / "majora", git_registry.path("models/majora"))
    git_registry.commit("majora v1 and v2")
    return git_registry


def with_precommit(repo: GitRegistry, env: dict[str, str], extra_hooks: str = "") -> None:
    config = (REPO_ROOT / ".pre-commit-config.yaml").read_text() + extra_hooks
    repo.write(".pre-commit-config.yaml", config)
    repo.commit("pre-commit config")
    result = subprocess.run(
        ["pre-commit", "install"], cwd=repo.root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def ok(args: list[str], repo: GitRegistry, env: dict[str, str]) -> str:
    result = run_afsreg(args, repo.root, env)
    assert result.returncode == 0, f"afsreg {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def field(repo: GitRegistry, ref: str, *path: str | int) -> object:
    name, version = ref.split("@")
    node = yaml.safe_load(repo.path(f"models/{name}/{version}.yaml").read_text())
    for part in path:
        node = node[part]
    return node


def subjects(repo: GitRegistry) -> list[str]:
    return repo.git("log", "--format=%s").splitlines()


def test_seed_001_workflow_from_the_cli(majora: GitRegistry, afsreg_env: dict[str, str]) -> None:
    with_precommit(majora, afsreg_env)
    # Train, register: v3 from v2's file, a fine-tune of v2.
    out = ok(
        [
            "add",
            "majora",
            "--from",
            "models/majora/v2.yaml",
            "--parent",
            "v2",
            "--base-model",
            "majora@v2",
            "--set",
            "evaluation_metrics={}",
            "--commit",
        ],
        majora,
        afsreg_env,
    )
    assert "majora@v3: registered (models/majora/v3.yaml)" in out
    # Evaluate.
    ok(["score", "majora@v3", "accuracy=0.9", "f1_score=0.86", "--commit"], majora, afsreg_env)
    # Compare (read side): v3 beats v2.
    assert field(majora, "majora@v3", "evaluation_metrics", "accuracy") == 0.9
    # Promote, deploy.
    ok(["promote", "majora@v3", "--notes", "0.90 vs 0.87", "--commit"], majora, afsreg_env)
    ok(["deploy", "majora@v3", "--commit"], majora, afsreg_env)
    assert field(majora, "majora@v1", "status") == "completed"
    assert field(majora, "majora@v3", "status") == "deployed"
    # Roll back: production goes back to v1, the version deployed before.
    out = ok(["rollback", "majora", "--commit"], majora, afsreg_env)
    assert "majora@v1: deployed to production" in out
    assert field(majora, "majora@v1", "status") == "deployed"
    assert field(majora, "majora@v3", "status") == "completed"
    assert subjects(majora)[:5] == [
        "afsreg: rollback majora to v1",
        "afsreg: deploy majora@v3",
        "afsreg: promote majora@v3",
        "afsreg: score majora@v3 (accuracy=0.9, f1_score=0.86)",
        "afsreg: add majora@v3",
    ]
    assert majora.git("status", "--porcelain") == ""
    # Each commit holds exactly the files its command changed.
    files = majora.git("show", "--name-only", "--format=", "HEAD~2").split()
    assert files == ["models/majora/v1.yaml", "models/majora/v3.yaml"]  # promote: v1 superseded
    assert ok(["validate"], majora, afsreg_env) is not None


def test_without_commit_the_change_stays_in_the_working_tree(
    majora: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    head = majora.git("rev-parse", "HEAD")
    out = ok(["promote", "majora@v2"], majora, afsreg_env)
    assert "changed models/majora/v1.yaml, models/majora/v2.yaml (not committed)" in out
    assert majora.git("rev-parse", "HEAD") == head
    assert sorted(majora.git("status", "--porcelain").splitlines()) == [
        " M models/majora/v1.yaml",
        " M models/majora/v2.yaml",
    ]


def test_custom_message_and_only_changed_files_committed(
    majora: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    majora.write("notes.txt", "unrelated work in progress\n")
    majora.git("add", "notes.txt")  # staged, and must stay out of the commit
    ok(
        ["deprecate", "majora@v2", "--commit", "-m", "retire v2: superseded by the v1 retrain"],
        majora,
        afsreg_env,
    )
    assert subjects(majora)[0] == "retire v2: superseded by the v1 retrain"
    assert majora.git("show", "--name-only", "--format=", "HEAD").split() == [
        "models/majora/v2.yaml"
    ]
    assert majora.git("status", "--porcelain").splitlines() == ["A  notes.txt"]


def test_failing_hook_stops_the_commit_and_is_reported(
    majora: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    hook = """\
  - repo: local
    hooks:
      - id: no-deploys-on-friday
        name: no deploys on friday
        entry: "deploy freeze: no changes to models/ today"
        language: fail
        files: ^models/
"""
    with_precommit(majora, afsreg_env, hook)
    head = majora.git("rev-parse", "HEAD")
    result = run_afsreg(["promote", "majora@v2", "--commit"], majora.root, afsreg_env)
    assert result.returncode == 1
    assert "git commit failed" in result.stderr
    assert "deploy freeze: no changes to models/ today" in result.stderr
    assert "left in the working tree" in result.stderr
    assert "Traceback" not in result.stderr
    assert majora.git("rev-parse", "HEAD") == head
    assert field(majora, "majora@v2", "promotion", "state") == "promoted"  # the edit is still there


def test_hook_validates_the_commit(majora: GitRegistry, afsreg_env: dict[str, str]) -> None:
    with_precommit(majora, afsreg_env)
    ok(["score", "majora@v2", "pass_at_1=0.5", "--commit"], majora, afsreg_env)
    output = majora.git("log", "-1", "--format=%s")
    assert output.strip() == "afsreg: score majora@v2 (pass_at_1=0.5)"


def test_invalid_change_is_refused_with_location(
    majora: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    before = majora.path("models/majora/v2.yaml").read_bytes()
    result = run_afsreg(["score", "majora@v2", "accuracy=1.5"], majora.root, afsreg_env)
    assert result.returncode == 1
    assert "models/majora/v2.yaml:" in result.stderr
    assert "evaluation_metrics.accuracy: must be <= 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert majora.path("models/majora/v2.yaml").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "majora"], "expected NAME@VERSION"),
        (["deploy", "majora@v2"], "only the promoted version can be deployed"),
        (["reject", "majora@v2"], "Missing option '--notes'"),
        (["score", "majora@v2", "accuracy"], "expected METRIC=VALUE"),
        (["score", "majora@v2", "accuracy=high"], "'high' is not a number"),
        (["add", "majora", "--version", "v2"], "already exists"),
        (["add", "majora", "--set", "nonsense"], "expected FIELD=VALUE"),
        (["rollback", "nosuch"], "no model named 'nosuch'"),
        (["deploy", "majora@v9"], "majora@v9 is not in the registry"),
        (["deploy", "majora@v1", "--env", "Prod!"], "lowercase slug"),
    ],
)
def test_bad_input_is_a_clear_error(
    majora: GitRegistry, afsreg_env: dict[str, str], args: list[str], message: str
) -> None:
    before = {p: p.read_bytes() for p in majora.path("models").rglob("*.yaml")}
    result = run_afsreg(args, majora.root, afsreg_env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in majora.path("models").rglob("*.yaml")} == before


def test_add_with_bump_and_sets(majora: GitRegistry, afsreg_env: dict[str, str]) -> None:
    out = ok(
        [
            "add",
            "majora",
            "--bump",
            "minor",
            "--from",
            "models/majora/v2.yaml",
            "--set",
            "training_config.epochs=4",
            "--set",
            "tags=[coder, experimental]",
        ],
        majora,
        afsreg_env,
    )
    assert "majora@v2.1.0: registered" in out
    assert field(majora, "majora@v2.1.0", "training_config", "epochs") == 4
    assert field(majora, "majora@v2.1.0", "tags") == ["coder", "experimental"]


def test_reject_and_archive(majora: GitRegistry, afsreg_env: dict[str, str]) -> None:
    ok(
        ["reject", "majora@v2", "--notes", "regresses on the held-out set", "--commit"],
        majora,
        afsreg_env,
    )
    assert field(majora, "majora@v2", "promotion", "state") == "rejected"
    ok(["archive", "majora@v2", "--commit"], majora, afsreg_env)
    assert field(majora, "majora@v2", "status") == "archived"
    assert subjects(majora)[:2] == ["afsreg: archive majora@v2", "afsreg: reject majora@v2"]


def test_deploy_to_env_and_rollback_to(majora: GitRegistry, afsreg_env: dict[str, str]) -> None:
    ok(["promote", "majora@v2", "--commit"], majora, afsreg_env)
    ok(["deploy", "majora@v2", "--env", "staging", "--commit"], majora, afsreg_env)
    assert subjects(majora)[0] == "afsreg: deploy majora@v2 to staging"
    out = ok(
        ["rollback", "majora", "--env", "staging", "--to", "v1", "--commit"], majora, afsreg_env
    )
    assert "majora@v2: undeployed from staging" in out
    envs = [d["env"] for d in field(majora, "majora@v1", "deployments")]  # type: ignore[union-attr]
    assert envs == ["production", "staging"]
    assert subjects(majora)[0] == "afsreg: rollback majora to v1 in staging"


def test_commands_have_examples_in_help(afsreg_env: dict[str, str], tmp_path: Path) -> None:
    for command in (
        "add",
        "score",
        "promote",
        "reject",
        "deploy",
        "rollback",
        "deprecate",
        "archive",
        "import-json",
    ):
        result = run_afsreg([command, "--help"], tmp_path, afsreg_env)
        assert result.returncode == 0
        assert "Example" in result.stdout, command
