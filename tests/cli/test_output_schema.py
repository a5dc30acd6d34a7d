"""--format json output: objects not encoded strings, metrics carried, valid against the shipped schema."""

from __future__ import annotations

import json
import shutil
from typing import Any

import jsonschema
import pytest
from conftest import REPO_ROOT, GitRegistry, run_afsreg

from afsreg.format.schema import output_schema


@pytest.fixture
def majora(git_registry: GitRegistry) -> GitRegistry:
    shutil.copytree(REPO_ROOT / "models" / "majora", git_registry.path("models/majora"))
    git_registry.commit("majora v1 and v2")
    return git_registry


def output(repo: GitRegistry, *args: str) -> Any:
    result = run_afsreg([*args, "--format", "json"], repo.root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("list", ["list"]),
        ("versions", ["versions", "majora"]),
        ("show", ["show", "majora@production"]),
        ("resolve", ["resolve", "majora@production"]),
        ("resolve", ["resolve", "majora@latest", "--at", "HEAD"]),
        ("search", ["search", "metrics.accuracy > 0.5", "--order-by", "metrics.accuracy desc"]),
        ("deployments", ["deployments"]),
        ("deployments", ["deployments", "majora", "--at", "2030-01-01"]),
    ],
)
def test_output_is_valid_against_the_shipped_schema(
    majora: GitRegistry, command: str, args: list[str]
) -> None:
    data = output(majora, *args)
    validator = jsonschema.Draft202012Validator(output_schema(command))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_objects_not_encoded_strings(majora: GitRegistry) -> None:
    (row,) = output(majora, "list")
    assert row["deployed"] == {"production": "v1"}
    assert row["metrics"]["accuracy"] == 0.87  # of the latest version, v2
    versions = output(majora, "versions", "majora")
    assert versions[0]["metrics"]["accuracy"] == 0.85
    assert versions[0]["deployed"] == ["production"]


def test_an_unknown_command_schema_is_refused() -> None:
    with pytest.raises(KeyError):
        output_schema("nope")
