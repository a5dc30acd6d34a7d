"""The history index on real repositories: authors, branches, merges, renames, shallow and rewritten history."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pygit2
import pytest
from conftest import GitRegistry, dump, git, model_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afsreg.errors import AfsregError
from afsreg.git import history
from afsreg.git.history import load_history, parse_log
from afsreg.git.store import cache_file

BOB = "Bob Builder <bob@example.com>"
CAROL = "Carol Reviewer <carol@example.com>"


def _repo(g: GitRegistry) -> pygit2.Repository:
    return pygit2.Repository(str(g.root))


def _statuses(index: history.HistoryIndex, path: str) -> list[tuple[str, str]]:
    return [(c.commit, c.status) for c in index.changes(path)]


def test_index_lists_every_commit_that_touched_each_file(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    c1 = g.commit("add v1")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.85})
    g.write_model("majora", "v2")
    c2 = g.commit("tune v1, add v2", author=BOB)
    g.write("README.md", "not a model file\n")
    g.commit("docs only")
    g.remove("models/majora/v2.yaml")
    c4 = g.commit("drop v2", author=CAROL)

    index = load_history(_repo(g), use_cache=False)

    assert _statuses(index, "models/majora/v1.yaml") == [(c2, "M"), (c1, "A")]
    assert _statuses(index, "models/majora/v2.yaml") == [(c4, "D"), (c2, "A")]
    assert "README.md" not in index.paths
    assert history.model_file_paths(index, "majora") == [
        "models/majora/v1.yaml",
        "models/majora/v2.yaml",
    ]
    assert history.model_file_paths(index, "majora", "v2") == ["models/majora/v2.yaml"]
    assert not index.truncated


def test_rename_is_followed_when_the_file_barely_changed(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v2")
    c1 = g.commit("add v2")
    g.write_model("majora", "v2", evaluation_metrics={"accuracy": 0.6})
    c2 = g.commit("tune v2")
    g.git("mv", "models/majora/v2.yaml", "models/majora/v3.yaml")
    g.write_model("majora", "v3", evaluation_metrics={"accuracy": 0.6})
    c3 = g.commit("renumber v2 as v3")

    index = load_history(_repo(g), use_cache=False)
    chain = index.file_history("models/majora/v3.yaml")

    assert [(c.commit, c.status, c.path) for c in chain] == [
        (c3, "R", "models/majora/v3.yaml"),
        (c2, "M", "models/majora/v2.yaml"),
        (c1, "A", "models/majora/v2.yaml"),
    ]
    assert chain[0].old_path == "models/majora/v2.yaml"
    assert index.file_history("models/majora/v3.yaml", follow_renames=False) == chain[:1]
    # The old path ends with the rename.
    assert _statuses(index, "models/majora/v2.yaml")[0] == (c3, "D")


def test_a_new_sibling_version_is_not_taken_for_a_rename(git_registry: GitRegistry) -> None:
    """Copying v1 to a new v2 and deleting v1 in one commit: git's 50% default would call it a rename."""
    g = git_registry
    g.write_model("majora", "v1", description="the first one", tags=["coder"])
    c1 = g.commit("add v1")
    g.remove("models/majora/v1.yaml")
    g.write_model(
        "majora",
        "v2",
        description="the second one, trained on more data",
        training_data=[{"name": "train-set", "samples": 100}, {"name": "extra", "samples": 50}],
        evaluation_metrics={"accuracy": 0.87, "f1_score": 0.8},
        training_config={"epochs": 3, "learning_rate": 0.0002},
        lineage={"parent": "v1"},
    )
    c2 = g.commit("replace v1 by v2")
    # git itself pairs them at its default threshold:
    paired = g.git("diff", "-M50%", "--name-status", c1, c2).splitlines()
    assert [line.split("\t")[0][0] for line in paired] == ["R"]
    assert int(paired[0].split("\t")[0][1:]) < history.RENAME_THRESHOLD

    index = load_history(_repo(g), use_cache=False)

    assert [(c.commit, c.status) for c in index.file_history("models/majora/v2.yaml")] == [
        (c2, "A")
    ]


