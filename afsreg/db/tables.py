"""Reading and writing the projected tables, row by row or in batches.

Everything here runs inside the caller's transaction and works on canonical
rows (see afsreg.db.project).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from afsreg.db.connect import Database, DatabaseError
from afsreg.db.preflight import HostSchema, read_columns
from afsreg.db.project import (
    ARTIFACT_COLUMNS,
    EVENT_COLUMNS,
    MODEL_VERSION_COLUMNS,
    REQUIRED_ARTIFACT_COLUMNS,
    Kind,
    Row,
    from_db,
    row_reader,
    row_values,
    rows_values,
)

STATE_TABLE = "afsreg_sync_state"


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: dict[str, Kind]  # the columns afsreg writes that the table actually has
    # NOT NULL columns with a default: an insert leaves them out when afsreg's value is NULL.
    defaulted: frozenset[str] = frozenset()


def tables(db: Database, schema: HostSchema | None = None) -> tuple[Table, Table, Table]:
    """(artifacts, model_versions, model_version_events) as they are in this database.

    A reused artifacts table may lack some of afsreg's columns; afsreg then
    writes the ones it has, and needs at least id, artifact_type and metadata.
    ``schema``: the columns as the caller read them in this transaction
    (afsreg.db.preflight.inspect); read here when None.
    """
    host = (
        schema
        if schema is not None
        else HostSchema(columns={t: read_columns(db, t) for t in ("artifacts", "model_versions")})
    )
    present = host.columns["artifacts"]
    missing = [c for c in REQUIRED_ARTIFACT_COLUMNS if c not in present]
    if missing:
        raise DatabaseError(
            f"{db.url}: table artifacts has no column {', '.join(missing)}; cannot project into it"
        )
    artifact_columns: dict[str, Kind] = {
        c: host.kind("artifacts", c, k) for c, k in ARTIFACT_COLUMNS.items() if c in present
    }
    version_columns: dict[str, Kind] = {
        c: host.kind("model_versions", c, k) for c, k in MODEL_VERSION_COLUMNS.items()
    }
    return (
        Table("artifacts", ("id",), artifact_columns, frozenset(host.defaulted("artifacts"))),
        Table(
            "model_versions",
            ("artifact_id",),
            version_columns,
            frozenset(host.defaulted("model_versions")),
        ),
        Table("model_version_events", ("commit_sha", "path"), dict(EVENT_COLUMNS)),
    )


def _key_of(table: Table, row: Mapping[str, Any]) -> Any:
    return row[table.key[0]] if len(table.key) == 1 else tuple(row[k] for k in table.key)


def fetch(
    db: Database, table: Table, ids: Iterable[Any] | None = None, *, where: str = ""
) -> dict[Any, Row]:
    """Rows of ``table`` by key: all of them, those whose single-column key is in ``ids``, or ``where``."""
    names = list(table.columns)
    select = f"SELECT {', '.join(names)} FROM {table.name}"
    to_row = row_reader(table.columns, names)
    result: dict[Any, Row] = {}
    if ids is None:
        for values in db.query(select + (f" WHERE {where}" if where else "")):
            row = to_row(values)
            result[_key_of(table, row)] = row
        return result
    for condition, params in db.where_in(table.key[0], ids):
        for values in db.query(f"{select} WHERE {condition}", params):
            row = to_row(values)
            result[_key_of(table, row)] = row
    return result


def insert(db: Database, table: Table, rows: Sequence[Row]) -> None:
    """Insert ``rows``; a NULL for a NOT NULL column with a default is left out so the default applies."""
    defaulted = [c for c in table.columns if c in table.defaulted]
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        left_out = tuple(c for c in defaulted if row.get(c) is None) if defaulted else ()
        groups.setdefault(left_out, []).append(row)
    for left_out, group in groups.items():
        names = tuple(c for c in table.columns if c not in left_out)
        db.insert_rows(table.name, names, rows_values(group, table.columns, names))


def update_columns(db: Database, table: Table, row_id: Any, values: Mapping[str, Any]) -> None:
    """Set only ``values``' columns of one row (single-column key): what afsreg owns of a shared row."""
    names = [
        c
        for c in values
        if c in table.columns
        and c not in table.key
        and not (c in table.defaulted and values[c] is None)
    ]
    if not names:
        return
    assignments = ", ".join(f"{n} = ?" for n in names)
    db.execute(
        f"UPDATE {table.name} SET {assignments} WHERE {table.key[0]} = ?",
        [*row_values(values, table.columns, names), row_id],
    )


