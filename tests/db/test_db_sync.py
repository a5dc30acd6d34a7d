"""afsreg sync / status / migrate against real SQLite and real PostgreSQL, in real git repositories."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRegistry, dump, model_doc, run_afsreg

from afsreg.db import migrate as migrate_mod
from afsreg.db import tables as tables_mod
from afsreg.db.connect import DatabaseError, connect, mask_url
from afsreg.db.migrate import MigrationError
from afsreg.db.ownership import OwnershipError
from afsreg.db.status import status
from afsreg.db.sync import sync
from afsreg.db.tables import fetch, tables
from afsreg.errors import ValidationError

DATA_TABLES = ("artifacts", "model_versions", "model_version_events")
ALL_TABLES = ("afsreg_schema_migrations", *DATA_TABLES, "afsreg_sync_state", "afsreg_owned_rows")


def snapshot(url: str) -> dict[str, dict[Any, dict[str, Any]]]:
    """The three data tables as canonical rows (comparable across SQLite and PostgreSQL)."""
    with connect(url) as db:
        artifacts_t, versions_t, events_t = tables(db)
        return {t.name: fetch(db, t) for t in (artifacts_t, versions_t, events_t)}


def raw_dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every afsreg table exactly as stored, to prove a failed sync changed nothing."""
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return {}
    with connect(url) as db:
        return {
            t: sorted(map(repr, db.query(f"SELECT * FROM {t}")))
            for t in ALL_TABLES
            if db.table_exists(t)
        }  # type: ignore[misc]


def full_snapshot(root: Path, rev: str, tmp_path: Path) -> dict[str, dict[Any, dict[str, Any]]]:
    """What a full sync of ``rev`` into a fresh database gives."""
    fresh = tmp_path / f"full-{len(list(tmp_path.glob('full-*')))}.sqlite3"
    sync(root, f"sqlite:///{fresh}", rev, full=True)
    return snapshot(f"sqlite:///{fresh}")


def seed_registry(reg: GitRegistry) -> str:
    reg.write_model(
        "base",
        "v1",
        promotion={"state": "promoted", "notes": "first"},
        lineage={
            "base_models": [
                {
                    "external": "Qwen/Qwen2.5-Coder-7B",
                    "source": "huggingface",
                    "relation": "fine-tune",
                }
            ]
        },
        training={"started_at": "2026-01-14T10:00:00+02:00", "trained_by": "agent-7"},
        code={"repo_url": "https://github.com/x/y", "commit_sha": "abc1234"},
    )
    reg.write_model(
        "base",
        "v2",
        lineage={"parent": "v1"},
        evaluation_dataset={"name": "heldout", "revision": "r1"},
    )
    reg.write_model(
        "tuned", "v1", lineage={"base_models": [{"model": "base@v2", "relation": "fine-tune"}]}
    )
    return reg.commit("Add base and tuned", author="Bob Builder <bob@example.com>")


