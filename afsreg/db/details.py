"""The detail tables: deployments, owners and promotion decisions, every lineage edge, files.

Seed 000's tables keep one value per version (the first base model, the
promotion state); these tables keep the rest, so consumers can ask in SQL
what the CLI answers (see docs/database.md):

- ``afsreg_deployments``: every deployment record, with the commits that
  recorded its deployment and its undeployment;
- ``afsreg_versions``: owner and promotion decision (who, when, notes,
  superseded_by) of every version;
- ``afsreg_lineage``: every parent and base-model pointer, with canonical ids
  (``majora@v1``, ``huggingface:Qwen/Qwen2.5-Coder-7B``);
- ``afsreg_files``: every file (role, path/uri, sha256, size).

afsreg owns these tables entirely (its own migrations create them). A sync
rewrites the rows of exactly the versions it projects, inside its
transaction; rows are keyed by the version's artifact id, so a removed
version's rows go with its artifacts row (ON DELETE CASCADE).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pygit2

from afsreg.db.connect import Database
from afsreg.db.project import Kind, Lookup, Row, canonical_ts, differing_columns
from afsreg.db.tables import Table, delete, fetch, insert
from afsreg.format.record import ModelVersion
from afsreg.format.refs import base_model_id
from afsreg.read import deployments as deployments_mod
from afsreg.read.resolve import version_files
from afsreg.registry import Registry

DEPLOYMENT_COLUMNS: dict[str, Kind] = {
    "artifact_id": "text",
    "position": "int",
    "model": "text",
    "version": "text",
    "env": "text",
    "deployed_at": "ts",
    "deployed_by": "text",
    "undeployed_at": "ts",
    "undeployed_by": "text",
    "reason": "text",
    "deployed_commit": "text",
    "undeployed_commit": "text",
}
VERSION_COLUMNS: dict[str, Kind] = {
    "artifact_id": "text",
    "model": "text",
    "version": "text",
    "owner": "text",
    "promotion_state": "text",
    "decided_by": "text",
    "decided_at": "ts",
    "promotion_notes": "text",
    "superseded_by": "text",
    "superseded_by_version": "text",
}
LINEAGE_COLUMNS: dict[str, Kind] = {
    "child_artifact_id": "text",
    "kind": "text",
    "position": "int",
    "child_model": "text",
    "child_version": "text",
    "parent_ref": "text",
    "parent_artifact_id": "text",
    "external_source": "text",
    "revision": "text",
    "relation": "text",
}
FILE_COLUMNS: dict[str, Kind] = {
    "artifact_id": "text",
    "role": "text",
    "path": "text",
    "uri": "text",
    "location": "text",
    "sha256": "text",
    "size_bytes": "int",
}

DETAIL_TABLES = (
    Table("afsreg_deployments", ("artifact_id", "position"), DEPLOYMENT_COLUMNS),
    Table("afsreg_versions", ("artifact_id",), VERSION_COLUMNS),
    Table("afsreg_lineage", ("child_artifact_id", "kind", "position"), LINEAGE_COLUMNS),
    Table("afsreg_files", ("artifact_id", "role"), FILE_COLUMNS),
)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _ts(value: Any, version: ModelVersion, field: str) -> str | None:
    return canonical_ts(value, version.path, field)


def version_row(version: ModelVersion, lookup: Lookup) -> Row:
    promotion = version.data.get("promotion")
    promotion = promotion if isinstance(promotion, dict) else {}
    superseded = _text(promotion.get("superseded_by"))
    return {
        "artifact_id": version.artifact_id,
        "model": version.name,
        "version": version.version,
        "owner": version.owner,
        "promotion_state": version.promotion_state,
        "decided_by": _text(promotion.get("decided_by")),
        "decided_at": _ts(promotion.get("decided_at"), version, "promotion.decided_at"),
        "promotion_notes": _text(promotion.get("notes")),
        "superseded_by": lookup.artifact_id(version.name, superseded) if superseded else None,
        "superseded_by_version": superseded,
    }


def lineage_rows(version: ModelVersion, lookup: Lookup) -> list[Row]:
    rows = []
    base = {
        "child_artifact_id": version.artifact_id,
        "child_model": version.name,
        "child_version": version.version,
    }
    if version.parent:
        rows.append(
            {
                **base,
                "kind": "parent",
                "position": 0,
                "parent_ref": f"{version.name}@{version.parent}",
                "parent_artifact_id": lookup.artifact_id(version.name, version.parent),
                "external_source": None,
                "revision": None,
                "relation": None,
            }
        )
    for position, entry in enumerate(version.base_models):
        ref = base_model_id(entry)
        internal = isinstance(entry.get("model"), str)
        name, _, ver = ref.partition("@")
        rows.append(
            {
                **base,
                "kind": "base_model",
                "position": position,
                "parent_ref": ref,
                "parent_artifact_id": lookup.artifact_id(name, ver) if internal else None,
                "external_source": None if internal else _text(entry.get("source")),
                "revision": _text(entry.get("revision")),
                "relation": _text(entry.get("relation")),
            }
        )
    return rows


def file_rows(version: ModelVersion) -> list[Row]:
    return [
        {
            "artifact_id": version.artifact_id,
            "role": f["role"],
            "path": _text(f["path"]),
            "uri": _text(f["uri"]),
            "location": _text(f["location"]),
            "sha256": _text(f["sha256"]),
            "size_bytes": f["size_bytes"] if isinstance(f["size_bytes"], int) else None,
        }
        for f in version_files(version)
    ]


def deployment_rows(
    registry: Registry, versions: list[ModelVersion], repo: pygit2.Repository | None
) -> list[Row]:
    """Every deployment record of ``versions``, with its commits (from the registry's commit)."""
    rows = []
    records: list[deployments_mod.Deployment] = []
    positions: list[tuple[ModelVersion, int]] = []
    for version in versions:
        for position, record in enumerate(deployments_mod.records(version)):
            records.append(record)
            positions.append((version, position))
    if repo is not None:
        deployments_mod.attach_commits(registry, records, repo=repo)
    for record, (version, position) in zip(records, positions, strict=True):
        rows.append(
            {
                "artifact_id": version.artifact_id,
                "position": position,
                "model": version.name,
                "version": version.version,
                "env": record.env,
                "deployed_at": _ts(record.deployed_at, version, "deployments.deployed_at"),
                "deployed_by": record.deployed_by,
                "undeployed_at": _ts(record.undeployed_at, version, "deployments.undeployed_at"),
                "undeployed_by": record.undeployed_by,
                "reason": record.reason,
                "deployed_commit": (record.deployed_commit or {}).get("commit"),
                "undeployed_commit": (record.undeployed_commit or {}).get("commit"),
            }
        )
    return rows


def _key(table: Table, row: Row) -> Any:
    return row[table.key[0]] if len(table.key) == 1 else tuple(row[k] for k in table.key)


def desired_details(
    registry: Registry,
    versions: Iterable[ModelVersion],
    lookup: Lookup,
    repo: pygit2.Repository | None,
) -> dict[str, dict[Any, Row]]:
    """The rows of every detail table for ``versions``, by table name and key."""
    versions = list(versions)
    found: dict[str, list[Row]] = {
        "afsreg_deployments": deployment_rows(registry, versions, repo),
        "afsreg_versions": [version_row(v, lookup) for v in versions],
        "afsreg_lineage": [r for v in versions for r in lineage_rows(v, lookup)],
        "afsreg_files": [r for v in versions for r in file_rows(v)],
    }
    return {t.name: {_key(t, r): r for r in found[t.name]} for t in DETAIL_TABLES}


def present_tables(db: Database) -> tuple[Table, ...]:
    """The detail tables this database has (one query; a sync asks once, not per batch)."""
    names = db.existing_tables(t.name for t in DETAIL_TABLES)
    return tuple(t for t in DETAIL_TABLES if t.name in names)


def sync_details(
    db: Database,
    registry: Registry,
    versions: Iterable[ModelVersion],
    lookup: Lookup,
    repo: pygit2.Repository | None,
    affected_ids: Iterable[str] | None = None,
    present: Sequence[Table] | None = None,
) -> int:
    """Make the detail rows of the affected versions what the files say; the number of rows written.

    ``affected_ids`` None: the whole tables (a full sync). Otherwise only the
    rows keyed by those artifact ids (an incremental sync: the versions it
    projects and the ids that went away), so incremental and full agree.
    ``present``: the detail tables that exist (``present_tables``), when the
    caller already asked.
    """
    desired = desired_details(registry, versions, lookup, repo)
    ids = None if affected_ids is None else sorted(set(affected_ids))
    written = 0
    for table in present_tables(db) if present is None else present:
        existing = fetch(db, table, ids)
        wanted = desired[table.name]
        stale = {
            key
            for key, row in existing.items()
            if key not in wanted or differing_columns(wanted[key], row, table.columns)
        }
        delete(db, table, stale)
        fresh = [row for key, row in wanted.items() if key not in existing or key in stale]
        insert(db, table, fresh)
        written += len(fresh) + len([k for k in stale if k not in wanted])
    return written


def snapshot(db: Database) -> dict[str, dict[Any, Row]]:
    """Every row of the detail tables (for tests and status)."""
    return {t.name: fetch(db, t) for t in present_tables(db)}
