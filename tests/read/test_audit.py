"""Field-level audit trail and blame, read from real commits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest
from conftest import GitRegistry, git

from afsreg.errors import NotFoundError
from afsreg.format.fields import MISSING, FieldChange, field_changes, flatten
from afsreg.git.history import load_history
from afsreg.read.audit import blame, model_log, version_log

BOB = "Bob Builder <bob@example.com>"
CAROL = "Carol Reviewer <carol@example.com>"


def _open(g: GitRegistry | Path) -> tuple[pygit2.Repository, object]:
    root = g.root if isinstance(g, GitRegistry) else g
    repo = pygit2.Repository(str(root))
    return repo, load_history(repo)


def test_flatten_uses_dotted_paths_and_keeps_lists_whole() -> None:
    data = {"a": {"b": 1, "c": {"d": None}}, "e": [1, {"f": 2}], "g": {}}
    assert flatten(data) == {"a.b": 1, "a.c.d": None, "e": [1, {"f": 2}], "g": {}}


def test_field_changes_tell_added_removed_and_changed() -> None:
    old = {"evaluation_metrics": {"accuracy": 0.85, "f1": 0.8}, "promotion": {"state": "candidate"}}
    new = {
        "evaluation_metrics": {"accuracy": 0.87, "bleu": 0.3},
        "promotion": {"state": "promoted"},
    }
    changes = field_changes(old, new)
    assert [(c.field, c.kind) for c in changes] == [
        ("evaluation_metrics.accuracy", "changed"),
        ("evaluation_metrics.bleu", "added"),
        ("evaluation_metrics.f1", "removed"),
        ("promotion.state", "changed"),
    ]
    assert str(changes[0]) == "evaluation_metrics.accuracy: 0.85 -> 0.87"
    assert str(changes[3]) == "promotion.state: candidate -> promoted"
    assert changes[2].new is MISSING


def test_a_type_change_is_a_change() -> None:
    assert field_changes({"x": 1}, {"x": True}) == [FieldChange("x", 1, True)]
    assert field_changes({"x": 1}, {"x": 1}) == []


def test_version_log_lists_commits_newest_first_with_field_changes(
    git_registry: GitRegistry,
) -> None:
    g = git_registry
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.85})
    c1 = g.commit("register majora v1")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.87})
    c2 = g.commit("re-evaluate", author=BOB)
    g.write_model(
        "majora",
        "v1",
        evaluation_metrics={"accuracy": 0.87},
        promotion={"state": "promoted", "notes": "ship it"},
    )
    c3 = g.commit("promote majora v1\n\nApproved in review.", author=CAROL)
    repo, index = _open(g)

    entries = version_log(repo, index, "majora", "v1")

    assert [e.commit for e in entries] == [c3, c2, c1]
    assert [e.author for e in entries] == ["Carol Reviewer", "Bob Builder", "Alice Example"]
    assert entries[0].message == "promote majora v1\n\nApproved in review."
    assert entries[0].summary == "promote majora v1"
    assert [str(c) for c in entries[0].changes or []] == [
        "promotion.notes: (absent) -> ship it",
        "promotion.state: candidate -> promoted",
    ]
    assert [str(c) for c in entries[1].changes or []] == [
        "evaluation_metrics.accuracy: 0.85 -> 0.87"
    ]
    assert entries[2].status == "A" and entries[2].ref == "majora@v1"
    assert entries[0].as_dict()["status"] == "modified"


def test_model_log_covers_every_version_including_deleted_and_renamed(
    git_registry: GitRegistry,
) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.write_model("other", "v1")
    c1 = g.commit("add")
    g.write_model("majora", "v2")
    c2 = g.commit("add v2", author=BOB)
    g.git("mv", "models/majora/v2.yaml", "models/majora/v3.yaml")
    g.write_model("majora", "v3")
    c3 = g.commit("v2 is really v3")
    g.remove("models/majora/v1.yaml")
    c4 = g.commit("drop v1", author=CAROL)
    repo, index = _open(g)

    entries = model_log(repo, index, "majora")

    assert [(e.commit, e.ref, e.status) for e in entries] == [
        (c4, "majora@v1", "D"),
        (c3, "majora@v3", "R"),
        (c2, "majora@v2", "A"),
        (c1, "majora@v1", "A"),
    ]
    # The rename compares against the old path: only the version field changed.
    assert [str(c) for c in entries[1].changes or []] == [
        "title: majora v2 -> majora v3",
        "version: v2 -> v3",
    ]
    # The deleted version still has its audit trail.
    assert [e.commit for e in version_log(repo, index, "majora", "v1")] == [c4, c1]
    assert [e.commit for e in version_log(repo, index, "majora", "v3")] == [c3, c2]


def test_unparseable_commits_are_reported_not_fatal(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.5})
    g.commit("add")
    g.write("models/majora/v1.yaml", "name: [unclosed\n")
    g.commit("break it")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.6})
    g.commit("fix it")
    repo, index = _open(g)

    fixed, broken, added = version_log(repo, index, "majora", "v1")

    assert (
        broken.changes is None
        and broken.note
        and broken.note.startswith("unparseable at this commit")
    )
    assert fixed.note and fixed.note.startswith("unparseable before this commit")
    assert added.note is None


def test_merge_resolution_shows_only_fields_differing_from_every_parent(
    git_registry: GitRegistry,
) -> None:
    g = git_registry
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.5}, description="x")
    g.commit("base")
    g.git("checkout", "-q", "-b", "side")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.7}, description="x")
    g.commit("side", author=BOB)
    g.git("checkout", "-q", "main")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.6}, description="y")
    g.commit("main", author=CAROL)
    subprocess.run(
        ["git", "merge", "-q", "--no-edit", "side"], cwd=g.root, capture_output=True, check=False
    )
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.65}, description="y")
    merge = g.commit("merge: settle accuracy")
    repo, index = _open(g)

    entry = version_log(repo, index, "majora", "v1")[0]

    assert entry.commit == merge and entry.merge
    # description came from main unchanged: not a change the merge made.
    assert [str(c) for c in entry.changes or []] == ["evaluation_metrics.accuracy: 0.6 -> 0.65"]


def test_blame_names_the_commit_that_last_set_each_field(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.85, "f1_score": 0.8})
    c1 = g.commit("add")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.87, "f1_score": 0.8})
    c2 = g.commit("re-evaluate", author=BOB)
    g.write_model(
        "majora",
        "v1",
        evaluation_metrics={"accuracy": 0.87, "f1_score": 0.8},
        promotion={"state": "promoted"},
    )
    c3 = g.commit("promote", author=CAROL)
    g.write("README.md", "unrelated\n")
    g.commit("unrelated")
    repo, index = _open(g)

    by_field = {b.field: b for b in blame(repo, index, "majora", "v1")}

    assert (
        by_field["evaluation_metrics.accuracy"].commit,
        by_field["evaluation_metrics.accuracy"].author,
    ) == (
        c2,
        "Bob Builder",
    )
    assert by_field["evaluation_metrics.accuracy"].value == 0.87
    assert by_field["promotion.state"].commit == c3
    assert by_field["evaluation_metrics.f1_score"].commit == c1
    assert by_field["name"].commit == c1
    assert not any(b.truncated for b in by_field.values())


def test_blame_follows_renames(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v2", owner="alice")
    c1 = g.commit("add v2")
    g.git("mv", "models/majora/v2.yaml", "models/majora/v3.yaml")
    g.write_model("majora", "v3", owner="alice")
    c2 = g.commit("renumber", author=BOB)
    repo, index = _open(g)
    by_field = {b.field: b for b in blame(repo, index, "majora", "v3")}
    assert by_field["owner"].commit == c1
    assert by_field["version"].commit == c2


def test_blame_of_a_missing_version_is_not_found(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("add")
    repo, index = _open(g)
    with pytest.raises(NotFoundError, match="majora@v9"):
        blame(repo, index, "majora", "v9")
    with pytest.raises(NotFoundError, match="majora@v9"):
        version_log(repo, index, "majora", "v9")


def test_shallow_clone_says_history_is_truncated(git_registry: GitRegistry, tmp_path: Path) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("add")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.9})
    g.commit("tune", author=BOB)
    clone = tmp_path / "ci-checkout"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{g.root}", str(clone))
    repo, index = _open(clone)

    (entry,) = version_log(repo, index, "majora", "v1")
    assert entry.note and "shallow clone" in entry.note
    assert all(b.truncated for b in blame(repo, index, "majora", "v1"))
