"""A registry with a policy, for the policy tests: main holds majora@v1 promoted and deployed.

policy_registry() builds it in a real git repository with the real pre-commit
hook installed; each GATE_CASES entry is a policy rule and a majora@v2 that
breaks exactly that rule when the listed command runs.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import GitRegistry, run_afsreg

from afsreg.write.scaffold import PRE_COMMIT_CONFIG

ENVIRONMENTS = """\
policy_version: 1
environments:
  staging: {}
  production:
    requires: [staging]
"""

V1_METRICS = {"accuracy": 0.9, "f1_score": 0.84}


def good_v2(**overrides: Any) -> dict[str, Any]:
    """majora@v2 that passes every gate: parent v1, pinned, evaluated, trained, better."""
    doc: dict[str, Any] = {
        "owner": "alice",
        "lineage": {
            "parent": "v1",
            "base_models": [{"model": "majora@v1", "relation": "fine-tune"}],
        },
        "code": {"repo_url": "https://github.com/example/train", "commit_sha": "0123abcd"},
        "evaluation_dataset": {"name": "majora-eval", "revision": "v3"},
        "evaluation_metrics": {"accuracy": 0.91, "f1_score": 0.86},
        "training": {"completed_at": "2026-01-13T12:10:00Z"},
        "training_config": {"epochs": 3, "samples": 400},
    }
    doc.update(overrides)
    return doc


def policy_registry(git_registry: GitRegistry, policy: str, env: dict[str, str]) -> GitRegistry:
    """main: the policy, majora@v1 promoted and deployed to staging then production,
    qwen-base@v1 (a candidate base model); the pre-commit hook installed; branch `pr`."""
    reg = git_registry
    reg.write(".pre-commit-config.yaml", PRE_COMMIT_CONFIG)
    reg.write("afsreg.yaml", policy)
    reg.write_model(
        "majora",
        "v1",
        owner="alice",
        code={"commit_sha": "89abcdef"},
        evaluation_dataset={"name": "majora-eval", "revision": "v3"},
        evaluation_metrics=V1_METRICS,
        training={"completed_at": "2026-01-10T12:00:00Z"},
        promotion={"state": "promoted", "decided_by": "alice"},
        status="deployed",
        deployments=[
            {"env": "staging", "deployed_at": "2026-01-11T09:00:00Z", "deployed_by": "alice"},
            {"env": "production", "deployed_at": "2026-01-12T09:00:00Z", "deployed_by": "alice"},
        ],
    )
    reg.write_model("qwen-base", "v1", owner="bob")
    reg.commit("main: majora v1 in production")
    result = subprocess.run(
        ["pre-commit", "install"], cwd=reg.root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    reg.git("checkout", "-q", "-b", "pr")
    return reg


def hook_commit(
    reg: GitRegistry, env: dict[str, str], message: str
) -> subprocess.CompletedProcess[str]:
    """`git commit` with the hook (the pre-commit program) running."""
    reg.git("add", "-A")
    return subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=reg.root,
        env=env,
        capture_output=True,
        text=True,
    )


def afsreg(reg: GitRegistry, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_afsreg(list(args), reg.root, env)


def github_env(
    reg: GitRegistry, base_branch: str = "main", head_branch: str = "pr"
) -> dict[str, str]:
    """The variables GitHub sets for a pull_request job, pointing at files in the repo's parent."""
    runner = reg.root.parent / "runner"
    runner.mkdir(exist_ok=True)
    base_sha = reg.git("rev-parse", base_branch).strip()
    head_sha = reg.git("rev-parse", "HEAD").strip()
    event = {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"ref": base_branch, "sha": base_sha},
            "head": {"ref": head_branch, "sha": head_sha},
        },
    }
    (runner / "event.json").write_text(json.dumps(event))
    for name in ("summary.md", "output.txt"):
        (runner / name).write_text("")
    return {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(runner / "event.json"),
        "GITHUB_BASE_REF": base_branch,
        "GITHUB_HEAD_REF": head_branch,
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_REF_NAME": "7/merge",
        "GITHUB_SHA": head_sha,
        "GITHUB_REPOSITORY": "example/registry",
        "GITHUB_WORKSPACE": str(reg.root),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "GITHUB_OUTPUT": str(runner / "output.txt"),
        "RUNNER_TEMP": str(runner),
    }


