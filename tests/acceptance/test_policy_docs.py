"""docs/workflows.md's policy section: its example is a valid policy, and it names every key."""

from __future__ import annotations

import json
import re

import yaml
from conftest import REPO_ROOT

from afsreg.format.policy import load_policy

DOC = (REPO_ROOT / "docs" / "workflows.md").read_text()


def _policy_example() -> str:
    section = DOC[DOC.index("### The policy file") :]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_documented_policy_is_valid() -> None:
    policy, problems = load_policy(_policy_example().encode())
    assert problems == [] and policy is not None
    assert [g.stage for g in policy.gates] == ["promoted", "production"]


def test_every_policy_key_is_documented() -> None:
    schema = json.loads((REPO_ROOT / "schemas" / "policy.schema.json").read_text())
    for key in schema["properties"]:
        assert f"`{key}`" in DOC, key
    for key in schema["definitions"]["gate"]["properties"]:
        assert f"`gates[].{key}`" in DOC, key


def test_the_workflow_example_uses_the_action_with_its_inputs() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    section = DOC[DOC.index("### The GitHub Action") :]
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))  # type: ignore[union-attr]
    steps = workflow["jobs"]["review"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert set(steps[1]["with"]) <= set(action["inputs"])
