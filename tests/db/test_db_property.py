"""Property: incremental syncs after any sequence of commits leave the same tables as one full sync.

Random sequences of commits add, modify, rename and delete versions (with
parents, cross-model base models, external bases, explicit artifact ids),
change lineage, deploy, undeploy and roll back, and sometimes rewrite
history; a sync may follow several commits at once. After every sync the
database synced incrementally must equal a full sync of the same commit into
a fresh one: as canonical rows, and byte for byte (every afsreg table as the
driver returns it, in the same dialect).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRegistry, dump, model_doc
from db_fixtures import all_rows
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import afsreg.db.full
from afsreg.db.connect import connect
from afsreg.db.sync import sync
from afsreg.registry import Registry

MODELS = ("a", "b")
VERSIONS = ("v1", "v2", "v3", "v10")


# Every table afsreg writes, and the columns that say when rather than what.
RAW_TABLES = (
    "artifacts",
    "model_versions",
    "model_version_events",
    "afsreg_deployments",
    "afsreg_versions",
    "afsreg_lineage",
    "afsreg_files",
    "afsreg_owned_rows",
    "afsreg_sync_state",
)
VOLATILE = {
    "afsreg_owned_rows": {"written_at"},
    "afsreg_sync_state": {"synced_at", "mode"},
}


def raw_snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every afsreg table, as the driver returns it, in a fixed order."""
    with connect(url) as db:
        found = {}
        for table in RAW_TABLES:
            names = [c for c in db.table_columns(table) if c not in VOLATILE.get(table, set())]
            rows = db.query(f"SELECT {', '.join(names)} FROM {table}")
            found[table] = sorted(rows, key=repr)
        return found


def current_files(root: Path) -> dict[str, dict[str, Any]]:
    import yaml

    return {
        p.relative_to(root).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted((root / "models").rglob("*.yaml"))
    }


def apply_op(reg: GitRegistry, data: st.DataObject) -> str:
    """Make one random change in the work tree; returns its kind."""
    files = current_files(reg.root)
    kind = data.draw(
        st.sampled_from(
            ["add", "add", "modify", "rename", "delete", "artifact_id", "lineage", "rollback"]
        )
    )
    if kind == "add" or not files:
        name = data.draw(st.sampled_from(MODELS))
        version = data.draw(st.sampled_from(VERSIONS))
        overrides: dict[str, Any] = {}
        siblings = [p for p in files if p.startswith(f"models/{name}/")]
        others = [p for p in files if not p.startswith(f"models/{name}/")]
        lineage: dict[str, Any] = {}
        if siblings and data.draw(st.booleans()):
            lineage["parent"] = Path(data.draw(st.sampled_from(siblings))).stem
        if others and data.draw(st.booleans()):
            other = data.draw(st.sampled_from(others))
            lineage["base_models"] = [
                {"model": f"{other.split('/')[1]}@{Path(other).stem}", "relation": "fine-tune"}
            ]
        elif data.draw(st.booleans()):
            lineage["base_models"] = [
                {"external": "org/base", "source": "huggingface", "relation": "adapter"}
            ]
        if lineage and lineage.get("parent") != version:
            overrides["lineage"] = lineage
        reg.write_model(name, version, **overrides)
        return "add"
    path = data.draw(st.sampled_from(sorted(files)))
    doc = files[path]
    if kind == "modify":
        field = data.draw(
            st.sampled_from(
                ["title", "metrics", "promotion", "dataset", "status", "deploy", "files", "owner"]
            )
        )
        if field == "title":
            doc["title"] = data.draw(st.sampled_from(["Alpha", "Beta", "Gamma"]))
        elif field == "metrics":
            doc["evaluation_metrics"] = {"accuracy": data.draw(st.sampled_from([0.1, 0.5, 0.9]))}
        elif field == "promotion":
            doc["promotion"] = {
                "state": data.draw(st.sampled_from(["candidate", "promoted", "rejected"]))
            }
        elif field == "dataset":
            doc["evaluation_dataset"] = data.draw(
                st.sampled_from([None, "eval-set", {"name": "other", "revision": "r2"}])
            )
        elif field == "deploy":
            # Deployed (the detail table afsreg_deployments), then maybe undeployed.
            record = {
                "env": "production",
                "deployed_at": "2026-01-02T00:00:00Z",
                "deployed_by": "x",
            }
            if data.draw(st.booleans()):
                record |= {"undeployed_at": "2026-01-03T00:00:00Z", "undeployed_by": "y"}
            doc["promotion"] = {"state": "promoted", "decided_by": "x"}
            doc["deployments"] = [record]
            doc["status"] = "completed" if "undeployed_at" in record else "deployed"
        elif field == "files":
            doc["files"] = {
                "lora": {"path": data.draw(st.sampled_from(["/a", "/b"])), "size_bytes": 3}
            }
        elif field == "owner":
            doc["owner"] = data.draw(st.sampled_from(["alice", "bob"]))
        else:
            doc["status"] = data.draw(st.sampled_from(["completed", "deprecated"]))
        reg.write(path, dump(doc))
    elif kind == "rename":
        new_version = data.draw(st.sampled_from(VERSIONS))
        new_path = f"models/{doc['name']}/{new_version}.yaml"
        if new_path in files:
            return "none"
        doc["version"] = new_version
        reg.remove(path)
        reg.write(new_path, dump(doc))
    elif kind == "delete":
        reg.remove(path)
    elif kind == "lineage":
        change_lineage(reg, data, path, doc, files)
    elif kind == "rollback":
        roll_back(reg, data, path, doc, files)
    else:
        doc["artifact_id"] = data.draw(
            st.sampled_from([None, f"id-{doc['name']}-{doc['version']}", "shared-id"])
        )
        reg.write(path, dump(doc))
    return f"{kind} {field}" if kind == "modify" else kind