def test_merge_records_only_conflict_resolutions(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.write_model("majora", "v2")
    base = g.commit("base")
    g.git("checkout", "-q", "-b", "side")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.7})
    g.write_model("majora", "v2", evaluation_metrics={"accuracy": 0.9})
    side = g.commit("side tunes", author=BOB)
    g.git("checkout", "-q", "main")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.8})
    main = g.commit("main tunes v1", author=CAROL)
    result = _merge(g, "side")
    assert result != 0  # v1 conflicts
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.75})
    merge = g.commit("merge side, settle v1 at 0.75")

    index = load_history(_repo(g), use_cache=False)

    v1 = index.changes("models/majora/v1.yaml")
    assert v1[0].commit == merge
    assert v1[0].merge
    assert {c.commit for c in v1} == {merge, side, main, base}
    # v2 merged cleanly: the change is credited to the side commit only.
    assert [c.commit for c in index.changes("models/majora/v2.yaml")] == [side, base]


def _merge(g: GitRegistry, branch: str) -> int:
    return subprocess.run(
        ["git", "merge", "-q", "--no-edit", branch], cwd=g.root, capture_output=True, check=False
    ).returncode


def test_cache_is_reused_and_extended_with_only_new_commits(
    git_registry: GitRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    c1 = g.commit("add v1")
    repo = _repo(g)
    first = load_history(repo)
    store = cache_file(repo.path)
    assert store.exists()
    assert first.tip == c1

    calls: list[list[str]] = []
    real = history.git_log

    def recording(repo_: Any, revs: list[str]) -> bytes:
        calls.append(revs)
        return real(repo_, revs)

    monkeypatch.setattr(history, "git_log", recording)
    assert load_history(repo).paths == first.paths
    assert calls == []  # warm: no git log at all

    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.9})
    c2 = g.commit("tune", author=BOB)
    extended = load_history(repo)
    assert calls == [[c2, f"^{c1}"]]
    assert _statuses(extended, "models/majora/v1.yaml") == [(c2, "M"), (c1, "A")]
    assert extended.paths == load_history(repo, use_cache=False).paths


def test_rewritten_history_is_rebuilt(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("add v1")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.9})
    dropped = g.commit("tune")
    repo = _repo(g)
    assert dropped in load_history(repo).commits

    g.git("reset", "-q", "--hard", "HEAD~1")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.95})
    g.git("add", "-A")
    g.git("commit", "-q", "--amend", "-m", "add v1 at 0.95")
    rewritten = g.git("rev-parse", "HEAD").strip()

    index = load_history(_repo(g))
    assert dropped not in index.commits
    assert _statuses(index, "models/majora/v1.yaml") == [(rewritten, "A")]


