"""afsreg as a guest in a seed-000-shaped shared database, on real SQLite and real PostgreSQL.

Every sync path (first, incremental, --full, a removed file, a changed
artifact_id, a rewritten history, a failed sync) must leave every row and
column afsreg does not own byte-identical, and never lose what other writers
(WS3 inserting versions, WS4 setting promotion_state) put there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, GitRegistry, run_afsreg
from seed_host import assert_host_unchanged, build_host, dump, owned

from afsreg.db import tables as tables_mod
from afsreg.db.connect import connect
from afsreg.db.ownership import OwnershipError
from afsreg.db.preflight import PreflightError
from afsreg.db.status import status
from afsreg.db.sync import sync

CELL = "model-14307274-3d2c-4b1a-9e8f-3c4d5e6f7081"
RISK = "model-8479a365-7e6d-4c5b-8a9f-4d5e6f708192"


@pytest.fixture(params=["sqlite", "postgresql"])
def host_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = (
        f"sqlite:///{tmp_path}/host.sqlite3"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    build_host(url)
    return url


def registry(reg: GitRegistry) -> None:
    """Two models of afsreg's own and one file that adopts a seed row by its full id."""
    reg.write_model(
        "fresh",
        "v1",
        lineage={
            "base_models": [
                {"external": "org/base", "source": "huggingface", "relation": "fine-tune"}
            ]
        },
    )
    reg.write_model("fresh", "v2", lineage={"parent": "v1"}, promotion={"state": "promoted"})
    reg.write_model(
        "cell-type-classifier",
        "v1",
        artifact_id=CELL,
        framework=None,
        training_config=None,
        promotion={"state": "promoted"},
        review=[
            {"field": "framework", "reason": "not known"},
            {"field": "training_config", "reason": "not known"},
        ],
    )
    reg.commit("Registry")


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connect(url) as db:
        return db.query(sql, params)


def meta_of(url: str, ident: str) -> dict[str, Any]:
    value = query(url, "SELECT metadata FROM artifacts WHERE id = ?", (ident,))[0][0]
    return json.loads(value) if isinstance(value, str) else dict(value)


def ws3_inserts_a_version(url: str) -> None:
    """The training pipeline registers a version straight in the database."""
    with connect(url) as db, db.transaction():
        db.execute(
            "INSERT INTO artifacts (id, artifact_type, title, metadata) VALUES (?, 'model', ?, ?)",
            ("model-ws3-0001", "Trained by WS3", json.dumps({"model_family": "transformer"})),
        )
        db.execute(
            "INSERT INTO model_versions (artifact_id, base_model_id, trained_by, promotion_state) "
            "VALUES ('model-ws3-0001', 'external:huggingface:org/base', 'ws3', 'candidate')"
        )


def ws4_promotes(url: str, ident: str, state: str = "promoted") -> None:
    with connect(url) as db, db.transaction():
        db.execute(
            "UPDATE model_versions SET promotion_state = ? WHERE artifact_id = ?", (state, ident)
        )


