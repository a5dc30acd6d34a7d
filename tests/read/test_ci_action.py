"""The composite action (action.yml): its afsreg step run as GitHub runs it, in a local repo.

GitHub itself cannot run here, so the step's `run:` script is taken from
action.yml, its `${{ inputs.* }}` replaced by the defaults, and run with bash
in the step's working directory with the GITHUB_* variables a pull_request
job has. The step's outputs are read back from $GITHUB_OUTPUT the way the
action's `outputs:` map them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import REPO_ROOT, GitRegistry
from policy_cases import (
    ENVIRONMENTS,
    good_v2,
    hook_commit,
    parse_annotations,
    policy_registry,
)
from policy_cases import github_env as pull_request_env

POLICY = ENVIRONMENTS + (
    "gates:\n  - stage: promoted\n    require_code_pin: true\n"
    "    no_regression: {metrics: [f1_score], tolerance: 0.01}\n"
)


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    return loaded


def _expand(text: str, inputs: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], text)


def run_afsreg_step(
    checkout: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "afsreg"]
    assert step["shell"] == "bash"
    workdir = checkout / _expand(step["working-directory"], inputs)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", _expand(step["run"], inputs)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    raw = dict(
        line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text().splitlines() if line
    )
    outputs = {}
    for name, spec in action["outputs"].items():
        match = re.fullmatch(r"\$\{\{\s*steps\.afsreg\.outputs\.([\w-]+)\s*\}\}", spec["value"])
        assert match, spec
        outputs[name] = raw.get(match.group(1), "")
    return result, outputs


def test_action_metadata_is_a_composite_that_calls_afsreg_ci() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert all("shell" in s for s in steps if "run" in s)  # composite steps must name a shell
    assert any(s.get("id") == "afsreg" and s["run"].strip() == "afsreg ci" for s in steps)


def test_the_action_on_a_failing_pull_request(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = policy_registry(git_registry, POLICY, afsreg_env)
    reg.write_model("majora", "v2", **good_v2(evaluation_metrics={"f1_score": 0.80}))
    assert hook_commit(reg, afsreg_env, "add majora v2").returncode == 0
    # A promotion that breaks the no-regression gate, committed past the hook.
    text = (reg.root / "models/majora/v2.yaml").read_text()
    reg.write("models/majora/v2.yaml", text.replace("state: candidate", "state: promoted"))
    v1 = (reg.root / "models/majora/v1.yaml").read_text()
    reg.write(
        "models/majora/v1.yaml",
        v1.replace("state: promoted", "state: superseded\n  superseded_by: v2"),
    )
    reg.git("commit", "-q", "--no-verify", "-am", "promote majora v2")

    env = {**afsreg_env, **pull_request_env(reg)}
    result, outputs = run_afsreg_step(reg.root, env)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [a for a in parse_annotations(result.stdout) if a["kind"] == "error"]
    [annotation] = errors
    line = (reg.root / "models/majora/v2.yaml").read_text().splitlines().index(
        "  f1_score: 0.8"
    ) + 1
    assert (annotation["file"], annotation["line"], annotation["col"]) == (
        "models/majora/v2.yaml",
        str(line),
        "3",
    )
    assert "f1_score 0.80 regressed from 0.84" in annotation["message"]
    assert outputs["errors"] == "1" and outputs["gate-failures"] == "1"
    summary = Path(outputs["summary-path"]).read_text()
    assert summary == Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("### Registry changes: `main` → `pr`")
    assert "- majora promoted: v1 -> v2" in summary
    assert ":x: **afsreg validate: 1 error(s)**" in summary


def test_the_action_on_a_passing_pull_request(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = policy_registry(git_registry, POLICY, afsreg_env)
    reg.write_model("majora", "v2", **good_v2())
    assert hook_commit(reg, afsreg_env, "add majora v2").returncode == 0
    env = {**afsreg_env, **pull_request_env(reg)}
    result, outputs = run_afsreg_step(reg.root, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs["errors"] == "0"
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "#### `majora@v2` (added, parent v1)" in summary
    assert "**Gates** (dry run: if promoted)" in summary
    assert ":white_check_mark: **afsreg validate passed**" in summary


def test_a_base_missing_from_a_shallow_clone_is_a_clear_error(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = policy_registry(git_registry, POLICY, afsreg_env)
    env = {**afsreg_env, **pull_request_env(reg)}
    event = Path(env["GITHUB_EVENT_PATH"])
    event.write_text(event.read_text().replace(reg.git("rev-parse", "main").strip(), "f" * 40))
    result, _ = run_afsreg_step(reg.root, env)
    assert result.returncode == 1
    assert "fetch-depth: 0" in result.stderr and "Traceback" not in result.stderr