def test_fresh_database_then_noop(git_registry: GitRegistry, db_url: str, tmp_path: Path) -> None:
    seed_registry(git_registry)
    report = sync(git_registry.root, db_url)
    assert report.mode == "full" and report.reason == "first sync"
    assert sorted(report.added) == ["base@v1", "base@v2", "tuned@v1"]
    assert report.events == 3
    assert report.externals_added == [
        "external:dataset:eval-set",
        "external:dataset:heldout@r1",
        "external:huggingface:Qwen/Qwen2.5-Coder-7B",
    ]

    rows = snapshot(db_url)
    v1, v2, tuned = (rows["model_versions"][i] for i in ("base@v1", "base@v2", "tuned@v1"))
    assert v1["base_model_id"] == "external:huggingface:Qwen/Qwen2.5-Coder-7B"
    assert v1["training_started_at"] == "2026-01-14T08:00:00+00:00"
    assert v1["trained_by"] == "agent-7" and v1["code_commit_sha"] == "abc1234"
    assert v1["promotion_state"] == "promoted" and v1["promotion_notes"] == "first"
    assert v1["training_params_json"] == {"epochs": 1} and v1["eval_metrics_json"] == {
        "accuracy": 0.5
    }
    assert v2["eval_dataset_artifact_id"] == "external:dataset:heldout@r1"
    assert tuned["base_model_id"] == "base@v2"
    art = rows["artifacts"]
    assert (art["base@v1"]["version_number"], art["base@v2"]["version_number"]) == (1, 2)
    assert (art["base@v1"]["is_latest"], art["base@v2"]["is_latest"]) == (0, 1)
    assert art["base@v2"]["parent_version_id"] == "base@v1"
    assert art["base@v1"]["changelog"].endswith("Add base and tuned")
    assert (
        art["base@v1"]["metadata"]["base_model_id"] == "external:huggingface:Qwen/Qwen2.5-Coder-7B"
    )
    hf = art["external:huggingface:Qwen/Qwen2.5-Coder-7B"]
    assert (
        hf["origin_type"] == "external"
        and hf["origin_url"] == "https://huggingface.co/Qwen/Qwen2.5-Coder-7B"
    )
    event = next(iter(rows["model_version_events"].values()))
    assert (event["author_name"], event["author_email"], event["change_type"]) == (
        "Bob Builder",
        "bob@example.com",
        "added",
    )

    before = raw_dump(db_url)
    again = sync(git_registry.root, db_url)
    assert again.mode == "noop" and again.unchanged == 3
    assert raw_dump(db_url) == before
    full_again = sync(git_registry.root, db_url, full=True)
    assert (full_again.added, full_again.updated, full_again.removed, full_again.unchanged) == (
        [],
        [],
        [],
        3,
    )
    assert not status(git_registry.root, db_url).drift


def test_incremental_add_modify_rename_delete(
    git_registry: GitRegistry, db_url: str, tmp_path: Path
) -> None:
    reg = git_registry
    seed_registry(reg)
    sync(reg.root, db_url)

    reg.write_model("other", "v1")
    reg.commit("Add other")
    report = sync(reg.root, db_url)
    assert (report.mode, report.added, report.updated, report.events) == (
        "incremental",
        ["other@v1"],
        [],
        1,
    )
    assert snapshot(db_url) == full_snapshot(reg.root, "HEAD", tmp_path)

    reg.write_model(
        "base",
        "v2",
        lineage={"parent": "v1"},
        evaluation_metrics={"accuracy": 0.9},
        promotion={"state": "candidate", "notes": "better"},
    )
    reg.commit("Improve base v2\n\nlonger body")
    report = sync(reg.root, db_url)
    assert report.mode == "incremental" and report.updated == ["base@v2"]
    assert report.externals_removed == ["external:dataset:heldout@r1"]  # no longer referenced
    events = snapshot(db_url)["model_version_events"]
    modified = [e for e in events.values() if e["change_type"] == "modified"]
    assert modified[0]["changed_fields_json"] == [
        "evaluation_dataset",
        "evaluation_dataset.name",
        "evaluation_dataset.revision",
        "evaluation_metrics.accuracy",
        "promotion.notes",
    ]
    assert modified[0]["message"] == "Improve base v2\n\nlonger body"
    assert snapshot(db_url) == full_snapshot(reg.root, "HEAD", tmp_path)

    reg.git("mv", "models/other/v1.yaml", "models/other/v2.yaml")
    reg.write_model("other", "v2")
    reg.commit("Renumber other")
    report = sync(reg.root, db_url)
    assert (report.added, report.removed) == (["other@v2"], ["other@v1"])
    renamed = [
        e
        for e in snapshot(db_url)["model_version_events"].values()
        if e["change_type"] == "renamed"
    ]
    assert [(e["old_path"], e["path"]) for e in renamed] == [
        ("models/other/v1.yaml", "models/other/v2.yaml")
    ]
    assert snapshot(db_url) == full_snapshot(reg.root, "HEAD", tmp_path)

    reg.remove("models/other/v2.yaml")
    reg.remove("models/base/v2.yaml")
    reg.write_model(
        "tuned", "v1", lineage={"base_models": [{"model": "base@v1", "relation": "fine-tune"}]}
    )
    reg.commit("Drop other and base v2")
    report = sync(reg.root, db_url)
    assert sorted(report.removed) == ["base@v2", "other@v2"]
    assert report.externals_removed == []  # eval-set is still referenced by the other versions
    rows = snapshot(db_url)
    assert "other@v2" not in rows["model_versions"] and "other@v2" not in rows["artifacts"]
    history = [e for e in rows["model_version_events"].values() if e["artifact_id"] == "other@v2"]
    assert {e["change_type"] for e in history} == {
        "renamed",
        "deleted",
    }  # history outlives the rows
    assert rows["artifacts"]["base@v1"]["is_latest"] == 1
    assert rows == full_snapshot(reg.root, "HEAD", tmp_path)
    assert not status(reg.root, db_url).drift


