"""resolve, deployments and search over a generated history of deployments and rollbacks.

The history (tests/history_builder.py) commits each change at the time it
records, so "as of a time" can be checked three ways: from git (the commit
as of T), from the files' own deployment records, and against what the
files said at each commit.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from conftest import GitRegistry, run_afsreg
from history_builder import ENVS, MODELS, History, build_history, deployed_per_files, files_at

from afsreg.format.refs import VersionRef
from afsreg.read import deployments
from afsreg.read.resolve import resolve
from afsreg.read.search import search
from afsreg.registry import Registry


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    repo = GitRegistry(tmp_path_factory.mktemp("answers") / "registry")
    built = build_history(repo, seed=13, steps=40)
    assert any(c[1] for c in built.commits)
    return built


def test_the_history_has_rollbacks_and_several_environments(history: History) -> None:
    subjects = history.repo.git("log", "--format=%s").splitlines()
    assert any("rollback" in s for s in subjects)
    assert any("to staging" in s for s in subjects)


def test_as_of_every_commit_matches_what_the_files_said(history: History) -> None:
    head = Registry.open(history.repo.root, rev="HEAD")
    records = deployments.history(head)
    for commit, when in history.commits:
        docs = files_at(history.repo, commit)
        at_commit = Registry.open(history.repo.root, at=commit)
        at_time = Registry.open(history.repo.root, at=when)
        assert at_time.commit_id == commit  # the commit as of its own time is itself
        for name in MODELS:
            for env in ENVS:
                expected = deployed_per_files(docs, name, env)
                only_model = Registry.open_model(name, history.repo.root, at=commit)
                for registry in (at_commit, at_time, only_model):
                    found = registry.find(VersionRef(name, "env", env))
                    assert (found.version if found else None) == expected, (commit, name, env)
                # The records' own timestamps (what SQL's WHERE reads) say the same.
                by_records = [
                    d.version
                    for d in deployments.active_at(records, when)
                    if d.model == name and d.env == env
                ]
                assert by_records == ([expected] if expected else []), (when, name, env)


def _ok(args: list[str], history: History) -> Any:
    result = run_afsreg(args, history.repo.root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_resolve_cli_as_of_times_and_commits(history: History) -> None:
    sample = history.commits[:: max(1, len(history.commits) // 6)]
    for commit, when in sample:
        docs = files_at(history.repo, commit)
        expected = deployed_per_files(docs, "majora", "production")
        for at in (commit, when):
            result = run_afsreg(
                ["resolve", "majora@production", "--at", at, "--format", "json"], history.repo.root
            )
            if expected is None:
                assert result.returncode == 1
                known = any(d["name"] == "majora" for d in docs)
                reason = "no version of majora is deployed in production" if known else "no model"
                assert reason in result.stderr
                assert commit[:10] in result.stderr  # says when
                assert "Traceback" not in result.stderr
            else:
                data = json.loads(result.stdout)
                assert data["version"] == expected
                assert data["read_at"]["commit"] == commit
                assert data["artifact_id"] == f"majora@{expected}"


def test_resolve_before_the_first_commit_is_a_clear_error(history: History) -> None:
    result = run_afsreg(["resolve", "majora@latest", "--at", "2020-01-01"], history.repo.root)
    assert result.returncode == 1
    assert "no commit at or before 2020-01-01T00:00:00Z" in result.stderr


def test_deployments_cli_agrees_with_the_library(history: History) -> None:
    data = _ok(["deployments", "--format", "json"], history)
    registry = Registry.open(history.repo.root)
    past = deployments.attach_commits(registry, deployments.history(registry))
    assert data["history"] == [d.as_dict() for d in past]
    assert [(d["model"], d["env"], d["version"]) for d in data["active"]] == sorted(
        (d.model, d.env, d.version) for d in past if d.active
    )
    commit_times = dict(history.commits)
    for record in data["history"]:
        # Each change was committed at the time it records.
        assert commit_times[record["deployed_commit"]["commit"]] == record["deployed_at"]
        if record["undeployed_at"]:
            assert commit_times[record["undeployed_commit"]["commit"]] == record["undeployed_at"]
    only = _ok(["deployments", "majora", "--env", "staging", "--format", "json"], history)
    assert {(d["model"], d["env"]) for d in only["history"]} <= {("majora", "staging")}


def test_search_cli_agrees_with_the_library(history: History) -> None:
    expr = "promotion IN ('promoted', 'superseded') AND metrics.accuracy > 0.7"
    data = _ok(
        ["search", expr, "--order-by", "metrics.accuracy desc", "--limit", "3", "--format", "json"],
        history,
    )
    found = search(Registry.open(history.repo.root), expr, "metrics.accuracy desc", 3)
    assert [r["ref"] for r in data["versions"]] == [v.ref_text for v in found]
    scores = [r["metrics"]["accuracy"] for r in data["versions"]]
    assert scores == sorted(scores, reverse=True)
    assert all(r["fields"]["metrics.accuracy"] > 0.7 for r in data["versions"])


def test_search_at_an_old_revision_needs_no_database(history: History) -> None:
    first_commit = history.commits[0][0]
    data = _ok(["search", "name = 'coder'", "--rev", first_commit, "--format", "json"], history)
    assert [r["ref"] for r in data["versions"]] == ["coder@v1"]
    assert not (history.repo.root / ".afsreg").exists()


def test_search_syntax_error_exits_1_pointing_at_the_column(history: History) -> None:
    result = run_afsreg(["search", "metrics.accuracy >> 1"], history.repo.root)
    assert result.returncode == 1
    assert "column 19" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_mistyped_field_is_warned_about(history: History) -> None:
    result = run_afsreg(["search", "metrics.acuracy > 0.5"], history.repo.root)
    assert result.returncode == 0
    assert "did you mean metrics.accuracy" in result.stderr


def test_references_work_in_every_read_command(history: History) -> None:
    registry = Registry.open(history.repo.root)
    latest = registry.latest("majora")
    assert latest is not None
    for ref in ("majora@latest", "models:/majora/latest"):
        shown = _ok(["show", ref, "--format", "json"], history)
        assert shown["version"] == latest.version
    uri = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=history.repo.root, capture_output=True, text=True
    ).stdout.strip()
    resolved = _ok(["resolve", "models:/majora/1", "--format", "json", "--rev", uri], history)
    assert resolved["version"] == "v1"
    assert (
        resolve(registry, "majora@v1.0.0").version.version == "v1"
    )  # one version, three spellings
