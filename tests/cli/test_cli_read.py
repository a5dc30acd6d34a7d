"""The read commands, run as the real console script on real repositories."""

import json
from pathlib import Path

import yaml
from conftest import REPO_ROOT, GitRegistry, run_afsreg

REPO = REPO_ROOT


def seeded(git_registry: GitRegistry) -> GitRegistry:
    git_registry.write_model(
        "m", "v1", evaluation_metrics={"accuracy": 0.8, "rouge": {"rouge1": 0.4}}
    )
    git_registry.write_model(
        "m",
        "v2",
        lineage={"parent": "v1"},
        promotion={"state": "promoted"},
        evaluation_metrics={"accuracy": 0.9, "rouge": {"rouge1": 0.5}},
    )
    git_registry.commit("two versions")
    return git_registry


def test_validate_ok_and_failing(git_registry: GitRegistry) -> None:
    seeded(git_registry)
    ok = run_afsreg(["validate"], git_registry.root)
    assert ok.returncode == 0 and "ok: 0 error(s)" in ok.stdout
    git_registry.write("models/m/v3.yaml", "name: m\nversion: v3\nname: again\n")
    bad = run_afsreg(["validate"], git_registry.root)
    assert bad.returncode == 1
    assert "models/m/v3.yaml:3:1: name: duplicate key 'name' (first at line 1)" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout


def test_validate_json(git_registry: GitRegistry) -> None:
    seeded(git_registry)
    git_registry.write_model("m", "v3", status="nope")
    result = run_afsreg(["validate", "--format", "json"], git_registry.root)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["errors"] == 1
    [problem] = report["problems"]
    assert (
        problem["path"] == "models/m/v3.yaml"
        and problem["field"] == "status"
        and problem["line"] > 1
    )


def test_validate_paths_reports_those_files_and_cross_file_problems(
    git_registry: GitRegistry,
) -> None:
    seeded(git_registry)
    git_registry.write_model("old", "v1", status="broken")  # a problem in a file not passed
    git_registry.write_model("m", "v3", promotion={"state": "promoted"})
    result = run_afsreg(["validate", "models/m/v3.yaml"], git_registry.root)
    assert result.returncode == 1
    assert "old/v1.yaml" not in result.stderr
    assert "models/m/v3.yaml" in result.stderr and "models/m/v2.yaml" in result.stderr


def test_list_versions_show_compare(git_registry: GitRegistry) -> None:
    seeded(git_registry)
    listing = json.loads(run_afsreg(["list", "--format", "json"], git_registry.root).stdout)
    assert listing == [
        {
            "name": "m",
            "versions": 2,
            "latest": "v2",
            "promoted": "v2",
            "deployed": {},
            "framework": "pytorch",
            "state": "completed",
            "metrics": listing[0]["metrics"],
        }
    ]
    assert listing[0]["metrics"]["accuracy"] == 0.9  # of the latest version
    table = run_afsreg(["versions", "m"], git_registry.root).stdout
    assert table.splitlines()[2].split()[:3] == ["v1", "m", "v1"]
    shown = yaml.safe_load(run_afsreg(["show", "m@v2"], git_registry.root).stdout)
    assert shown["lineage"] == {"parent": "v1"} and shown["path"] == "models/m/v2.yaml"
    compared = json.loads(
        run_afsreg(["compare", "m@v1", "m@v2", "--format", "json"], git_registry.root).stdout
    )
    assert {"metric": "accuracy", "m@v1": 0.8, "m@v2": 0.9, "delta": 0.1} in compared["metrics"]
    assert {"metric": "rouge.rouge1", "m@v1": 0.4, "m@v2": 0.5, "delta": 0.1} in compared["metrics"]
    assert any(f["field"] == "promotion.state" for f in compared["fields"])


def test_read_at_a_revision_and_from_another_directory(
    git_registry: GitRegistry, tmp_path: Path
) -> None:
    seeded(git_registry)
    git_registry.write_model("m", "v3")
    git_registry.commit("v3")
    at_head = json.loads(run_afsreg(["list", "--format", "json"], git_registry.root).stdout)
    before = json.loads(
        run_afsreg(
            ["list", "--format", "json", "--rev", "HEAD~1", "--root", str(git_registry.root)],
            tmp_path,
        ).stdout
    )
    assert at_head[0]["versions"] == 3 and before[0]["versions"] == 2
    nested = git_registry.root / "models" / "m"
    assert json.loads(run_afsreg(["list", "--format", "json"], nested).stdout) == at_head


def test_errors_are_messages_not_tracebacks(git_registry: GitRegistry, tmp_path: Path) -> None:
    seeded(git_registry)
    for args, expected in [
        (["show", "m@v9"], "m@v9 is not in the registry"),
        (["show", "nonsense"], "expected NAME@VERSION"),
        (["versions", "zzz"], "no model named 'zzz'"),
        (["list", "--rev", "does-not-exist"], "no such revision"),
    ]:
        result = run_afsreg(args, git_registry.root)
        assert result.returncode == 1, args
        assert expected in result.stderr and "Traceback" not in result.stderr
    outside = run_afsreg(["list"], tmp_path)
    assert outside.returncode == 1 and "not inside a registry" in outside.stderr


def test_terminal_control_characters_from_files_are_escaped(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", title="evil \x1b[2J\x1b[31mred")
    result = run_afsreg(["versions", "m"], git_registry.root)
    assert "\x1b" not in result.stdout and "\\x1b[2J" in result.stdout


def test_review_lists_open_flags() -> None:
    rows = json.loads(run_afsreg(["review", "--format", "json"], REPO).stdout)
    assert len(rows) == 73
    assert any(r["version"] == "majora@v2" and r["field"] == "parameter_count" for r in rows)
    assert all(r["reason"] for r in rows)


def test_init_creates_a_registry_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "new-registry"
    created = run_afsreg(["init", str(target)], tmp_path)
    assert created.returncode == 0, created.stderr
    assert (target / ".git").is_dir() and (target / "models").is_dir()
    assert ".afsreg/" in (target / ".gitignore").read_text()
    assert "afsreg validate" in (target / ".pre-commit-config.yaml").read_text()
    result = run_afsreg(["validate"], target)
    assert (
        result.returncode == 0 and "ok: 0 error(s), 0 warning(s) in 0 version(s)" in result.stdout
    )
    again = run_afsreg(["init", str(target)], tmp_path)
    assert "nothing to do" in again.stdout