def test_rewritten_history_falls_back_to_full(
    git_registry: GitRegistry, db_url: str, tmp_path: Path
) -> None:
    reg = git_registry
    seed_registry(reg)
    reg.write_model("gone", "v1")
    reg.commit("Add gone")
    sync(reg.root, db_url)
    reg.git("reset", "-q", "--hard", "HEAD~1")
    reg.write_model("new", "v1")
    reg.commit("Add new instead")
    report = sync(reg.root, db_url)
    assert report.mode == "full" and "history rewritten" in (report.reason or "")
    assert report.removed == ["gone@v1"] and report.added == ["new@v1"]
    rows = snapshot(db_url)
    assert not [e for e in rows["model_version_events"].values() if e["artifact_id"] == "gone@v1"]
    assert rows == full_snapshot(reg.root, "HEAD", tmp_path)


def test_invalid_registry_is_refused_untouched(git_registry: GitRegistry, db_url: str) -> None:
    reg = git_registry
    seed_registry(reg)
    sync(reg.root, db_url)
    before = raw_dump(db_url)
    reg.write("models/bad/v1.yaml", dump(model_doc("bad", "v1", promotion={"state": "shipped"})))
    reg.commit("Add an invalid file")
    with pytest.raises(ValidationError) as caught:
        sync(reg.root, db_url)
    assert "models/bad/v1.yaml" in str(caught.value)
    assert raw_dump(db_url) == before


def test_invalid_registry_creates_no_sqlite_file(git_registry: GitRegistry, tmp_path: Path) -> None:
    git_registry.write("models/bad/v1.yaml", "name: [unclosed\n")
    git_registry.commit("broken")
    with pytest.raises(ValidationError):
        sync(git_registry.root)
    assert not (git_registry.root / ".afsreg" / "registry.sqlite3").exists()


