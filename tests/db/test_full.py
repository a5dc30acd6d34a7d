"""A full sync written in batches (afsreg.db.full), on real SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GitRegistry
from db_fixtures import all_rows

import afsreg.db.full
from afsreg.db.sync import sync


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
