"""Registry diff between two trees, and its markdown rendering for pull requests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest
from conftest import GitRegistry, git

from afsreg.checks.immutability import immutability_problems
from afsreg.errors import AfsregError
from afsreg.read.diff import (
    default_base,
    default_branch,
    diff_registries,
    render_markdown,
    table_rows,
)
from afsreg.registry import Registry


def _two_commits(g: GitRegistry) -> tuple[str, str]:
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.85, "f1_score": 0.82})
    g.write_model("majora", "v2", evaluation_metrics={"accuracy": 0.87})
    g.write_model("old", "v1")
    g.write_model("steady", "v1")
    base = g.commit("base")
    g.write_model(
        "majora",
        "v1",
        evaluation_metrics={"accuracy": 0.85, "f1_score": 0.8},
        promotion={"state": "superseded", "superseded_by": "v2"},
        status="deprecated",
    )
    g.write_model(
        "majora",
        "v2",
        evaluation_metrics={"accuracy": 0.9, "bleu": 0.31},
        promotion={"state": "promoted"},
        description="better",
    )
    g.write_model("majora", "v3", evaluation_metrics={"accuracy": 0.91})
    g.remove("models/old/v1.yaml")
    head = g.commit("promote v2")
    return base, head


def test_diff_reports_added_removed_promotion_lifecycle_metrics_and_other_fields(
    git_registry: GitRegistry,
) -> None:
    base, head = _two_commits(git_registry)
    diff = diff_registries(
        Registry.open(git_registry.root, rev=base), Registry.open(git_registry.root, rev=head)
    )
    by_ref = {v.ref: v for v in diff.versions}

    assert list(by_ref) == ["majora@v1", "majora@v2", "majora@v3", "old@v1"]
    assert [v.ref for v in diff.of("added")] == ["majora@v3"]
    assert [v.ref for v in diff.of("removed")] == ["old@v1"]

    v1 = by_ref["majora@v1"]
    assert v1.promotion == ("candidate", "superseded")
    assert v1.lifecycle == ("completed", "deprecated")
    (f1,) = v1.metrics
    assert (f1.metric, f1.old, f1.new) == ("f1_score", 0.82, 0.8)
    assert f1.delta == pytest.approx(-0.02)
    assert [c.field for c in v1.other] == ["promotion.superseded_by"]

    v2 = by_ref["majora@v2"]
    assert v2.promotion == ("candidate", "promoted") and v2.lifecycle is None
    assert [(m.metric, m.delta is not None) for m in v2.metrics] == [
        ("accuracy", True),
        ("bleu", False),
    ]
    assert v2.metrics[0].delta == pytest.approx(0.03)
    assert [str(c) for c in v2.other] == ["description: (absent) -> better"]

    v3 = by_ref["majora@v3"]
    assert v3.promotion == (None, "candidate") and [m.metric for m in v3.metrics] == ["accuracy"]

    data = diff.as_dict()
    assert data["summary"] == {"added": 1, "removed": 1, "changed": 2}
    assert data["versions"][0]["metrics"][0]["delta"] == pytest.approx(-0.02)


def test_markdown_is_a_ready_to_post_comment(git_registry: GitRegistry) -> None:
    base, head = _two_commits(git_registry)
    base_registry = Registry.open(git_registry.root, rev=base)
    head_registry = Registry.open(git_registry.root, rev=head)
    diff = diff_registries(base_registry, head_registry, base_label="main", head_label="feature")
    diff.problems = immutability_problems(base_registry, head_registry)
    text = render_markdown(diff)

    assert text.startswith("### Registry changes: `main` → `feature`\n")
    assert "**1 added, 2 changed, 1 removed**" in text
    assert "| `majora@v2` | changed | candidate -> promoted |  |" in text
    assert "| `majora@v1` | changed | candidate -> superseded | completed -> deprecated |" in text
    assert "| accuracy | `0.87` | `0.9` | +0.03 |" in text
    assert "| bleu | — | `0.31` |  |" in text
    assert "| `description` | — | `better` |" in text
    assert "Released versions changed" not in text  # nothing was released in base


def test_markdown_flags_changes_to_released_versions(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1", promotion={"state": "promoted"})
    base = g.commit("base")
    g.write_model(
        "majora", "v1", promotion={"state": "promoted"}, training_data=[{"name": "other"}]
    )
    base_registry, head_registry = Registry.open(g.root, rev=base), Registry.open(g.root)
    diff = diff_registries(base_registry, head_registry)
    diff.problems = immutability_problems(base_registry, head_registry)
    text = render_markdown(diff)
    assert "#### :warning: Released versions changed" in text
    assert "`models/majora/v1.yaml:" in text and "training_data" in text


def test_no_changes(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("base")
    registry = Registry.open(g.root)
    diff = diff_registries(registry, Registry.open(g.root, rev="HEAD"))
    assert diff.versions == []
    assert "No model versions changed." in render_markdown(diff)
    assert table_rows(diff) == []


def test_markdown_escapes_pipes(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    base = g.commit("base")
    g.write_model("majora", "v1", description="a | b")
    diff = diff_registries(Registry.open(g.root, rev=base), Registry.open(g.root))
    assert "`a \\| b`" in render_markdown(diff)


def test_default_base_is_the_merge_base_with_main(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    fork = g.commit("base")
    g.git("checkout", "-q", "-b", "feature")
    g.write_model("majora", "v2")
    g.commit("feature work")
    g.git("checkout", "-q", "main")
    g.write_model("other", "v1")
    g.commit("main moves on")
    g.git("checkout", "-q", "feature")
    repo = pygit2.Repository(str(g.root))
    assert default_branch(repo) == "main"
    assert default_base(repo) == fork


def test_default_branch_follows_origin_head(git_registry: GitRegistry, tmp_path: Path) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("base")
    g.git("branch", "-m", "main", "trunk")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(g.root), str(clone))
    git(clone, "checkout", "-q", "-b", "feature")
    assert default_branch(pygit2.Repository(str(clone))) == "origin/trunk"


def test_default_base_without_a_default_branch_is_a_clear_error(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("base")
    g.git("branch", "-m", "main", "trunk")
    with pytest.raises(AfsregError, match="pass BASE"):
        default_base(pygit2.Repository(str(g.root)))


def test_default_base_in_a_shallow_clone_says_so(git_registry: GitRegistry, tmp_path: Path) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("base")
    g.write_model("majora", "v2")
    g.commit("more")
    clone = tmp_path / "shallow"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        f"file://{g.root}",
        str(clone),
    )
    git(clone, "checkout", "-q", "--orphan", "unrelated")
    subprocess.run(
        ["git", "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-m", "orphan"],
        cwd=clone,
        check=True,
    )
    with pytest.raises(AfsregError, match="shallow clone"):
        default_base(pygit2.Repository(str(clone)))