def test_corrupt_cache_is_ignored(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    c1 = g.commit("add v1")
    repo = _repo(g)
    cache = Path(repo.path) / "afsreg" / f"history-v1.{c1}.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text('{"format": "afsreg-history-v1", "tip": 1')
    assert _statuses(load_history(repo), "models/majora/v1.yaml") == [(c1, "A")]


def test_detached_head_and_other_revisions(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    c1 = g.commit("add v1")
    g.write_model("majora", "v2")
    g.commit("add v2")
    g.git("checkout", "-q", "--detach", "HEAD~1")

    index = load_history(_repo(g))
    assert index.tip == c1
    assert "models/majora/v2.yaml" not in index.paths
    assert "models/majora/v2.yaml" in load_history(_repo(g), "main").paths


def test_shallow_clone_is_marked_truncated(git_registry: GitRegistry, tmp_path: Path) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("add v1")
    g.write_model("majora", "v1", evaluation_metrics={"accuracy": 0.9})
    g.write_model("majora", "v2")
    tip = g.commit("tune v1, add v2")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{g.root}", str(clone))

    index = load_history(pygit2.Repository(str(clone)))

    assert index.truncated
    assert index.shallow == frozenset({tip})
    (change,) = index.changes("models/majora/v1.yaml")
    assert change.truncated and change.status == "A"


def test_repository_without_commits_has_an_empty_history(git_registry: GitRegistry) -> None:
    index = load_history(_repo(git_registry))
    assert index.tip is None and index.paths == {}


def test_unknown_revision_is_a_clear_error(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("majora", "v1")
    g.commit("add v1")
    with pytest.raises(AfsregError, match="no-such-branch"):
        load_history(_repo(g), "no-such-branch")


def test_paths_with_spaces_and_non_ascii_are_kept_verbatim(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write("models/café/v1 copy.yaml", dump(model_doc("majora", "v1")))
    g.commit("odd path")
    index = load_history(_repo(g), use_cache=False)
    assert "models/café/v1 copy.yaml" in index.paths


def test_parse_log_reads_renames_and_combined_merge_statuses() -> None:
    output = (
        b"\x01aaa bbb\x00\nR095\x00models/m/v1.yaml\x00models/m/v2.yaml\x00M\x00models/m/v3.yaml\x00"
        b"\x01ccc ddd eee\x00\x00MM\x00models/m/v3.yaml\x00"
        b"\x01fff \x00\nA\x00models/m/v1.yaml\x00"
    )
    records = list(parse_log(output))
    assert records[0] == (
        "aaa",
        ["bbb"],
        [
            ("R", "models/m/v2.yaml", "models/m/v1.yaml"),
            ("D", "models/m/v1.yaml", None),
            ("M", "models/m/v3.yaml", None),
        ],
    )
    assert records[1] == ("ccc", ["ddd", "eee"], [("M", "models/m/v3.yaml", None)])
    assert records[2] == ("fff", [], [("A", "models/m/v1.yaml", None)])


# -- the store: appended == built from scratch ---------------------------------


def _answers(index: history.HistoryIndex) -> dict[str, set[tuple[str, str, str | None, bool]]]:
    """Every path's changes as a set: what an index says, whatever order it keeps."""
    return {
        path: {(c.commit, c.status, c.old_path, c.merge) for c in index.changes(path)}
        for path in index.all_paths()
    }


def _assert_same_as_scratch(repo: pygit2.Repository, *, linear: bool) -> None:
    stored = load_history(repo)
    scratch = load_history(repo, use_cache=False)
    assert stored.tip == scratch.tip
    assert set(stored.commits) == set(scratch.commits)
    assert len(stored.commits) == len(scratch.commits)
    assert _answers(stored) == _answers(scratch)
    for index in (load_history(repo), scratch):
        _assert_commit_batches_cover(index)
    by_key = load_history(repo)  # read path by path, not whole
    assert history.model_file_paths(by_key, "m") == history.model_file_paths(scratch, "m")
    for path in scratch.all_paths():
        assert path in by_key.paths
        if linear:
            assert by_key.changes(path) == scratch.changes(path)
            assert by_key.file_history(path) == scratch.file_history(path)
        else:
            assert set(by_key.changes(path)) == set(stored.changes(path))
            # Both orders are newest first: a commit never comes after one of its ancestors.
            commits = [c.commit for c in by_key.changes(path)]
            for i, later in enumerate(commits):
                for earlier in commits[i + 1 :]:
                    assert earlier == later or not repo.descendant_of(earlier, later)


def _assert_commit_batches_cover(index: history.HistoryIndex) -> None:
    """commit_batches: every change once, oldest commit first, no commit split across batches."""

    def key(c: history.FileChange) -> tuple[Any, ...]:
        return (c.seq, c.path, c.status, c.old_path or "", c.merge, c.truncated, c.commit)

    every = sorted((c for path in index.all_paths() for c in index.changes(path)), key=key)
    assert index.change_count() == len(every)
    for size in (1, 2, 5):
        batches = list(index.commit_batches(size))
        assert sorted((c for batch in batches for c in batch), key=key) == every
        seqs = [[c.seq for c in batch] for batch in batches]
        assert all(s == sorted(s) for s in seqs)
        assert all(a[-1] < b[0] for a, b in itertools.pairwise(seqs))  # a commit is never split
        assert all(len(s) >= size for s in seqs[:-1])
        assert all(len(s) - s.count(s[-1]) < size for s in seqs)  # cut at the first boundary


_FILES = [f"models/m/v{i}.yaml" for i in range(1, 5)] + ["models/n/v1.yaml"]


def _content(n: int) -> str:
    # Many shared lines, so a rename of an unchanged file is found at 90%.
    return "".join(f"line{i}: same\n" for i in range(20)) + f"value: {n}\n"


def _random_commit(g: GitRegistry, data: st.DataObject, counter: list[int]) -> None:
    for _ in range(data.draw(st.integers(1, 3), label="files")):
        path = data.draw(st.sampled_from(_FILES), label="path")
        target = g.path(path)
        action = data.draw(st.sampled_from(["write", "write", "remove", "rename"]), label="do")
        if action == "write" or not target.exists():
            counter[0] += 1
            g.write(path, _content(counter[0]))
        elif action == "remove":
            g.remove(path)
        else:
            other = data.draw(st.sampled_from(_FILES), label="to")
            if not g.path(other).exists():
                g.path(other).parent.mkdir(parents=True, exist_ok=True)
                target.rename(g.path(other))
    counter[0] += 1
    g.commit(f"change {counter[0]}")


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), merges=st.booleans())
def test_appended_index_equals_the_index_built_from_scratch(
    data: st.DataObject, merges: bool
) -> None:
    """Random histories (linear, or with branches, merges and merge resolutions), indexed as they grow."""
    with tempfile.TemporaryDirectory() as tmp:
        g = GitRegistry(Path(tmp) / "registry")
        counter = [0]
        _random_commit(g, data, counter)
        repo = _repo(g)
        for step in range(data.draw(st.integers(1, 6), label="steps")):
            if merges and data.draw(st.booleans(), label="branch"):
                # A side branch from an earlier commit (maybe one indexed before the
                # line grew past it: the store copies the line's first part).
                depth = int(g.git("rev-list", "--count", "--first-parent", "main"))
                back = data.draw(st.integers(0, min(2, depth - 1)), label="back")
                g.git("checkout", "-q", "-B", f"side{step}", f"main~{back}" if back else "main")
                for _ in range(data.draw(st.integers(1, 2), label="side commits")):
                    _random_commit(g, data, counter)
                if data.draw(st.booleans(), label="index side"):
                    _assert_same_as_scratch(_repo(g), linear=False)
                g.git("checkout", "-q", "main")
                if data.draw(st.booleans(), label="main moves"):
                    _random_commit(g, data, counter)
                merged = subprocess.run(
                    ["git", "merge", "-q", "--no-ff", "--no-commit", "-X", "theirs", f"side{step}"],
                    cwd=g.root,
                    capture_output=True,
                    check=False,
                )
                if merged.returncode != 0:
                    g.git("merge", "--abort")
                    continue
                if data.draw(st.booleans(), label="resolution"):
                    counter[0] += 1
                    g.write(_FILES[0], _content(counter[0]))  # differs from both parents
                g.commit(f"merge side{step}")
            else:
                _random_commit(g, data, counter)
            if data.draw(st.booleans(), label="index"):
                _assert_same_as_scratch(repo, linear=not merges)
        _assert_same_as_scratch(repo, linear=not merges)


def test_rewritten_history_answers_from_the_new_history(git_registry: GitRegistry) -> None:
    """Amend and rebase: the new tip descends from no indexed tip, so it gets a fresh line."""
    g = git_registry
    g.write(_FILES[0], _content(1))
    base = g.commit("add v1")
    g.write(_FILES[1], _content(2))
    g.commit("add v2")
    repo = _repo(g)
    load_history(repo)
    g.write(_FILES[1], _content(3))
    g.git("add", "-A")
    g.git("commit", "-q", "--amend", "-m", "add v2 (amended)")
    _assert_same_as_scratch(repo, linear=True)

    g.git("checkout", "-q", "-b", "topic", base)
    g.write(_FILES[2], _content(4))
    g.commit("add v3")
    load_history(repo, "topic")
    g.git("rebase", "-q", "main")
    topic = g.git("rev-parse", "topic").strip()
    index = load_history(repo, "topic")
    assert index.tip == topic
    assert _answers(index) == _answers(load_history(repo, "topic", use_cache=False))
    assert [c.commit for c in index.changes(_FILES[2])] == [topic]


def test_deepened_clone_is_indexed_again(git_registry: GitRegistry, tmp_path: Path) -> None:
    g = git_registry
    g.write(_FILES[0], _content(1))
    first = g.commit("add v1")
    g.write(_FILES[0], _content(2))
    g.commit("tune v1")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{g.root}", str(clone))
    shallow = load_history(pygit2.Repository(str(clone)))
    assert shallow.truncated and first not in shallow.commits

    git(clone, "fetch", "-q", "--unshallow")
    deep = load_history(pygit2.Repository(str(clone)))
    assert not deep.truncated
    assert [c.status for c in deep.changes(_FILES[0])] == ["M", "A"]
    assert first in deep.commits


def test_store_keeps_a_few_lines(git_registry: GitRegistry) -> None:
    """Each rewrite starts a line; only LINES_KEEP of them stay, and answers stay right."""
    g = git_registry
    g.write(_FILES[0], _content(0))
    g.commit("add v1")
    repo = _repo(g)
    for n in range(history.LINES_KEEP + 2):
        g.write(_FILES[0], _content(n + 1))
        g.git("add", "-A")
        g.git("commit", "-q", "--amend", "-m", f"rewrite {n}")
        assert len(load_history(repo).changes(_FILES[0])) == 1
    store = history.HistoryStore.open(Path(repo.path))
    assert store is not None
    assert store.query("SELECT COUNT(*) FROM lines", ())[0][0] == history.LINES_KEEP


def test_corrupt_store_is_ignored(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write(_FILES[0], _content(1))
    c1 = g.commit("add v1")
    repo = _repo(g)
    store = cache_file(repo.path)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"not a database" * 100)
    assert _statuses(load_history(repo), _FILES[0]) == [(c1, "A")]


def test_processes_indexing_at_once_agree(git_registry: GitRegistry) -> None:
    """Several processes append the same new commits at once: each gets the full answer."""
    g = git_registry
    for n in range(3):
        g.write(_FILES[n], _content(n))
        g.commit(f"add {n}")
    repo = _repo(g)
    load_history(repo)
    for n in range(3, 6):
        g.write(_FILES[n % len(_FILES)], _content(n))
        g.commit(f"change {n}")
    script = (
        "import json, sys, pygit2\n"
        "from afsreg.git.history import load_history\n"
        "index = load_history(pygit2.Repository(sys.argv[1]))\n"
        "print(json.dumps({p: [c.commit for c in index.changes(p)] for p in index.all_paths()}))\n"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(g.root)], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = [json.loads(run.communicate()[0]) for run in runs]
    assert all(run.returncode == 0 for run in runs)
    scratch = load_history(repo, use_cache=False)
    expected = {p: [c.commit for c in scratch.changes(p)] for p in scratch.all_paths()}
    assert outputs == [expected] * 4
    store = history.HistoryStore.open(Path(repo.path))
    assert store is not None
    assert store.query("SELECT COUNT(*) FROM lines", ())[0][0] == 1