def parse_annotations(stdout: str) -> list[dict[str, str]]:
    """GitHub workflow commands back into their parts, undoing GitHub's escaping."""

    def unescape(text: str) -> str:
        for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
            text = text.replace(code, char)
        return text

    found = []
    for line in stdout.splitlines():
        if not line.startswith(("::error ", "::warning ")):
            continue
        head, _, message = line[2:].partition("::")
        kind, _, props = head.partition(" ")
        entry = {"kind": kind, "message": unescape(message)}
        for prop in props.split(","):
            key, _, value = prop.partition("=")
            entry[key] = unescape(value)
        found.append(entry)
    return found


@dataclass
class GateCase:
    id: str
    policy: str  # appended to ENVIRONMENTS
    v2: dict[str, Any]
    command: list[str]  # the write that must be refused
    message: str  # what the refusal says
    field: str  # the field the problem names
    line_has: str  # what the line it points at says
    prepare: list[list[str]] = field(default_factory=list)  # writes that must pass first


PROMOTE = ["promote", "majora@v2"]
PROMOTED_GATE = 'gates:\n  - stage: promoted\n    models: ["majora*"]\n'

GATE_CASES = [
    GateCase(
        "metrics",
        "gates:\n  - stage: production\n    models: [majora]\n    metrics:\n      f1_score: {min: 0.80}\n",
        good_v2(evaluation_metrics={"accuracy": 0.91, "f1_score": 0.79}),
        ["deploy", "majora@v2", "--env", "production"],
        "majora@v2: f1_score 0.79 is below the production gate 0.80 (afsreg.yaml:",
        "evaluation_metrics.f1_score",
        "f1_score: 0.79",
        prepare=[PROMOTE, ["deploy", "majora@v2", "--env", "staging"]],
    ),
    GateCase(
        "no_regression",
        PROMOTED_GATE + "    no_regression: {metrics: [f1_score], tolerance: 0.01}\n",
        good_v2(evaluation_metrics={"accuracy": 0.91, "f1_score": 0.82}),
        PROMOTE,
        "majora@v2: f1_score 0.82 regressed from 0.84 (majora@v1, the version it replaces) by 0.02",
        "evaluation_metrics.f1_score",
        "f1_score: 0.82",
    ),
    GateCase(
        "required_fields",
        PROMOTED_GATE + "    required_fields: [training.completed_at]\n",
        good_v2(training={"trained_by": "alice"}),
        PROMOTE,
        "majora@v2: training.completed_at is empty; the promotion gate requires it",
        "training.completed_at",
        "training:",
    ),
    GateCase(
        "no_open_review",
        PROMOTED_GATE + "    no_open_review: true\n",
        good_v2(review=[{"field": "parameter_count", "reason": "from the model card, unchecked"}]),
        PROMOTE,
        "majora@v2: 1 open review flag(s) (parameter_count); the promotion gate requires none",
        "review",
        "review:",
    ),
    GateCase(
        "require_evaluation_dataset",
        PROMOTED_GATE + "    require_evaluation_dataset: true\n",
        good_v2(
            evaluation_dataset=None,
            review=[{"field": "evaluation_dataset", "reason": "not recorded by the run"}],
        ),
        PROMOTE,
        "majora@v2: no evaluation dataset; the promotion gate requires",
        "evaluation_dataset",
        "evaluation_dataset: null",
    ),
    GateCase(
        "require_code_pin",
        PROMOTED_GATE + "    require_code_pin: true\n",
        good_v2(code={"repo_url": "https://github.com/example/train"}),
        PROMOTE,
        "majora@v2: no code pin (code.commit_sha); the promotion gate requires one",
        "code.commit_sha",
        "code:",
    ),
    GateCase(
        "promoted_inputs",
        PROMOTED_GATE + "    promoted_inputs: true\n",
        good_v2(
            lineage={
                "parent": "v1",
                "base_models": [{"model": "qwen-base@v1", "relation": "fine-tune"}],
            }
        ),
        PROMOTE,
        "majora@v2: base model qwen-base@v1 is candidate; the promotion gate requires it to be "
        "promoted first",
        "lineage.base_models[0].model",
        "model: qwen-base@v1",
    ),
    GateCase(
        "environment_name",
        "",
        good_v2(),
        ["deploy", "majora@v2", "--env", "prodution"],
        "majora@v2: 'prodution' is not an environment of this registry (staging, production); "
        "did you mean production?",
        "deployments[0].env",
        "env: prodution",
        prepare=[PROMOTE],
    ),
    GateCase(
        "environment_order",
        "",
        good_v2(),
        ["deploy", "majora@v2", "--env", "production"],
        "majora@v2: deployed to production without a deployment to staging before it",
        "deployments[0].env",
        "env: production",
        prepare=[PROMOTE],
    ),
]


def write_v2(reg: GitRegistry, doc: dict[str, Any]) -> Path:
    return reg.write_model("majora", "v2", **doc)