def change_lineage(
    reg: GitRegistry, data: st.DataObject, path: str, doc: dict[str, Any], files: dict[str, Any]
) -> None:
    """Point a version at another parent or base model, or at none."""
    siblings = sorted(p for p in files if p.startswith(f"models/{doc['name']}/") and p != path)
    others = sorted(p for p in files if not p.startswith(f"models/{doc['name']}/"))
    lineage: dict[str, Any] = {}
    if siblings and data.draw(st.booleans()):
        lineage["parent"] = Path(data.draw(st.sampled_from(siblings))).stem
    choice = data.draw(st.sampled_from(["none", "model", "external", "both"]))
    bases: list[dict[str, Any]] = []
    if choice in ("model", "both") and others:
        other = data.draw(st.sampled_from(others))
        bases.append(
            {"model": f"{other.split('/')[1]}@{Path(other).stem}", "relation": "fine-tune"}
        )
    if choice in ("external", "both"):
        revision = data.draw(st.sampled_from([None, "r1"]))
        base = {"external": "org/other", "source": "huggingface", "relation": "adapter"}
        bases.append(base | ({"revision": revision} if revision else {}))
    if bases:
        lineage["base_models"] = bases
    if lineage:
        doc["lineage"] = lineage
    else:
        doc.pop("lineage", None)
    reg.write(path, dump(doc))


def roll_back(
    reg: GitRegistry, data: st.DataObject, path: str, doc: dict[str, Any], files: dict[str, Any]
) -> None:
    """Undeploy what a model has in production and deploy this version instead (a rollback)."""
    day = data.draw(st.integers(4, 9))
    for other_path, other in files.items():
        if other_path == path or other.get("name") != doc["name"]:
            continue
        changed = False
        for record in other.get("deployments") or []:
            if record.get("env") == "production" and not record.get("undeployed_at"):
                record |= {"undeployed_at": f"2026-01-0{day}T00:00:00Z", "undeployed_by": "ops"}
                changed = True
        if changed or (other.get("promotion") or {}).get("state") == "promoted":
            other["status"] = "completed"
            other["promotion"] = {"state": "rejected", "decided_by": "ops"}
            reg.write(other_path, dump(other))
    for record in doc.get("deployments") or []:
        if record.get("env") == "production" and not record.get("undeployed_at"):
            record |= {"undeployed_at": f"2026-01-0{day}T00:00:00Z", "undeployed_by": "ops"}
    doc["deployments"] = [
        *(doc.get("deployments") or []),
        {
            "env": "production",
            "deployed_at": f"2026-01-0{day}T01:00:00Z",
            "deployed_by": "ops",
            "reason": "rollback",
        },
    ]
    doc["promotion"] = {"state": "promoted", "decided_by": "ops"}
    doc["status"] = "deployed"
    reg.write(path, dump(doc))


