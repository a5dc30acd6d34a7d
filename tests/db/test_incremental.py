"""An incremental sync from the diff (afsreg.db.incremental), on real SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from conftest import GitRegistry
from db_fixtures import all_rows

from afsreg.db.sync import sync


def test_a_fine_tune_in_an_untouched_model_follows_its_base_models_new_id(
    tmp_path: Path, db_url: str
) -> None:
    reg = GitRegistry(tmp_path / "registry")
    reg.write_model("a", "v1")
    reg.write_model(
        "b", "v1", lineage={"base_models": [{"model": "a@v1", "relation": "fine-tune"}]}
    )
    reg.write_model("c", "v1")
    reg.commit("three models")
    sync(reg.root, db_url)
    reg.write_model("a", "v1", artifact_id="a-one")
    reg.commit("a@v1 gets an artifact id")

    report = sync(reg.root, db_url)

    assert report.mode == "incremental"
    assert sorted(report.added) == ["a-one"] and report.removed == ["a@v1"]
    assert report.updated == ["b@v1"]  # c@v1 was not projected again
    rows = all_rows(db_url)
    assert rows["model_versions"]["b@v1"]["base_model_id"] == "a-one"
    lineage = rows["afsreg_lineage"][("b@v1", "base_model", 0)]
    assert lineage["parent_artifact_id"] == "a-one"
    fresh = f"sqlite:///{tmp_path}/full.sqlite3"
    sync(reg.root, fresh, full=True)
    assert rows == all_rows(fresh)


def test_several_commits_in_one_incremental_sync_write_every_commits_events(
    tmp_path: Path, db_url: str
) -> None:
    reg = GitRegistry(tmp_path / "registry")
    reg.write_model("a", "v1")
    reg.commit("a")
    sync(reg.root, db_url)
    reg.write_model("a", "v2", lineage={"parent": "v1"})
    first = reg.commit("a v2")
    reg.write_model("a", "v1", title="renamed title")
    second = reg.commit("a v1 retitled")

    report = sync(reg.root, db_url)

    assert report.mode == "incremental" and report.events == 2
    events = all_rows(db_url)["model_version_events"]
    assert {(first, "models/a/v2.yaml"), (second, "models/a/v1.yaml")} <= set(events)
    assert sync(reg.root, db_url).mode == "noop"