def update(db: Database, table: Table, rows: Sequence[Row]) -> None:
    """Rewrite every afsreg column of ``rows`` (rows afsreg created); a NOT NULL column is never set to NULL."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        names = tuple(
            c
            for c in table.columns
            if c not in table.key and not (c in table.defaulted and row.get(c) is None)
        )
        groups.setdefault(names, []).append(row)
    condition = " AND ".join(f"{k} = ?" for k in table.key)
    for names, group in groups.items():
        assignments = ", ".join(f"{n} = ?" for n in names)
        db.executemany(
            f"UPDATE {table.name} SET {assignments} WHERE {condition}",
            [
                row_values(r, table.columns, names) + row_values(r, table.columns, table.key)
                for r in group
            ],
        )


def delete(db: Database, table: Table, keys: Iterable[Any]) -> None:
    wanted = sorted(set(keys))
    if not wanted:
        return
    if len(table.key) == 1:
        for condition, params in db.where_in(table.key[0], wanted):
            db.execute(f"DELETE FROM {table.name} WHERE {condition}", params)
        return
    condition = " AND ".join(f"{k} = ?" for k in table.key)
    db.executemany(f"DELETE FROM {table.name} WHERE {condition}", wanted)


def delete_where_in(db: Database, table: str, column: str, values: Iterable[Any]) -> None:
    for condition, params in db.where_in(column, values):
        db.execute(f"DELETE FROM {table} WHERE {condition}", params)


def select_in(db: Database, sql: str, column: str, values: Iterable[Any]) -> list[tuple[Any, ...]]:
    """``sql`` (a SELECT with no WHERE) restricted to ``column IN values``, chunked."""
    rows: list[tuple[Any, ...]] = []
    for condition, params in db.where_in(column, values):
        rows.extend(db.query(f"{sql} WHERE {condition}", params))
    return rows


# -- sync state -------------------------------------------------------------------


@dataclass(frozen=True)
class SyncState:
    commit_sha: str
    rev: str
    synced_at: str
    afsreg_version: str
    mode: str
    shallow: str = ""  # the shallow boundary synced at (afsreg.git.history.shallow_key)


def read_state(db: Database) -> SyncState | None:
    if not db.table_exists(STATE_TABLE):
        return None
    has_shallow = "shallow" in db.table_columns(STATE_TABLE)
    shallow = ", shallow" if has_shallow else ""  # before migration 0014
    rows = db.query(
        f"SELECT commit_sha, rev, synced_at, afsreg_version, mode{shallow} FROM {STATE_TABLE} WHERE id = 1"
    )
    if not rows:
        return None
    sha, rev, synced_at, version, mode, *rest = rows[0]
    return SyncState(
        str(sha),
        str(rev),
        str(from_db(synced_at, "ts")),
        str(version),
        str(mode),
        str(rest[0]) if rest else "",
    )


def write_state(
    db: Database, commit_sha: str, rev: str, afsreg_version: str, mode: str, shallow: str
) -> None:
    db.execute(f"DELETE FROM {STATE_TABLE}")
    db.execute(
        f"INSERT INTO {STATE_TABLE} (id, commit_sha, rev, synced_at, afsreg_version, mode, shallow)"
        " VALUES (1, ?, ?, ?, ?, ?, ?)",
        (commit_sha, rev, datetime.now(UTC).isoformat(), afsreg_version, mode, shallow),
    )
