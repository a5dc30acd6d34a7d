"""GitHub workflow commands and SARIF, from the real `afsreg validate`."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import GitRegistry, dump, model_doc, run_afsreg
from policy_cases import parse_annotations

from afsreg.problems import Problem
from afsreg.read.reporters import checkout_prefix, escape_data, escape_property, github_command


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_data("a: b, c") == "a: b, c"  # : and , only matter in properties
    assert escape_property("a: b, c%") == "a%3A b%2C c%25"
    problem = Problem("models/a,b/v1.yaml", 3, 5, "x", "line one\nline two: 100%")
    assert github_command(problem) == (
        "::error file=models/a%2Cb/v1.yaml,line=3,col=5,title=afsreg%3A x"
        "::line one%0Aline two: 100%25"
    )
    [parsed] = parse_annotations(github_command(problem))
    assert parsed["file"] == "models/a,b/v1.yaml" and parsed["message"] == problem.message


def test_paths_are_relative_to_the_checkout(tmp_path: Path) -> None:
    assert (
        checkout_prefix(tmp_path / "registry", {"GITHUB_WORKSPACE": str(tmp_path)}) == "registry/"
    )
    assert checkout_prefix(tmp_path, {"GITHUB_WORKSPACE": str(tmp_path)}) == ""
    assert checkout_prefix(tmp_path, {}) == ""


def _broken(git_registry: GitRegistry) -> tuple[int, str]:
    text = dump(model_doc("m", "v1")).replace("parameter_count: 1000", "parameter_count: lots")
    git_registry.write("models/m/v1.yaml", text)
    git_registry.write_model(
        "m", "v2", review=[{"field": "owner", "reason": "50%, unchecked\nask"}]
    )
    return text.splitlines().index("parameter_count: lots") + 1, text


def test_validate_format_github_annotates_the_line(git_registry: GitRegistry) -> None:
    line, _ = _broken(git_registry)
    result = run_afsreg(["validate", "--format", "github"], git_registry.root)
    assert result.returncode == 1
    annotations = parse_annotations(result.stdout)
    [error] = [a for a in annotations if a["kind"] == "error"]
    assert (error["file"], error["line"], error["col"]) == ("models/m/v1.yaml", str(line), "1")
    assert error["title"] == "afsreg: parameter_count"
    [warning] = [a for a in annotations if a["kind"] == "warning"]
    assert warning["message"] == "open review flag: 50%, unchecked\nask"
    assert len(result.stdout.splitlines()) == 2  # one line each: newlines are escaped


def test_validate_format_sarif(git_registry: GitRegistry) -> None:
    line, _ = _broken(git_registry)
    result = run_afsreg(["validate", "--format", "sarif"], git_registry.root)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    levels = sorted(r["level"] for r in run["results"])
    assert levels == ["error", "warning"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]] == r["ruleId"]
    [error] = [r for r in run["results"] if r["level"] == "error"]
    location = error["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "models/m/v1.yaml"
    assert location["region"] == {"startLine": line, "startColumn": 1}
