"""Property: incremental syncs after any sequence of commits leave the same tables as one full sync.

Random sequences of commits add, modify, rename and delete versions (with
parents, cross-model base models, external bases, explicit artifact ids),
and sometimes rewrite history. After every commit the database synced
incrementally must equal a full sync of the same commit into a fresh one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRegistry, dump, model_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afsreg.db.connect import connect
from afsreg.db.details import DETAIL_TABLES
from afsreg.db.sync import sync
from afsreg.db.tables import fetch, tables
from afsreg.registry import Registry

MODELS = ("a", "b")
VERSIONS = ("v1", "v2", "v3", "v10")


def snapshot(url: str) -> dict[str, Any]:
    with connect(url) as db:
        return {t.name: fetch(db, t) for t in (*tables(db), *DETAIL_TABLES)}


def current_files(root: Path) -> dict[str, dict[str, Any]]:
    import yaml

    return {
        p.relative_to(root).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted((root / "models").rglob("*.yaml"))
    }


def apply_op(reg: GitRegistry, data: st.DataObject) -> None:
    files = current_files(reg.root)
    kind = data.draw(st.sampled_from(["add", "add", "modify", "rename", "delete", "artifact_id"]))
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
        return
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
            return
        doc["version"] = new_version
        reg.remove(path)
        reg.write(new_path, dump(doc))
    elif kind == "delete":
        reg.remove(path)
    else:
        doc["artifact_id"] = data.draw(
            st.sampled_from([None, f"id-{doc['name']}-{doc['version']}", "shared-id"])
        )
        reg.write(path, dump(doc))


def check_incremental_equals_full(data: st.DataObject, url: str, tmp: Path) -> None:
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
        for _ in range(data.draw(st.integers(1, 3))):
            apply_op(reg, data)
        if Registry.open(reg.root).errors:
            reg.git("reset", "-q", "--hard")
            reg.git("clean", "-qfd")
            continue
        reg.commit(f"step {step}")
        commits += 1
        sync(reg.root, url)
        fresh = f"sqlite:///{tmp}/full-{step}.sqlite3"
        sync(reg.root, fresh, full=True)
        assert snapshot(url) == snapshot(fresh)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_equals_full_sqlite(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_incremental_equals_full(data, f"sqlite:///{tmp}/incremental.sqlite3", Path(tmp))


@pytest.mark.postgres
def test_incremental_equals_full_postgresql(pg_url: str) -> None:
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def run(data: st.DataObject) -> None:
        with connect(pg_url) as db, db.transaction():
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
        with tempfile.TemporaryDirectory() as tmp:
            check_incremental_equals_full(data, pg_url, Path(tmp))

    run()