def check_incremental_equals_full(
    data: st.DataObject, url: str, tmp: Path, same_dialect_url: str | None = None
) -> None:
    """Sync ``url`` incrementally along random commits; compare with a full sync into a fresh database.

    ``same_dialect_url`` (emptied before each comparison) takes the full sync
    for the byte-for-byte comparison; by default a fresh SQLite file does.
    """
    with pytest.MonkeyPatch.context() as patch:
        # Full syncs write one model per batch here: the property covers the batching
        # (rows pointing into later batches, external references shared across them).
        patch.setattr(afsreg.db.full, "VERSION_BATCH", 1)
        run_commits(data, url, tmp, same_dialect_url)


def run_commits(data: st.DataObject, url: str, tmp: Path, same_dialect_url: str | None) -> None:
    reg = GitRegistry(tmp / "registry")
    reg.write("models/a/v1.yaml", dump(model_doc("a", "v1")))
    reg.commit("start")
    sync(reg.root, url)
    commits = 1
    steps = data.draw(st.integers(min_value=1, max_value=6))
    for step in range(steps):
        if commits > 1 and data.draw(st.integers(0, 5)) == 0:
            reg.git("reset", "-q", "--hard", "HEAD~1")  # rewrite history
            commits -= 1
        kinds = [apply_op(reg, data) for _ in range(data.draw(st.integers(1, 3)))]
        if Registry.open(reg.root).errors:
            reg.git("reset", "-q", "--hard")
            reg.git("clean", "-qfd")
            continue
        for kind in kinds:
            event(f"committed: {kind}")  # --hypothesis-show-statistics: what the property covered
        reg.commit(f"step {step}")
        commits += 1
        if step < steps - 1 and data.draw(st.integers(0, 2)) == 0:
            continue  # the next sync covers several commits
        report = sync(reg.root, url)
        fresh = f"sqlite:///{tmp}/full-{step}.sqlite3"
        sync(reg.root, fresh, full=True)
        assert all_rows(url) == all_rows(fresh)
        if same_dialect_url is None:
            same_dialect_url = fresh
        else:
            empty_tables(same_dialect_url)
            sync(reg.root, same_dialect_url, full=True)
        assert report.mode in ("incremental", "full", "noop")
        assert raw_snapshot(url) == raw_snapshot(same_dialect_url)
        if same_dialect_url == fresh:
            same_dialect_url = None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_equals_full_sqlite(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_incremental_equals_full(data, f"sqlite:///{tmp}/incremental.sqlite3", Path(tmp))


def empty_tables(url: str) -> None:
    with connect(url) as db, db.transaction():
        for table in (
            "afsreg_deployments",
            "afsreg_versions",
            "afsreg_lineage",
            "afsreg_files",
            "model_versions",
            "model_version_events",
            "artifacts",
            "afsreg_sync_state",
            "afsreg_owned_rows",
        ):
            if db.table_exists(table):
                db.execute(f"DELETE FROM {table}")


@pytest.fixture
def second_pg_url() -> Iterator[str]:
    """Another fresh PostgreSQL database: where the full sync goes for the byte-for-byte comparison."""
    import psycopg
    from conftest import _pg_admin_url, _with_database

    admin = _pg_admin_url()
    name = f"afsreg_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_incremental_equals_full_postgresql(pg_url: str, second_pg_url: str) -> None:
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def run(data: st.DataObject) -> None:
        empty_tables(pg_url)
        with tempfile.TemporaryDirectory() as tmp:
            check_incremental_equals_full(data, pg_url, Path(tmp), second_pg_url)

    run()
