"""A full sync written in batches (afsreg.db.full), on real SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import GitRegistry
from db_fixtures import all_rows

import afsreg.db.events
import afsreg.db.full
import afsreg.git.history
from afsreg.db.connect import connect
from afsreg.db.sync import sync
from afsreg.registry import Registry


def test_rows_pointing_into_a_later_batch_are_written_after_what_they_point_at(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "a" sorts first, but its version names z@v1 as base model and y's version
    # as evaluation dataset: with one model per batch, y and z join a's batch.
    reg = GitRegistry(tmp_path / "registry")
    reg.write_model(
        "a",
        "v1",
        lineage={"base_models": [{"model": "z@v1", "relation": "fine-tune"}]},
        evaluation_dataset={"name": "held-out", "artifact_id": "y-eval"},
    )
    reg.write_model("m", "v1")
    reg.write_model("y", "v1", artifact_id="y-eval")
    reg.write_model("z", "v1")
    reg.commit("four models")
    monkeypatch.setattr(afsreg.db.full, "VERSION_BATCH", 1)

    report = sync(reg.root, db_url, full=True)

    assert sorted(report.added) == ["a@v1", "m@v1", "y-eval", "z@v1"]
    rows = all_rows(db_url)
    assert rows["model_versions"]["a@v1"]["base_model_id"] == "z@v1"
    assert rows["model_versions"]["a@v1"]["eval_dataset_artifact_id"] == "y-eval"
    assert rows["artifacts"]["y-eval"]["origin_type"] == "internal"
    fresh = f"sqlite:///{tmp_path}/one-batch.sqlite3"
    monkeypatch.setattr(afsreg.db.full, "VERSION_BATCH", 1000)
    sync(reg.root, fresh, full=True)
    assert rows == all_rows(fresh)


def test_a_version_gone_from_the_files_is_removed_after_every_batch(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = GitRegistry(tmp_path / "registry")
    reg.write_model("a", "v1")
    reg.write_model("b", "v1", evaluation_dataset={"name": "a", "artifact_id": "a@v1"})
    reg.write_model("c", "v1")
    reg.commit("three models")
    sync(reg.root, db_url)
    reg.remove("models/a/v1.yaml")
    reg.remove("models/c/v1.yaml")
    reg.commit("a and c go")
    monkeypatch.setattr(afsreg.db.full, "VERSION_BATCH", 1)

    report = sync(reg.root, db_url, full=True)

    assert report.removed == ["a@v1", "c@v1"]
    rows = all_rows(db_url)
    assert sorted(rows["model_versions"]) == ["b@v1"]
    # b still names a@v1 as its evaluation dataset: the row stays, as an external reference.
    assert rows["artifacts"]["a@v1"]["origin_type"] == "external"
    assert "c@v1" not in rows["artifacts"]


def _lineage_registry(root: Path) -> GitRegistry:
    """Models whose versions fine-tune versions of models later in name order, over a few commits."""
    reg = GitRegistry(root)
    for name, count in (("e", 3), ("d", 2), ("c", 1), ("b", 2), ("a", 3)):
        for n in range(1, count + 1):
            later = chr(ord(name) + 1)
            overrides: dict[str, Any] = {}
            if name != "e":  # a fine-tune of a later model's first version (a later batch)
                overrides["lineage"] = {
                    "base_models": [{"model": f"{later}@v1", "relation": "fine-tune"}],
                    **({"parent": f"v{n - 1}"} if n > 1 else {}),
                }
            if name == "a" and n == 1:
                overrides["evaluation_dataset"] = {"name": "d-set", "artifact_id": "d@v2"}
            reg.write_model(name, f"v{n}", **overrides)
        reg.commit(f"model {name}")
    reg.write_model("e", "v1", title="edited")
    reg.commit("edit e@v1")
    return reg


def test_a_full_sync_never_holds_the_registry_or_its_history(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What stays flat at any size, counted: versions read at once, changes read at once."""
    reg = _lineage_registry(tmp_path / "registry")
    one_batch = f"sqlite:///{tmp_path}/one-batch.sqlite3"
    expected = sync(reg.root, one_batch, full=True)

    read_at_once: list[int] = []
    changes_at_once: list[int] = []
    read_models = Registry.read_models
    event_rows = afsreg.db.events.event_rows

    def counting_read(self: Registry, names: Any) -> dict[str, list[Any]]:
        found = read_models(self, names)
        read_at_once.append(sum(len(v) for v in found.values()))
        return found

    def counting_event_rows(repo: Any, changes: list[Any], *args: Any, **kw: Any) -> Any:
        changes_at_once.append(len(changes))
        return event_rows(repo, changes, *args, **kw)

    def whole(*args: Any) -> Any:
        raise AssertionError("a full sync read the whole registry or history at once")

    monkeypatch.setattr(Registry, "read_models", counting_read)
    monkeypatch.setattr(afsreg.db.events, "event_rows", counting_event_rows)
    for method in ("models", "__iter__", "_by_name", "_ordered", "_versions"):
        monkeypatch.setattr(Registry, method, property(whole) if method[0] == "_" else whole)
    monkeypatch.setattr(afsreg.git.history._StorePaths, "load_whole", whole)
    monkeypatch.setattr(afsreg.db.full, "VERSION_BATCH", 2)
    monkeypatch.setattr(afsreg.db.full, "EVENT_BATCH", 2)

    report = sync(reg.root, db_url, full=True)

    # A batch is at most VERSION_BATCH - 1 versions plus its last model (3 versions here).
    assert max(read_at_once) <= 2 - 1 + 3
    assert sum(read_at_once) == 11 and len(read_at_once) >= 4
    # A batch of changes is at most EVENT_BATCH - 1 plus its last commit's (3 files here).
    assert max(changes_at_once) <= 2 - 1 + 3
    assert sum(changes_at_once) == 12
    assert all_rows(db_url) == all_rows(one_batch)
    # The report does not depend on the batches either.
    assert report.added == expected.added == sorted(expected.added)
    assert report.externals_added == expected.externals_added
    assert report.events == expected.events == 12


