"""A seed-000-shaped host database: the shared database afsreg is a guest in.

``build_host(url)`` creates, on SQLite or PostgreSQL:

- ``artifacts`` in the host's own shape: the seed's lineage columns, no ``name``
  column, TEXT metadata and times, and two columns of the host's own;
- 320 non-model rows (papers, datasets, notebooks, hypotheses), one of them
  with metadata that is not JSON;
- the 8 seed-000 model rows with full ids and metadata blobs with host keys;
- seed 000's ``model_versions`` as its WS1 migration wrote it (TEXT types), with
  the WS1 backfill rows for the 8 models (all candidate);
- ``comments`` (ON DELETE CASCADE to artifacts) and ``links`` (no cascade) pointing
  at artifacts, and the host's own ``schema_migrations`` table.

``dump(url)`` returns every row of every table, exactly as stored, to compare
what afsreg must not have touched.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from afsreg.db.connect import Database, connect

# The 8 seed-000 model artifacts, with the full ids the host database has
# (seed 000 prints the UUID-style ones truncated).
SEED_MODELS = {
    "model-29ce54ef-5c1a-4d0e-9f7e-1a2b3c4d5e6f": "Neurodegeneration Risk Predictor",
    "model-56e6e50d-0b7e-4f35-8a61-2b3c4d5e6f70": "Amyloid Production-Clearance Model",
    "model-14307274-3d2c-4b1a-9e8f-3c4d5e6f7081": "Cell Type Classifier",
    "model-8479a365-7e6d-4c5b-8a9f-4d5e6f708192": "AD Risk Prediction Model",
    "model-45e16a37-9f8e-4d7c-b6a5-5e6f708192a3": "Microglial Activation Model",
    "model-9ccc79de-1a2b-4c3d-8e4f-6f708192a3b4": "Microglial-Amyloid-Cytokine Activation Model v1",
    "model_ot_ad_zscore_rules_v1": "OT-AD Target Ranking baseline",
    "model-biophys-microglia-001": "Microglial Activation ODE (TREM2/APOE/IL-6)",
}
HOST_TYPES = ("paper", "dataset", "notebook", "hypothesis")
NON_MODEL_ROWS = 320


def artifacts_ddl(
    dialect: str,
    *,
    is_latest: str = "INTEGER DEFAULT 0",
    created_at: str | None = None,
    extra: str = "",
    with_name: bool = False,
) -> str:
    now = "(datetime('now'))" if dialect == "sqlite" else "(now()::text)"
    created = created_at or f"TEXT DEFAULT {now}"
    return f"""CREATE TABLE artifacts (
        id TEXT PRIMARY KEY,
        artifact_type TEXT NOT NULL,
        {"name TEXT," if with_name else ""}
        title TEXT,
        metadata TEXT,
        version_number INTEGER,
        parent_version_id TEXT,
        version_tag TEXT,
        changelog TEXT,
        is_latest {is_latest},
        lifecycle_state TEXT,
        superseded_by TEXT,
        origin_type TEXT,
        origin_url TEXT,
        created_at {created},
        updated_at TEXT,
        quality_score REAL,
        owner_agent TEXT{extra}
    )"""


# Seed 000's WS1 migration, as it ran (SQLite spelling; on PostgreSQL the same TEXT types).
SEED_MODEL_VERSIONS = """CREATE TABLE model_versions (
    artifact_id TEXT PRIMARY KEY REFERENCES artifacts(id) ON DELETE CASCADE,
    is_external INTEGER NOT NULL DEFAULT 0,
    external_source_url TEXT,
    external_source_version TEXT,
    base_model_id TEXT REFERENCES artifacts(id),
    code_repo_url TEXT,
    code_commit_sha TEXT,
    code_entrypoint TEXT,
    training_started_at TEXT,
    training_completed_at TEXT,
    trained_by TEXT,
    gpu_allocation_id TEXT,
    training_params_json TEXT,
    eval_metrics_json TEXT,
    eval_dataset_artifact_id TEXT REFERENCES artifacts(id),
    benchmark_id TEXT,
    promotion_state TEXT NOT NULL DEFAULT 'candidate'
        CHECK(promotion_state IN ('candidate','promoted','rejected','superseded')),
    promotion_notes TEXT,
    created_at TEXT NOT NULL DEFAULT {now}
)"""


def build_host(url: str, *, artifacts: str | None = None, model_versions: bool = True) -> None:
    """Create the host database at ``url`` (an empty database)."""
    with connect(url) as db, db.transaction():
        now = "(datetime('now'))" if db.dialect == "sqlite" else "(now()::text)"
        db.execute(artifacts or artifacts_ddl(db.dialect))
        db.execute(
            "CREATE TABLE comments (id INTEGER PRIMARY KEY, "
            "artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE, body TEXT)"
        )
        db.execute(
            "CREATE TABLE links (source_id TEXT NOT NULL REFERENCES artifacts(id), "
            "target_id TEXT NOT NULL, relation TEXT)"
        )
        db.execute(
            "CREATE TABLE schema_migrations (filename TEXT PRIMARY KEY, ran_at TEXT NOT NULL)"
        )
        db.execute("INSERT INTO schema_migrations VALUES ('099_model_versions.py', '2026-04-16')")
        columns = set(db.table_columns("artifacts"))
        latest: object = True if "is_latest BOOLEAN" in (artifacts or "") else 1
        # One host row whose metadata is not a JSON object (jsonb cannot hold non-JSON text at all).
        legacy = "legacy: not json {"
        odd = json.dumps(legacy) if "metadata JSONB" in (artifacts or "") else legacy
        rows = []
        for i in range(NON_MODEL_ROWS):
            kind = HOST_TYPES[i % len(HOST_TYPES)]
            meta: Any = {"doi": f"10.1000/{i}", "tags": [kind, f"t{i % 7}"], "score": i / 10}
            rows.append(
                {
                    "id": f"{kind}-{i:04d}",
                    "artifact_type": kind,
                    "title": f"{kind.title()} {i}",
                    "metadata": odd if i == 7 else json.dumps(meta),
                    "version_number": 1,
                    "is_latest": latest,
                    "lifecycle_state": "active",
                    "origin_type": "internal",
                    "created_at": f"2026-0{1 + i % 4}-1{i % 10}T08:00:00",
                    "quality_score": i / 3,
                    "owner_agent": f"agent-{i % 5}",
                }
            )
        for n, (ident, title) in enumerate(SEED_MODELS.items()):
            meta = {
                "model_family": "biophysical-ode"
                if "ODE" in title or "Clearance" in title
                else "ml",
                "framework": "sklearn" if n % 2 else None,
                "source_notebook": f"notebook-{n:04d}",
                "legacy_tags": ["seed-000", title.split()[0].lower()],
                "quality_flags": {"reviewed": n % 3 == 0},
            }
            rows.append(
                {
                    "id": ident,
                    "artifact_type": "model",
                    "title": title,
                    "metadata": json.dumps(meta),
                    "version_number": 1,
                    "is_latest": latest,
                    "lifecycle_state": "active",
                    "changelog": "created by the SciDEX atlas",
                    "origin_type": "internal",
                    "created_at": f"2026-03-0{n + 1}T12:00:00",
                    "quality_score": 0.9,
                    "owner_agent": "atlas",
                }
            )
        _insert(db, "artifacts", [{k: v for k, v in r.items() if k in columns} for r in rows])
        db.executemany(
            "INSERT INTO comments (id, artifact_id, body) VALUES (?, ?, ?)",
            [(i, r["id"], f"comment {i}") for i, r in enumerate(rows[::5] + rows[-8:], start=1)],
        )
        db.executemany(
            "INSERT INTO links (source_id, target_id, relation) VALUES (?, ?, ?)",
            [(r["id"], rows[0]["id"], "cites") for r in rows[1:40:3]],
        )
        if model_versions:
            db.execute(SEED_MODEL_VERSIONS.format(now=now))
            db.executemany(
                "INSERT INTO model_versions (artifact_id, code_entrypoint, promotion_state, "
                "training_params_json, created_at) VALUES (?, ?, 'candidate', ?, ?)",
                [
                    (
                        ident,
                        "forge/training/train_celltype.py" if "14307274" in ident else None,
                        json.dumps({"backfilled": True}),
                        "2026-04-16 15:20:00",
                    )
                    for ident in SEED_MODELS
                ],
            )


def _insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    names = sorted({k for r in rows for k in r})
    marks = ", ".join("?" for _ in names)
    db.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
        [tuple(r.get(n) for n in names) for r in rows],
    )


def tables_of(db: Database) -> list[str]:
    if db.dialect == "sqlite":
        rows = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    else:
        rows = db.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    return [str(r[0]) for r in rows]


def dump(url: str) -> dict[str, dict[str, dict[str, str]]]:
    """Every table's rows exactly as stored: table -> row key -> column -> repr of the value."""
    result: dict[str, dict[str, dict[str, str]]] = {}
    with connect(url) as db:
        for table in tables_of(db):
            columns = db.table_columns(table)
            rows = db.query(f"SELECT * FROM {table}")
            keyed: dict[str, dict[str, str]] = {}
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                key = repr(values.get("id", values.get("artifact_id", row)))
                keyed[key] = {c: repr(v) for c, v in values.items()}
            result[table] = keyed
    return result


