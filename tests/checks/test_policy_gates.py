"""Every gate kind refused the same way in the three places a change can come from:
the write command (nothing written), the real pre-commit hook, and CI (`afsreg ci`
with GitHub's variables, annotations on the offending line)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import GitRegistry
from policy_cases import (
    ENVIRONMENTS,
    GATE_CASES,
    GateCase,
    afsreg,
    github_env,
    good_v2,
    hook_commit,
    parse_annotations,
    policy_registry,
    write_v2,
)

FULL_POLICY = (
    ENVIRONMENTS
    + """\
gates:
  - stage: promoted
    models: ["majora*"]
    require_evaluation_dataset: true
    require_code_pin: true
    no_open_review: true
    required_fields: [training.completed_at]
    promoted_inputs: true
    no_regression: {metrics: [f1_score, accuracy], tolerance: 0.01}
  - stage: production
    models: [majora]
    metrics:
      f1_score: {min: 0.80}
"""
)


def _status(reg: GitRegistry) -> str:
    return reg.git("status", "--porcelain")


def test_a_pull_request_that_passes_every_gate(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = policy_registry(git_registry, FULL_POLICY, afsreg_env)
    write_v2(reg, good_v2())
    assert hook_commit(reg, afsreg_env, "add majora v2").returncode == 0
    for args in (
        ["promote", "majora@v2", "--commit"],
        ["deploy", "majora@v2", "--env", "staging", "--commit"],
        ["deploy", "majora@v2", "--env", "production", "--commit"],
    ):
        result = afsreg(reg, afsreg_env, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    assert _status(reg) == ""
    assert len(reg.git("log", "--format=%s", "main..pr").splitlines()) == 4

    dry = afsreg(reg, afsreg_env, "check-policy", "majora@v2", "--format", "json")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    results = json.loads(dry.stdout)
    assert results and all(r["passed"] for r in results)
    assert {r["rule"] for r in results} >= {
        "metrics",
        "no_regression",
        "required_fields",
        "no_open_review",
        "require_evaluation_dataset",
        "require_code_pin",
        "promoted_inputs",
        "environments",
    }

    env = {**afsreg_env, **github_env(reg)}
    ci = afsreg(reg, env, "ci")
    assert ci.returncode == 0, ci.stdout + ci.stderr
    assert [a for a in parse_annotations(ci.stdout) if a["kind"] == "error"] == []
    outputs = dict(
        line.split("=", 1)
        for line in (reg.root.parent / "runner/output.txt").read_text().split("\n")
        if line
    )
    assert outputs["errors"] == "0" and outputs["gate-failures"] == "0"
    summary = (reg.root.parent / "runner/summary.md").read_text()
    assert "majora production: v1 -> v2" in summary
    assert "majora promoted: v1 -> v2" in summary


@pytest.mark.parametrize("case", GATE_CASES, ids=[c.id for c in GATE_CASES])
def test_each_gate_is_refused_by_the_write_the_hook_and_ci(
    case: GateCase, git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = policy_registry(git_registry, ENVIRONMENTS + case.policy, afsreg_env)
    write_v2(reg, case.v2)
    first = hook_commit(reg, afsreg_env, "add majora v2 (a candidate)")
    assert first.returncode == 0, first.stdout + first.stderr
    for args in case.prepare:
        result = afsreg(reg, afsreg_env, *args, "--commit")
        assert result.returncode == 0, result.stdout + result.stderr

    # 1. The write command refuses, naming the rule and the numbers; nothing is written.
    head = reg.git("rev-parse", "HEAD")
    refused = afsreg(reg, afsreg_env, *case.command)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert case.message in refused.stderr
    assert f": {case.field}: " in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _status(reg) == "" and reg.git("rev-parse", "HEAD") == head

    # 2. The same change made by hand (here: the command without the policy) is
    #    refused by the pre-commit hook.
    policy = reg.root / "afsreg.yaml"
    aside = reg.root.parent / "afsreg.yaml.aside"
    shutil.move(policy, aside)
    done = afsreg(reg, afsreg_env, *case.command)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.move(aside, policy)
    hooked = hook_commit(reg, afsreg_env, "sneak it in")
    assert hooked.returncode != 0
    assert case.message in hooked.stdout + hooked.stderr
    assert reg.git("rev-parse", "HEAD") == head

    # The same problem, located, from validate.
    report = json.loads(afsreg(reg, afsreg_env, "validate", "--format", "json").stdout)
    [problem] = [p for p in report["problems"] if case.message in p["message"]]
    assert problem["path"] == "models/majora/v2.yaml" and problem["field"] == case.field

    # 3. Committed without the hook, CI fails with an annotation on that line.
    reg.git("commit", "-q", "--no-verify", "-am", "committed with --no-verify")
    env = {**afsreg_env, **github_env(reg)}
    ci = afsreg(reg, env, "ci")
    assert ci.returncode == 1, ci.stdout + ci.stderr
    [annotation] = [a for a in parse_annotations(ci.stdout) if case.message in a["message"]]
    assert annotation["kind"] == "error"
    assert annotation["file"] == "models/majora/v2.yaml"
    assert (int(annotation["line"]), int(annotation["col"])) == (problem["line"], problem["col"])
    assert annotation["title"] == f"afsreg: {case.field}"
    lines = (reg.root / "models/majora/v2.yaml").read_text().splitlines()
    assert case.line_has in lines[problem["line"] - 1]
    outputs = (reg.root.parent / "runner/output.txt").read_text()
    assert "errors=0" not in outputs


def test_the_plain_git_hook_reads_the_staged_policy(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    """`afsreg install-hooks` checks the index: the policy as staged, not as on disk."""
    reg = policy_registry(git_registry, ENVIRONMENTS, afsreg_env)
    (reg.root / ".git/hooks/pre-commit").unlink()
    assert afsreg(reg, afsreg_env, "install-hooks").returncode == 0
    write_v2(reg, good_v2(code={"repo_url": "https://github.com/example/train"}))
    assert hook_commit(reg, afsreg_env, "add v2").returncode == 0
    strict = ENVIRONMENTS + "gates:\n  - stage: promoted\n    require_code_pin: true\n"
    reg.write("afsreg.yaml", strict)
    text = (reg.root / "models/majora/v2.yaml").read_text()
    reg.write("models/majora/v2.yaml", text.replace("state: candidate", "state: promoted"))
    v1 = (reg.root / "models/majora/v1.yaml").read_text()
    reg.write("models/majora/v1.yaml", v1.replace("state: promoted", "state: superseded"))
    refused = hook_commit(reg, afsreg_env, "promote v2 under the stricter policy")
    assert refused.returncode != 0
    assert "majora@v2: no code pin (code.commit_sha)" in refused.stderr + refused.stdout
    # The same files with the old policy staged pass: the staged policy is what counts.
    reg.git("reset", "-q")
    reg.write("afsreg.yaml", ENVIRONMENTS)
    reg.git("add", "models")
    reg.write("afsreg.yaml", strict)  # on disk only
    staged_only = subprocess.run(
        ["git", "commit", "-q", "-m", "promote v2"],
        cwd=reg.root,
        env=afsreg_env,
        capture_output=True,
        text=True,
    )
    assert staged_only.returncode == 0, staged_only.stdout + staged_only.stderr