def test_a_full_sync_over_a_database_repairs_what_changed_in_any_batch(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = _lineage_registry(tmp_path / "registry")
    sync(reg.root, db_url)
    # Rewrite the last commit: its events go, the new commit's come.
    reg.git("reset", "-q", "--hard", "HEAD~1")
    # a@v2 now fine-tunes a version the next batch adds; a@v1 evaluates on it.
    reg.write_model("d", "v3")
    reg.write_model(
        "a",
        "v2",
        lineage={"parent": "v1", "base_models": [{"model": "d@v3", "relation": "fine-tune"}]},
    )
    reg.write_model("a", "v1", evaluation_dataset={"name": "d-set", "artifact_id": "d@v3"})
    reg.commit("a moves to d@v3")
    with connect(db_url) as db, db.transaction():  # a row changed by hand: repaired
        db.execute(
            "UPDATE model_version_events SET message = 'tampered' WHERE path = ?",
            ["models/c/v1.yaml"],
        )
    monkeypatch.setattr(afsreg.db.full, "VERSION_BATCH", 1)
    monkeypatch.setattr(afsreg.db.full, "EVENT_BATCH", 1)

    report = sync(reg.root, db_url, full=True)

    fresh = f"sqlite:///{tmp_path}/fresh.sqlite3"
    sync(reg.root, fresh, full=True)
    assert all_rows(db_url) == all_rows(fresh)
    rows = all_rows(db_url)
    assert rows["model_versions"]["a@v2"]["base_model_id"] == "d@v3"
    assert rows["model_versions"]["a@v1"]["eval_dataset_artifact_id"] == "d@v3"
    assert sorted(report.updated) == report.updated and "a@v2" in report.updated
    assert report.added == ["d@v3"]


def test_batches_hold_whole_models_in_order_and_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(afsreg.db.full, "VERSION_BATCH", 4)
    sizes = {"a": 1, "b": 5, "c": 2, "d": 1, "e": 1, "f": 3, "g": 1}
    found = list(afsreg.db.full.batches(sizes))
    assert found == [["a", "b"], ["c", "d", "e"], ["f", "g"]]
    assert [m for batch in found for m in batch] == list(sizes)
    for batch in found:
        assert sum(sizes[m] for m in batch) <= 4 - 1 + sizes[batch[-1]]


def test_a_commit_of_many_files_is_parsed_a_chunk_at_a_time(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One commit may add every file (an import): its events are parsed in chunks, same rows."""
    reg = _lineage_registry(tmp_path / "registry")
    one_chunk = f"sqlite:///{tmp_path}/one-chunk.sqlite3"
    sync(reg.root, one_chunk, full=True)

    parsed_at_once: list[int] = []
    prefetch = afsreg.db.events.BlobCache.prefetch

    def counting_prefetch(self: Any, blob_ids: Any) -> None:
        wanted = list(blob_ids)
        parsed_at_once.append(len(wanted))
        prefetch(self, wanted)

    monkeypatch.setattr(afsreg.db.events.BlobCache, "prefetch", counting_prefetch)
    monkeypatch.setattr(afsreg.db.events, "PREFETCH_CHUNK", 2)
    # A history read afresh (no event row reused from the first sync's cache).
    import shutil

    shutil.rmtree(reg.root / ".git" / "afsreg")
    sync(reg.root, db_url, full=True)

    assert parsed_at_once and max(parsed_at_once) <= 2 * 2  # each change: its blob and its parent's
    assert all_rows(db_url) == all_rows(one_chunk)


def test_the_history_pass_bounds_libgit2s_object_cache(tmp_path: Path, db_url: str) -> None:
    """libgit2 would keep every small tree of the history it reads (256 MB by default)."""
    import pygit2

    reg = _lineage_registry(tmp_path / "registry")
    default = 256 * 1024 * 1024  # libgit2's; an earlier sync in this process lowered it
    pygit2.settings.cache_max_size(default)
    sync(reg.root, db_url, full=True)
    assert pygit2.settings.cached_memory[1] == afsreg.db.full.HISTORY_CACHE_BYTES < default