def owned(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    """afsreg's ownership records: (table, row id) -> {origin, written columns}."""
    with connect(url) as db:
        if "afsreg_owned_rows" not in tables_of(db):
            return {}
        rows = db.query("SELECT table_name, row_id, origin, written_json FROM afsreg_owned_rows")
    result = {}
    for table, ident, origin, written in rows:
        written = json.loads(written) if isinstance(written, str) else written
        result[(str(table), str(ident))] = {"origin": origin, "written": written}
    return result


def host_view(
    data: dict[str, dict[str, dict[str, str]]], records: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, dict[str, dict[str, str]]]:
    """A dump without what afsreg owns (per ``records``): its tables, rows it created, columns it wrote.

    A metadata column afsreg merged into is kept with afsreg's keys removed, so
    the host's keys are still compared.
    """
    view = {
        table: {key: dict(row) for key, row in rows.items()}
        for table, rows in data.items()
        if not (table.startswith("afsreg_") or table == "model_version_events")
    }
    for (table, ident), record in records.items():
        rows = view.get(table, {})
        key = repr(ident)
        if key not in rows:
            continue
        if record["origin"] == "created":
            del rows[key]
            continue
        for column in record["written"]:
            if column == "metadata":
                stored = ast.literal_eval(rows[key]["metadata"])
                meta = json.loads(stored) if isinstance(stored, str) else dict(stored)
                for k in record["written"]["metadata"]:
                    meta.pop(k, None)
                rows[key]["metadata"] = json.dumps(meta, sort_keys=True)
            else:
                rows[key].pop(column, None)
    return view


def assert_host_unchanged(url: str, before: dict[str, dict[str, dict[str, str]]]) -> None:
    """Every row and column afsreg does not own is byte-identical to ``before``."""
    records = owned(url)
    after = host_view(dump(url), records)
    expected = host_view(before, records)
    for table in expected:
        assert after.get(table) == expected[table], (
            table,
            _diff(after.get(table) or {}, expected[table]),
        )


def _diff(after: dict[str, dict[str, str]], expected: dict[str, dict[str, str]]) -> list[str]:
    lines = [f"gone: {k}" for k in expected if k not in after]
    lines += [f"new: {k}" for k in after if k not in expected]
    for key in expected.keys() & after.keys():
        for column in expected[key].keys() | after[key].keys():
            if expected[key].get(column) != after[key].get(column):
                lines.append(
                    f"{key}.{column}: {expected[key].get(column)} -> {after[key].get(column)}"
                )
    return lines[:20]