def test_failure_midway_leaves_previous_state(
    git_registry: GitRegistry, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = git_registry
    seed_registry(reg)
    sync(reg.root, db_url)
    before = raw_dump(db_url)
    reg.write_model("base", "v2", lineage={"parent": "v1"}, title="changed")
    reg.write_model("more", "v1")
    reg.commit("Two changes")
    real_update = tables_mod.update_columns

    def failing_update(db: Any, table: Any, row_id: Any, values: Any) -> None:
        real_update(db, table, row_id, values)
        if table.name == "artifacts":
            raise RuntimeError("injected failure after writing artifacts")

    monkeypatch.setattr("afsreg.db.apply.update_columns", failing_update)
    with pytest.raises(RuntimeError, match="injected"):
        sync(reg.root, db_url)
    assert raw_dump(db_url) == before
    monkeypatch.undo()
    assert sync(reg.root, db_url).mode == "incremental"


def test_two_syncs_at_once_serialize(
    git_registry: GitRegistry, db_url: str, tmp_path: Path
) -> None:
    reg = git_registry
    seed_registry(reg)
    for i in range(20):
        reg.write_model(f"bulk{i}", "v1")
    reg.commit("Many models")
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(sync(reg.root, db_url))
        except Exception as exc:  # collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.mode for r in results).count("full") == 1
    assert snapshot(db_url) == full_snapshot(reg.root, "HEAD", tmp_path)


def test_status_reports_hand_edits(git_registry: GitRegistry, db_url: str) -> None:
    reg = git_registry
    seed_registry(reg)
    sync(reg.root, db_url)
    with connect(db_url) as db, db.transaction():
        db.execute(
            "UPDATE model_versions SET promotion_state = 'rejected' WHERE artifact_id = 'base@v1'"
        )
        db.execute("DELETE FROM model_version_events")
        db.execute(
            "INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('stray', 'model', '{}')"
        )
        db.execute("INSERT INTO model_versions (artifact_id) VALUES ('stray')")
    report = status(reg.root, db_url)
    assert report.drift
    assert report.changed_in_database == [
        "models/base/v1.yaml: model_versions base@v1: promotion_state changed in the database"
    ]
    assert report.different == [] and report.extra == []
    assert report.outside == ["model_versions stray"]  # another writer's row: not afsreg's
    assert len([m for m in report.missing if m.startswith("model_version_events")]) == 3
    result = run_afsreg(["status", "--database-url", db_url], cwd=reg.root)
    assert result.returncode == 1 and "changed in the database" in result.stdout
    before = raw_dump(db_url)
    with pytest.raises(OwnershipError, match="base@v1: promotion_state changed in the database"):
        sync(reg.root, db_url, full=True)
    assert raw_dump(db_url) == before
    sync(reg.root, db_url, full=True, overwrite_db_changes=True)
    assert not status(reg.root, db_url).drift
    assert run_afsreg(["status", "--database-url", db_url], cwd=reg.root).returncode == 0
    with connect(db_url) as db:  # the other writer's rows are still there
        assert db.query("SELECT artifact_id FROM model_versions WHERE artifact_id = 'stray'")


def test_catalog_matches_seed_000(git_registry: GitRegistry, db_url: str) -> None:
    seed_registry(git_registry)
    sync(git_registry.root, db_url)
    expected = [
        "artifact_id", "is_external", "external_source_url", "external_source_version", "base_model_id",
        "code_repo_url", "code_commit_sha", "code_entrypoint", "training_started_at", "training_completed_at",
        "trained_by", "gpu_allocation_id", "training_params_json", "eval_metrics_json",
        "eval_dataset_artifact_id", "benchmark_id", "promotion_state", "promotion_notes", "created_at",
    ]  # fmt: skip
    with connect(db_url) as db:
        assert db.table_columns("model_versions") == expected
        if db.dialect == "sqlite":
            sql = db.query("SELECT sql FROM sqlite_master WHERE name = 'model_versions'")[0][0]
            assert (
                "CHECK(promotion_state IN ('candidate','promoted','rejected','superseded'))" in sql
            )
            assert "DEFAULT 'candidate'" in sql and "DEFAULT (datetime('now'))" in sql
            indexes = {
                r[1]: r[2]
                for r in db.query(
                    "SELECT type, name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                )
            }
            fks = {
                (r[3], r[2], r[4], r[6])
                for r in db.query("PRAGMA foreign_key_list(model_versions)")
            }
            assert fks == {
                ("artifact_id", "artifacts", "id", "CASCADE"),
                ("base_model_id", "artifacts", "id", "NO ACTION"),
                ("eval_dataset_artifact_id", "artifacts", "id", "NO ACTION"),
            }
            index_columns = {
                name: db.query(f"PRAGMA index_info({name})")[0][2]
                for name in indexes
                if name.startswith("idx_model_versions")
            }
        else:
            checks = [
                r[0]
                for r in db.query(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'model_versions'::regclass AND contype = 'c'"
                )
            ]
            assert checks == [
                "CHECK ((promotion_state = ANY (ARRAY['candidate'::text, 'promoted'::text, 'rejected'::text, 'superseded'::text])))"
            ]
            types = dict(
                db.query(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'model_versions'"
                )
            )
            assert (
                types["training_params_json"] == "jsonb"
                and types["created_at"] == "timestamp with time zone"
            )
            defaults = dict(
                db.query(
                    "SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'model_versions' AND column_default IS NOT NULL"
                )
            )
            assert defaults == {
                "is_external": "0",
                "promotion_state": "'candidate'::text",
                "created_at": "now()",
            }
            fks = {
                r[0]
                for r in db.query(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'model_versions'::regclass AND contype = 'f'"
                )
            }
            assert fks == {
                "FOREIGN KEY (artifact_id) REFERENCES artifacts(id) ON DELETE CASCADE",
                "FOREIGN KEY (base_model_id) REFERENCES artifacts(id)",
                "FOREIGN KEY (eval_dataset_artifact_id) REFERENCES artifacts(id)",
            }
            index_columns = {
                r[0]: r[1]
                for r in db.query(
                    "SELECT i.relname, a.attname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] "
                    "WHERE x.indrelid = 'model_versions'::regclass AND NOT x.indisprimary"
                )
            }
        assert index_columns == {
            "idx_model_versions_base": "base_model_id",
            "idx_model_versions_trained_by": "trained_by",
            "idx_model_versions_promotion": "promotion_state",
        }
        for table in (
            "artifacts",
            "model_version_events",
            "afsreg_sync_state",
            "afsreg_schema_migrations",
            "afsreg_owned_rows",
        ):
            assert db.table_exists(table)
        lineage = ["version_number", "parent_version_id", "version_tag", "changelog", "is_latest",
                   "lifecycle_state", "superseded_by", "origin_type", "origin_url"]  # fmt: skip
        assert set(lineage) <= set(db.table_columns("artifacts"))


def test_migrations_rerun_edited_and_newer(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect(db_url) as db:
        applied = migrate_mod.migrate(db)
        assert [m.label for m in applied][:5] == [
            "0001_artifacts", "0002_model_versions", "0003_model_version_events", "0004_afsreg_sync_state",
            "0005_afsreg_owned_rows",
        ]  # fmt: skip
        assert [m.label for m in applied][5:] == [
            "0010_afsreg_deployments", "0011_afsreg_versions", "0012_afsreg_lineage", "0013_afsreg_files",
            "0014_afsreg_sync_state_shallow",
        ]  # fmt: skip
        assert migrate_mod.migrate(db) == []
        checksums = dict(db.query("SELECT version, checksum FROM afsreg_schema_migrations"))
        assert checksums["0002"] == migrate_mod.load_migrations(db.dialect)[1].checksum

        copy = tmp_path / "migrations"
        shutil.copytree(Path(str(migrate_mod.migrations_root())), copy)
        edited = copy / db.dialect / "0002_model_versions.sql"
        edited.write_text(edited.read_text() + "\n-- edited after it was applied\n")
        monkeypatch.setattr(migrate_mod, "migrations_root", lambda: copy)
        with pytest.raises(MigrationError, match="0002_model_versions was applied with checksum"):
            migrate_mod.migrate(db)
        monkeypatch.undo()

        with db.transaction():
            db.execute(
                "INSERT INTO afsreg_schema_migrations VALUES ('0099', 'from_the_future', 'x', 'now')"
            )
        before = raw_dump(db_url)
        with pytest.raises(MigrationError, match="newer schema") as caught:
            migrate_mod.migrate(db)
        assert "0099_from_the_future" in str(caught.value) and "Nothing was changed" in str(
            caught.value
        )
        assert raw_dump(db_url) == before


def test_newer_schema_refuses_sync(git_registry: GitRegistry, db_url: str) -> None:
    seed_registry(git_registry)
    sync(git_registry.root, db_url)
    with connect(db_url) as db, db.transaction():
        db.execute("INSERT INTO afsreg_schema_migrations VALUES ('0099', 'later', 'x', 'now')")
    git_registry.write_model("late", "v1")
    git_registry.commit("late")
    before = raw_dump(db_url)
    with pytest.raises(MigrationError, match="upgrade afsreg"):
        sync(git_registry.root, db_url)
    assert raw_dump(db_url) == before


def test_dry_run_writes_nothing(git_registry: GitRegistry, db_url: str) -> None:
    seed_registry(git_registry)
    report = sync(git_registry.root, db_url, dry_run=True)
    assert report.dry_run and len(report.added) == 3
    assert raw_dump(db_url) in ({}, {"afsreg_schema_migrations": []}) or not raw_dump(db_url).get(
        "model_versions"
    )
    assert "would sync" in report.summary()


def test_uncommitted_changes_warn(git_registry: GitRegistry, tmp_path: Path) -> None:
    seed_registry(git_registry)
    git_registry.write_model("draft", "v1")
    report = sync(git_registry.root)
    assert "draft@v1" not in report.added
    assert any("models/draft/v1.yaml" in w for w in report.warnings)


def test_urls_are_masked() -> None:
    assert (
        mask_url("postgresql://alice:s3cret@db.example:5432/reg")
        == "postgresql://alice:***@db.example:5432/reg"
    )
    assert mask_url("postgresql://alice@db/reg?password=s3cret&sslmode=require") == (
        "postgresql://alice@db/reg?password=***&sslmode=require"
    )
    assert mask_url("postgresql://bob@h/db") == "postgresql://bob@h/db"
    with pytest.raises(DatabaseError) as caught:
        connect("postgresql://alice:hunter2@127.0.0.1:1/nowhere")
    assert "hunter2" not in str(caught.value) and "alice:***@" in str(caught.value)


def test_cli_sync_default_database_and_messages(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    seed_registry(git_registry)
    result = run_afsreg(["sync"], cwd=git_registry.root, env=afsreg_env)
    assert result.returncode == 0, result.stderr
    assert "3 added, 0 updated, 0 removed, 0 unchanged; 3 events written" in result.stdout
    assert (git_registry.root / ".afsreg" / "registry.sqlite3").exists()
    bad = run_afsreg(
        ["sync", "--database-url", "postgresql://u:topsecret@127.0.0.1:1/x"],
        cwd=git_registry.root,
        env=afsreg_env,
    )
    assert (
        bad.returncode == 1
        and "topsecret" not in bad.stderr + bad.stdout
        and "Traceback" not in bad.stderr
    )
    dry = run_afsreg(["sync", "--dry-run", "--full"], cwd=git_registry.root, env=afsreg_env)
    assert dry.returncode == 0 and dry.stdout.startswith("would sync")


def test_removing_a_version_another_one_is_evaluated_on(
    git_registry: GitRegistry, db_url: str, tmp_path: Path
) -> None:
    """Found in review: the foreign key from eval_dataset_artifact_id broke both sync modes."""
    reg = git_registry
    reg.write_model("cells", "v1")
    reg.write_model("risk", "v1", evaluation_dataset={"name": "cells", "artifact_id": "cells@v1"})
    reg.commit("risk is evaluated on cells")
    sync(reg.root, db_url)
    reg.remove("models/cells/v1.yaml")
    reg.commit("remove cells")
    report = sync(reg.root, db_url)
    assert report.mode == "incremental" and report.removed == ["cells@v1"]
    assert snapshot(db_url) == full_snapshot(reg.root, "HEAD", tmp_path)
    sync(reg.root, db_url, full=True)
    assert snapshot(db_url) == full_snapshot(reg.root, "HEAD", tmp_path)
