"""afsreg.yaml: strict loading, its schema, located errors, the example `afsreg init` writes."""

from __future__ import annotations

import re

import pytest
from conftest import GitRegistry, run_afsreg

from afsreg.format.policy import EXAMPLE, PROMOTED, load_policy


def test_the_example_is_inert_until_uncommented() -> None:
    policy, problems = load_policy(EXAMPLE.encode())
    assert problems == [] and policy is not None
    assert policy.environments is None and policy.gates == () and policy.owners == ()
    # Uncommented, every rule in it is a valid policy.
    rule_line = re.compile(r'^# (\s*- |\s*"?[a-z_][a-z0-9_*-]*"?:( |$))')
    uncommented = "\n".join(
        line[2:] if rule_line.match(line) else line for line in EXAMPLE.splitlines()
    )
    policy, problems = load_policy(uncommented.encode())
    assert problems == [], [str(p) for p in problems]
    assert policy is not None
    assert policy.environments == {"staging": (), "production": ("staging",)}
    assert [g.stage for g in policy.gates] == [PROMOTED, "production"]
    assert policy.gates[0].require_code_pin and policy.gates[0].no_open_review
    assert policy.owners_of("bio-ode") == ("@my-org/biology",)
    assert policy.suggest_environment("prodution") == "production"
    assert policy.suggest_environment("qa") is None


BAD = [
    (
        "policy_version: 1\ngates:\n  - stage: promoted\n    metrics:\n      f1_score: {min: high}\n",
        "afsreg.yaml:5:18: gates[0].metrics.f1_score.min: expected number",
    ),
    (
        "policy_version: 1\ngates:\n  - models: [m]\n",
        "afsreg.yaml:3:5: gates[0].stage: required field is missing",
    ),
    ("policy_version: 1\nenvironment: {}\n", "afsreg.yaml:2:1: environment:"),
    ("policy_version: 2\n", "afsreg.yaml:1:1: policy_version: must be 1 (got 2)"),
    ("policy_version: 1\npolicy_version: 1\n", "afsreg.yaml:2:1: policy_version: duplicate key"),
    (
        "policy_version: 1\nowners: {m: [not a handle]}\n",
        "afsreg.yaml:2:14: owners.m[0]: must match",
    ),
    (
        "policy_version: 1\nenvironments:\n  production: {requires: [staging]}\n",
        "afsreg.yaml:3:27: environments.production.requires[0]: 'staging' is not one of the",
    ),
    (
        "policy_version: 1\nenvironments:\n  a: {requires: [b]}\n  b: {requires: [a]}\n",
        "the order has a cycle through a, b",
    ),
    (
        "policy_version: 1\nenvironments: {staging: {}}\ngates:\n  - stage: prod\n",
        "afsreg.yaml:4:5: gates[0].stage: 'prod' is neither 'promoted' nor one of the environments",
    ),
    ("policy_version: !!python/object:os.system 1\n", "afsreg.yaml:1:17: policy_version: tag"),
    ("", "afsreg.yaml:1:1: (file): the policy file is empty"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[b[1][:40] for b in BAD])
def test_bad_policies_are_located(text: str, expected: str) -> None:
    policy, problems = load_policy(text.encode())
    assert policy is None
    assert any(expected in str(p) for p in problems), [str(p) for p in problems]


def test_init_writes_the_example_and_a_broken_policy_fails_validate(
    git_registry: GitRegistry,
) -> None:
    created = run_afsreg(["init", "fresh"], git_registry.root)
    assert created.returncode == 0, created.stderr
    fresh = git_registry.root / "fresh"
    assert (fresh / "afsreg.yaml").read_text() == EXAMPLE
    ok = run_afsreg(["validate"], fresh)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    (fresh / "afsreg.yaml").write_text(
        "policy_version: 1\ngates:\n  - stage: promoted\n    oops: 1\n"
    )
    bad = run_afsreg(["validate"], fresh)
    assert bad.returncode == 1
    assert "afsreg.yaml:4:5: gates[0].oops: unknown field" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_no_policy_file_behaves_as_before(git_registry: GitRegistry) -> None:
    git_registry.write_model(
        "m", "v1", promotion={"state": "promoted"}, review=[{"field": "owner", "reason": "?"}]
    )
    result = run_afsreg(["validate"], git_registry.root)
    assert result.returncode == 0, result.stderr
    refused = run_afsreg(["check-policy", "m@v1"], git_registry.root)
    assert refused.returncode == 1 and "no afsreg.yaml" in refused.stderr
