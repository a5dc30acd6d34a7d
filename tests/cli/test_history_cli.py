"""The history commands end to end: log, blame, lineage, tree, graph, diff on a real repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import GitRegistry, git

from afsreg.cli import cli

BOB = "Bob Builder <bob@example.com>"
CAROL = "Carol Reviewer <carol@example.com>"


def run(root: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, [*args, "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def majora(git_registry: GitRegistry) -> GitRegistry:
    g = git_registry
    qwen = {"external": "Qwen/Qwen2.5-Coder-7B", "source": "huggingface", "relation": "fine-tune"}
    g.write_model(
        "majora", "v1", evaluation_metrics={"accuracy": 0.85}, lineage={"base_models": [qwen]}
    )
    g.commit("register majora v1")
    g.write_model(
        "majora",
        "v1",
        evaluation_metrics={"accuracy": 0.85},
        lineage={"base_models": [qwen]},
        promotion={"state": "promoted"},
        code={"commit_sha": "abc123def456"},
    )
    g.commit("promote majora v1", author=CAROL)
    g.git("checkout", "-q", "-b", "v2-training")
    g.write_model(
        "majora",
        "v2",
        evaluation_metrics={"accuracy": 0.85},
        training_data=[{"name": "train-set", "samples": 100}, {"name": "extra"}],
        lineage={"parent": "v1", "base_models": [{"model": "majora@v1", "relation": "fine-tune"}]},
    )
    g.commit("train majora v2", author=BOB)
    g.write_model(
        "majora",
        "v2",
        evaluation_metrics={"accuracy": 0.87},
        training_data=[{"name": "train-set", "samples": 100}, {"name": "extra"}],
        lineage={"parent": "v1", "base_models": [{"model": "majora@v1", "relation": "fine-tune"}]},
    )
    g.commit("evaluate majora v2", author=BOB)
    g.git("checkout", "-q", "main")
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "--no-edit", "v2-training"], cwd=g.root, check=True
    )
    return g


def test_log_of_a_version_shows_authors_messages_and_field_changes(majora: GitRegistry) -> None:
    out = run(majora.root, "log", "majora@v2")
    assert out.index("evaluate majora v2") < out.index("train majora v2")
    assert "Bob Builder <bob@example.com>" in out
    assert "      evaluation_metrics.accuracy: 0.85 -> 0.87" in out
    assert "models/majora/v2.yaml: added" in out

    out = run(majora.root, "log", "majora@v1")
    assert "      promotion.state: candidate -> promoted" in out
    assert "      code.commit_sha: (absent) -> abc123def456" in out


def test_log_of_a_model_in_json_and_yaml(majora: GitRegistry) -> None:
    data = json.loads(run(majora.root, "log", "majora", "--format", "json"))
    assert data["truncated"] is False
    assert [c["message"] for c in data["commits"]] == [
        "evaluate majora v2",
        "train majora v2",
        "promote majora v1",
        "register majora v1",
    ]
    assert data["commits"][0]["changes"] == [
        {"field": "evaluation_metrics.accuracy", "kind": "changed", "old": 0.85, "new": 0.87}
    ]
    assert data["commits"][2]["author"] == "Carol Reviewer"
    assert yaml.safe_load(run(majora.root, "log", "majora@v1", "--format", "yaml", "-n", "1"))[
        "commits"
    ][0]["message"] == ("promote majora v1")


def test_log_errors_are_clear(majora: GitRegistry) -> None:
    assert "majora@v9" in run(majora.root, "log", "majora@v9", code=1)
    assert "expected NAME@VERSION" in run(majora.root, "blame", "majora", code=1)
    assert "no-such-rev" in run(majora.root, "log", "majora", "--rev", "no-such-rev", code=1)


def test_blame_in_table_and_json(majora: GitRegistry) -> None:
    out = run(majora.root, "blame", "majora@v2")
    line = next(line for line in out.splitlines() if line.startswith("evaluation_metrics.accuracy"))
    assert "0.87" in line and "Bob Builder" in line and "evaluate majora v2" in line
    data = json.loads(run(majora.root, "blame", "majora@v1", "--format", "json"))
    fields = {f["field"]: f for f in data["fields"]}
    assert fields["promotion.state"]["author"] == "Carol Reviewer"
    assert fields["name"]["message"] == "register majora v1"


def test_log_on_a_shallow_clone_says_it_is_truncated(majora: GitRegistry, tmp_path: Path) -> None:
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{majora.root}", str(clone))
    result = CliRunner().invoke(cli, ["log", "majora@v2", "--root", str(clone)])
    assert result.exit_code == 0, result.output
    assert "shallow clone" in result.output
    assert json.loads(run(clone, "log", "majora", "--format", "json"))["truncated"] is True


def test_lineage_table_and_json(majora: GitRegistry) -> None:
    out = run(majora.root, "lineage", "majora@v2", "--up")
    assert "Ancestors of majora@v2" in out and "Descendants" not in out
    assert "huggingface:Qwen/Qwen2.5-Coder-7B" in out
    row = next(line for line in out.splitlines() if line.startswith("1 "))
    assert "majora@v1" in row and "promoted" in row and "abc123def456" in row

    data = json.loads(run(majora.root, "lineage", "majora@v1", "--down", "--format", "json"))
    assert "ancestors" not in data
    (step,) = data["descendants"]
    assert step["ref"] == "majora@v2" and step["training_data_added"] == ["extra"]
    both = json.loads(run(majora.root, "lineage", "majora@v1", "--format", "json"))
    assert set(both) == {"target", "ancestors", "descendants"}
    assert "majora@v7" in run(majora.root, "lineage", "majora@v7", code=1)


def test_tree(majora: GitRegistry) -> None:
    out = run(majora.root, "tree", "majora")
    assert out.splitlines() == [
        "majora",
        "v1  [promoted, completed]",
        "└─ v2  [candidate, completed]",
    ]
    data = json.loads(run(majora.root, "tree", "majora", "--format", "json"))
    assert [(v["version"], v["parent"]) for v in data["versions"]] == [
        ("v1", None),
        ("v2", "majora@v1"),
    ]
    assert "nope" in run(majora.root, "tree", "nope", code=1)


def test_graph_formats(majora: GitRegistry) -> None:
    mermaid = run(majora.root, "graph", "majora", "--format", "mermaid")
    assert mermaid.startswith("flowchart LR\n") and "-->|fine-tune|" in mermaid
    dot = run(majora.root, "graph", "--format", "dot")
    assert '"majora@v1" -> "majora@v2" [label="fine-tune"];' in dot
    data = json.loads(run(majora.root, "graph", "--format", "json"))
    assert {
        "parent": "majora@v1",
        "child": "majora@v2",
        "pointers": ["parent", "base_model"],
        "relation": "fine-tune",
    } in data["edges"]


def test_diff_defaults_to_merge_base_against_the_working_tree(majora: GitRegistry) -> None:
    g = majora
    g.git("checkout", "-q", "-b", "promote-v2")
    g.write_model(
        "majora",
        "v2",
        evaluation_metrics={"accuracy": 0.87},
        training_data=[{"name": "train-set", "samples": 100}, {"name": "extra"}],
        lineage={"parent": "v1", "base_models": [{"model": "majora@v1", "relation": "fine-tune"}]},
        promotion={"state": "promoted"},
    )
    out = run(g.root, "diff")
    assert "working tree" in out and "majora@v2" in out and "candidate -> promoted" in out

    data = json.loads(run(g.root, "diff", "main", "--format", "json"))
    assert data["base"] == "main" and data["head"] == "working tree"
    assert data["versions"][0]["promotion"] == ["candidate", "promoted"]

    md = run(g.root, "diff", "--format", "markdown")
    assert md.startswith("### Registry changes:")
    assert "| `majora@v2` | changed | candidate -> promoted |  |" in md


def test_diff_between_two_revisions(majora: GitRegistry) -> None:
    out = run(majora.root, "diff", "main~1", "main", "--format", "json")
    data = json.loads(out)
    assert data["summary"] == {"added": 1, "removed": 0, "changed": 0}
    assert data["versions"][0]["ref"] == "majora@v2"


def test_diff_shows_released_version_violations(majora: GitRegistry) -> None:
    g = majora
    g.write_model(
        "majora", "v1", evaluation_metrics={"accuracy": 0.99}, promotion={"state": "promoted"}
    )
    result = CliRunner().invoke(cli, ["diff", "HEAD", "--root", str(g.root)])
    assert result.exit_code == 0
    assert "models/majora/v1.yaml:" in result.output and "is frozen" in result.output
    md = run(g.root, "diff", "HEAD", "--format", "markdown")
    assert "Released versions changed" in md