def test_every_sync_path_leaves_the_host_untouched(
    git_registry: GitRegistry, host_url: str
) -> None:
    reg = git_registry
    registry(reg)
    before = dump(host_url)

    # First sync: two rows created, one seed row adopted (merged, not replaced).
    first = sync(reg.root, host_url)
    assert first.adopted == [f"artifacts {CELL}", f"model_versions {CELL}"]
    assert_host_unchanged(host_url, before)
    meta = meta_of(host_url, CELL)
    assert meta["source_notebook"] == "notebook-0002" and meta["legacy_tags"][0] == "seed-000"
    assert meta["model_family"] == "transformer"  # the file's value
    created, changelog = query(
        host_url, "SELECT created_at, changelog FROM artifacts WHERE id = ?", (CELL,)
    )[0]
    assert (created, changelog) == ("2026-03-03T12:00:00", "created by the SciDEX atlas")
    # The host's model_versions row: the file's values set, the host's others kept.
    mv = query(
        host_url,
        "SELECT promotion_state, training_params_json, created_at FROM model_versions WHERE artifact_id = ?",
        (CELL,),
    )[0]
    assert mv[0] == "promoted" and json.loads(str(mv[1])) == {"backfilled": True}
    assert str(mv[2]) == "2026-04-16 15:20:00"
    records = owned(host_url)
    assert records[("artifacts", CELL)]["origin"] == "adopted"
    assert records[("artifacts", "fresh@v1")]["origin"] == "created"

    # Other writers: WS3 inserts a version, WS4 promotes a seed row afsreg does not own.
    ws3_inserts_a_version(host_url)
    ws4_promotes(host_url, RISK)
    outside = dump(host_url)

    # Incremental, then --full: both leave the other writers' rows as they are.
    reg.write_model("fresh", "v3", lineage={"parent": "v2"})
    reg.commit("v3")
    assert sync(reg.root, host_url).mode == "incremental"
    assert_host_unchanged(host_url, outside)
    assert sync(reg.root, host_url, full=True).mode == "full"
    assert_host_unchanged(host_url, outside)
    assert query(
        host_url, "SELECT promotion_state FROM model_versions WHERE artifact_id = ?", (RISK,)
    ) == [("promoted",)]
    assert query(
        host_url, "SELECT trained_by FROM model_versions WHERE artifact_id = 'model-ws3-0001'"
    ) == [("ws3",)]
    report = status(reg.root, host_url)
    assert not report.drift
    assert {"model_versions model-ws3-0001", f"model_versions {RISK}"} <= set(report.outside)

    # A failed sync changes nothing at all.
    reg.write_model("fresh", "v3", lineage={"parent": "v2"}, title="retitled")
    reg.commit("retitle")
    snapshot = dump(host_url)
    real = tables_mod.update_columns

    def failing(db: Any, table: Any, row_id: Any, values: Any) -> None:
        real(db, table, row_id, values)
        raise RuntimeError("injected")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("afsreg.db.apply.update_columns", failing)
        with pytest.raises(RuntimeError, match="injected"):
            sync(reg.root, host_url)
    assert dump(host_url) == snapshot
    sync(reg.root, host_url)

    # A changed artifact_id: the old row goes (afsreg created it), the new one is created.
    reg.write_model(
        "fresh", "v3", lineage={"parent": "v2"}, title="retitled", artifact_id="fresh-three"
    )
    reg.commit("new id")
    report_id = sync(reg.root, host_url)
    assert "fresh@v3" in report_id.removed and "fresh-three" in report_id.added
    assert_host_unchanged(host_url, outside)

    # A rewritten history (back to before the new id): a full sync, host untouched.
    reg.git("reset", "-q", "--hard", "HEAD~1")
    rewritten = sync(reg.root, host_url)
    assert rewritten.reason and "history rewritten" in rewritten.reason
    assert_host_unchanged(host_url, outside)

    # Removed files: a created row is deleted; the adopted row goes back to what it was.
    reg.remove("models/cell-type-classifier/v1.yaml")
    reg.remove("models/fresh/v3.yaml")
    reg.commit("remove")
    removed = sync(reg.root, host_url)
    assert f"artifacts {CELL}" in removed.restored
    assert not query(host_url, "SELECT id FROM artifacts WHERE id = 'fresh@v3'")
    with connect(host_url) as db:
        cell = db.query("SELECT * FROM artifacts WHERE id = ?", (CELL,))
        cell_mv = db.query("SELECT * FROM model_versions WHERE artifact_id = ?", (CELL,))
    assert dump(host_url)["artifacts"][repr(CELL)] == before["artifacts"][repr(CELL)], cell
    assert dump(host_url)["model_versions"][repr(CELL)] == before["model_versions"][repr(CELL)], (
        cell_mv
    )
    assert ("artifacts", CELL) not in owned(host_url)
    for table in ("artifacts", "model_versions"):  # the adopted rows are the host's again
        outside[table][repr(CELL)] = before[table][repr(CELL)]
    assert_host_unchanged(host_url, outside)
    assert status(reg.root, host_url).drift is False


def test_a_change_in_the_database_stops_sync(git_registry: GitRegistry, host_url: str) -> None:
    reg = git_registry
    registry(reg)
    sync(reg.root, host_url)
    ws4_promotes(host_url, "fresh@v1", "rejected")  # the eval gate, on a row afsreg wrote
    reg.write_model(
        "fresh",
        "v1",
        title="touched",
        lineage={
            "base_models": [
                {"external": "org/base", "source": "huggingface", "relation": "fine-tune"}
            ]
        },
    )
    reg.commit("touch v1")
    report = status(reg.root, host_url)
    assert report.changed_in_database == [
        "models/fresh/v1.yaml: model_versions fresh@v1: promotion_state changed in the database"
    ]
    assert report.different  # the title: behind the files, told apart
    before = dump(host_url)
    for full in (False, True):
        with pytest.raises(OwnershipError, match="fresh@v1: promotion_state changed") as caught:
            sync(reg.root, host_url, full=full)
        assert "--overwrite-db-changes" in str(caught.value) and "afsreg adopt" in str(caught.value)
        assert dump(host_url) == before
    result = run_afsreg(["sync", "--database-url", host_url], cwd=reg.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "promotion_state changed in the database" in result.stderr
    # Bringing the value into the file resolves it without any flag.
    reg.write_model(
        "fresh",
        "v1",
        title="touched",
        promotion={"state": "rejected"},
        lineage={
            "base_models": [
                {"external": "org/base", "source": "huggingface", "relation": "fine-tune"}
            ]
        },
    )
    reg.commit("take the eval gate's verdict")
    assert sync(reg.root, host_url).updated == ["fresh@v1"]
    assert not status(reg.root, host_url).drift


def test_overwrite_flag_writes_over_the_change(git_registry: GitRegistry, host_url: str) -> None:
    reg = git_registry
    registry(reg)
    sync(reg.root, host_url)
    ws4_promotes(host_url, "fresh@v1", "rejected")
    report = sync(reg.root, host_url, full=True, overwrite_db_changes=True)
    assert report.overwritten == ["model_versions fresh@v1"]
    assert query(
        host_url, "SELECT promotion_state FROM model_versions WHERE artifact_id = 'fresh@v1'"
    ) == [("candidate",)]


def test_an_id_collision_is_refused(git_registry: GitRegistry, host_url: str) -> None:
    reg = git_registry
    reg.write_model("clash", "v1", artifact_id="paper-0004")
    reg.commit("clash")
    before = dump(host_url)
    with pytest.raises(
        PreflightError, match=re.escape("models/clash/v1.yaml: artifact_id paper-0004")
    ) as caught:
        sync(reg.root, host_url)
    assert "'paper'" in str(caught.value)
    assert dump(host_url) == before


def test_a_referenced_row_is_kept(git_registry: GitRegistry, host_url: str) -> None:
    """A host comment on a row afsreg created: removing the file must not cascade it away."""
    reg = git_registry
    registry(reg)
    sync(reg.root, host_url)
    with connect(host_url) as db, db.transaction():
        db.execute("INSERT INTO comments (id, artifact_id, body) VALUES (9999, 'fresh@v2', 'nice')")
    reg.remove("models/fresh/v2.yaml")
    reg.commit("remove v2")
    report = sync(reg.root, host_url)
    assert any("fresh@v2: kept, still referenced by comments.artifact_id" in k for k in report.kept)
    assert query(host_url, "SELECT body FROM comments WHERE id = 9999") == [("nice",)]


def test_model_name_is_queryable_without_a_name_column(
    git_registry: GitRegistry, host_url: str
) -> None:
    reg = git_registry
    registry(reg)
    sync(reg.root, host_url)
    assert "name" not in query_columns(host_url)
    rows = query(
        host_url,
        "SELECT o.model_name, o.version, mv.promotion_state FROM model_versions mv "
        "JOIN afsreg_owned_rows o ON o.table_name = 'model_versions' AND o.row_id = mv.artifact_id "
        "WHERE mv.promotion_state = 'promoted' ORDER BY 1",
    )
    assert rows == [("cell-type-classifier", "v1", "promoted"), ("fresh", "v2", "promoted")]
    externals = query(
        host_url,
        "SELECT row_id FROM afsreg_owned_rows WHERE role = 'external' ORDER BY 1",
    )
    assert externals == [("external:dataset:eval-set",), ("external:huggingface:org/base",)]


def query_columns(url: str) -> list[str]:
    with connect(url) as db:
        return db.table_columns("artifacts")


def doc_queries() -> dict[str, str]:
    """The headline queries of docs/database.md, by dialect (their first line names it)."""
    text = (REPO_ROOT / "docs" / "database.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    found = {}
    for block in blocks:
        first = block.splitlines()[0].strip()
        if first in ("-- PostgreSQL", "-- SQLite"):
            found["postgresql" if "Postgre" in first else "sqlite"] = block
    return found


def test_the_documented_headline_query_runs_on_a_seed_shaped_database(
    git_registry: GitRegistry, host_url: str
) -> None:
    reg = git_registry
    registry(reg)
    sync(reg.root, host_url)
    sql = doc_queries()["sqlite" if host_url.startswith("sqlite") else "postgresql"]
    rows = {r[0]: r for r in query(host_url, sql)}
    assert set(rows) == {"cell-type-classifier", "fresh"}
    assert str(rows["fresh"][-1]) == "1"  # epochs, from the TEXT training_params_json


def test_a_missing_value_is_sql_null(git_registry: GitRegistry, host_url: str) -> None:
    reg = git_registry
    reg.write_model(
        "sparse",
        "v1",
        training_config=None,
        evaluation_metrics=None,
        review=[
            {"field": "training_config", "reason": "unknown"},
            {"field": "evaluation_metrics", "reason": "unknown"},
        ],
    )
    reg.commit("sparse")
    sync(reg.root, host_url)
    assert query(
        host_url,
        "SELECT COUNT(*) FROM model_versions WHERE artifact_id = 'sparse@v1' "
        "AND training_params_json IS NULL AND eval_metrics_json IS NULL",
    ) == [(1,)]
