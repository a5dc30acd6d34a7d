"""Which rows afsreg owns in a shared database, and what it last wrote there.

afsreg is a guest in ``artifacts`` and ``model_versions``: other services
write there too (a host's papers and datasets, a training pipeline's
versions, an eval gate's promotion states). ``afsreg_owned_rows`` records
every row afsreg created or adopted, with the columns and values it last
wrote (``written``) and, for an adopted row, what those columns held before
(``previous``). The rules that follow from it (docs/database.md, "Ownership"):

- a row afsreg neither created nor adopted is never updated or deleted;
- an adopted row is merged, never replaced: afsreg writes only the columns
  the file gives a value for, ``metadata`` keeps the host's other keys, and
  ``created_at`` and the host's own columns are never written;
- a row whose current values differ from what afsreg last wrote was changed
  outside git; sync stops before writing and lists it (``OutsideChanges``),
  unless told to overwrite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from afsreg.db.connect import Database
from afsreg.db.project import Row, Verbatim, from_db, json_text, to_db
from afsreg.errors import AfsregError
from afsreg.format.fields import same

OWNED_TABLE = "afsreg_owned_rows"
OWNERSHIP_MIGRATION = "0005_afsreg_owned_rows"
OWNED_COLUMNS = (
    "table_name",
    "row_id",
    "origin",
    "role",
    "model_name",
    "version",
    "path",
    "digest",
    "written_json",
    "previous_json",
    "adopted_at",
    "written_at",
)
# The artifacts columns afsreg takes over on a row it adopts. Never created_at,
# changelog, origin_type or origin_url: those are the host's record of the row.
ADOPTED_ARTIFACT_COLUMNS = (
    "name",
    "title",
    "metadata",
    "version_number",
    "parent_version_id",
    "version_tag",
    "is_latest",
    "lifecycle_state",
    "superseded_by",
    "updated_at",
)
NOT_ADOPTED_VERSION_COLUMNS = ("artifact_id", "created_at")
KEYS = {"artifacts": "id", "model_versions": "artifact_id"}


class OwnershipError(AfsregError):
    """A write would touch a row afsreg does not own, or overwrite a change made outside git."""


@dataclass
class Owned:
    """One row afsreg owns."""

    table: str  # artifacts | model_versions
    row_id: str
    origin: str  # created | adopted
    role: str  # version | external
    written: Row  # the columns afsreg last wrote, with their values (metadata: afsreg's keys)
    previous: Row | None = None  # adopted rows: those columns before adoption
    model_name: str | None = None
    version: str | None = None
    path: str | None = None
    adopted_at: str | None = None
    # sha256 of ``written`` as stored (read_owned): equal digests mean equal values,
    # so a sync compares one digest instead of every column of what it last wrote.
    digest: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.table, self.row_id)


@dataclass(frozen=True)
class OutsideChange:
    """A row afsreg wrote that someone else changed (or deleted) since."""

    table: str
    row_id: str
    columns: tuple[str, ...]  # empty when the row was deleted
    where: str  # the file that defines it, or the row id

    def describe(self) -> str:
        if not self.columns:
            return f"{self.where}: {self.table} {self.row_id} was deleted in the database"
        return f"{self.where}: {self.table} {self.row_id}: {', '.join(self.columns)} changed in the database"


def digest(written: Mapping[str, Any]) -> str:
    return _digest_of(json_text(written))


def _digest_of(text: str) -> str:
    """The digest of ``written`` from its JSON text (json_text: what written_json stores)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the ownership table -------------------------------------------------------------


def read_owned(
    db: Database,
    ids: Iterable[str] | None = None,
    *,
    role: str | None = None,
) -> dict[tuple[str, str], Owned]:
    """Ownership records by (table, row id): all, those of ``ids`` (in either table), or of one role."""
    if not db.table_exists(OWNED_TABLE):
        return {}
    select = f"SELECT {', '.join(OWNED_COLUMNS)} FROM {OWNED_TABLE}"
    if ids is not None:
        rows: list[tuple[Any, ...]] = []
        for condition, params in db.where_in("row_id", ids):
            rows += db.query(f"{select} WHERE {condition}", params)
    elif role == "external":
        # An external reference's record names no model (afsreg.db.apply._record): the
        # (model_name, version) index finds the few of them; ``role = ?`` alone read
        # every record, JSON and all, on every sync (200,000 of them at 100k versions).
        rows = db.query(f"{select} WHERE model_name IS NULL AND role = ?", (role,))
    elif role is not None:
        rows = db.query(f"{select} WHERE role = ?", (role,))
    else:
        rows = db.query(select)
    found = {}
    for values in rows:
        record = dict(zip(OWNED_COLUMNS, values, strict=True))
        previous = from_db(record["previous_json"], "json")
        owned = Owned(
            str(record["table_name"]),
            str(record["row_id"]),
            str(record["origin"]),
            str(record["role"]),
            from_db(record["written_json"], "json"),
            previous if isinstance(previous, dict) else None,
            _text(record["model_name"]),
            _text(record["version"]),
            _text(record["path"]),
            from_db(record["adopted_at"], "ts"),
            _text(record["digest"]),
        )
        if role is None or owned.role == role:
            found[owned.key] = owned
    return found


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def save_owned(db: Database, records: Sequence[Owned], *, replace: bool = True) -> None:
    """Insert these ownership records (replacing any with the same key, unless told there are none)."""
    if not records:
        return
    if replace:
        forget(db, [r.key for r in records])
    now = datetime.now(UTC).isoformat()
    rows = []
    for r in records:
        written = json_text(r.written)  # to_db(r.written, "json"): encoded once for both columns
        rows.append(
            (
                r.table,
                r.row_id,
                r.origin,
                r.role,
                r.model_name,
                r.version,
                r.path,
                _digest_of(written),
                written,
                to_db(r.previous, "json"),
                r.adopted_at,
                now,
            )
        )
    db.insert_rows(OWNED_TABLE, OWNED_COLUMNS, rows)


def forget(db: Database, keys: Iterable[tuple[str, str]]) -> None:
    db.executemany(
        f"DELETE FROM {OWNED_TABLE} WHERE table_name = ? AND row_id = ?", sorted(set(keys))
    )


# -- what afsreg writes of a row -----------------------------------------------------


def owned_view(record_written: Mapping[str, Any], current: Mapping[str, Any], origin: str) -> Row:
    """The current row cut down to what afsreg wrote (on an adopted row, only afsreg's metadata keys)."""
    view: Row = {}
    for column, value in record_written.items():
        now = current.get(column)
        if (
            column == "metadata"
            and origin == "adopted"
            and isinstance(value, Mapping)
            and isinstance(now, Mapping)
        ):
            now = {k: now[k] for k in value if k in now}
        view[column] = now
    return view


def adopted_written(table: str, desired: Row, current: Row, columns: Iterable[str]) -> Row:
    """What afsreg writes of an adopted row: the columns the file gives a value for, metadata keys merged."""
    allowed = set(columns)
    if table == "artifacts":
        names = [c for c in ADOPTED_ARTIFACT_COLUMNS if c in allowed]
    else:
        names = [c for c in desired if c in allowed and c not in NOT_ADOPTED_VERSION_COLUMNS]
    written: Row = {}
    for column in names:
        value = desired.get(column)
        if column == "metadata":
            if isinstance(value, Mapping):
                written[column] = {k: v for k, v in value.items() if v is not None}
        elif value is not None:
            written[column] = value
    return written


def merged_values(written: Row, current: Row) -> Row:
    """The column values to store: ``written``, with metadata merged into the host's keys."""
    values = dict(written)
    meta = written.get("metadata")
    host = current.get("metadata")
    if isinstance(meta, Mapping) and isinstance(host, Mapping):
        values["metadata"] = {**host, **meta}
    return values


def raw_values(db: Database, table: str, ident: str, columns: Iterable[str]) -> Row:
    """Columns of one row exactly as the driver returns them (JSON-safe), to restore them byte for byte."""
    names = list(columns)
    if not names:
        return {}
    rows = db.query(f"SELECT {', '.join(names)} FROM {table} WHERE {KEYS[table]} = ?", (ident,))
    if not rows:
        return {}
    return {
        n: v.isoformat() if hasattr(v, "isoformat") else v
        for n, v in zip(names, rows[0], strict=True)
    }


def restored_values(record: Owned, current: Row) -> Row:
    """The values that undo an adoption: each column afsreg wrote back to what it was before.

    ``previous`` holds the raw values, so a column nobody touched since comes
    back byte for byte. Host keys added to metadata since are kept.
    """
    previous = record.previous or {}
    values: Row = {}
    for column in record.written:
        before = previous.get(column)
        if column == "metadata":
            parsed = from_db(before, "json")
            host = current.get("metadata")
            if isinstance(host, Mapping) and isinstance(parsed, Mapping):
                merged = dict(host)
                for k in record.written["metadata"] or {}:
                    if k in parsed:
                        merged[k] = parsed[k]
                    else:
                        merged.pop(k, None)
                if not same(merged, dict(parsed)):
                    values[column] = merged
                    continue
        values[column] = Verbatim(before)
    return values


def outside_change(
    record: Owned, current: Row | None, desired: Row | None, where: str
) -> OutsideChange | None:
    """How the row differs from what afsreg last wrote, ignoring columns where it already equals ``desired``."""
    if current is None:
        return OutsideChange(record.table, record.row_id, (), where)
    view = owned_view(record.written, current, record.origin)
    changed = tuple(
        column
        for column, value in record.written.items()
        if not same(view.get(column), value)
        and not (
            desired is not None and column in desired and same(view.get(column), desired[column])
        )
    )
    return OutsideChange(record.table, record.row_id, changed, where) if changed else None


def refuse_outside_changes(changes: Sequence[OutsideChange], database: str) -> None:
    if not changes:
        return
    lines = "\n".join(f"  - {c.describe()}" for c in changes)
    raise OwnershipError(
        f"{database}: {len(changes)} row{'s' if len(changes) != 1 else ''} afsreg wrote "
        f"{'were' if len(changes) != 1 else 'was'} changed in the database since the last sync "
        f"(by another service or by hand); nothing was written:\n{lines}\n"
        "Either bring the database's values into the files (`afsreg adopt`, review, commit, then "
        "sync), or overwrite them on purpose with `afsreg sync --overwrite-db-changes`."
    )


def claim_legacy(db: Database, table_set: Sequence[Any]) -> int:
    """Record the rows an afsreg from before ownership tracking wrote; returns how many.

    Run once, when migration 0005 is applied to a database afsreg synced
    before. Its rows are known by afsreg's own trail: a model_versions row
    whose artifact id is in model_version_events (only afsreg writes there),
    with its artifacts row; and the external reference rows afsreg marks in
    their metadata. Their current values are taken as what afsreg wrote.
    """
    from afsreg.db.project import is_owned_external
    from afsreg.db.tables import fetch

    artifacts_t, versions_t, _ = table_set
    ids = {
        str(r[0])
        for r in db.query(
            "SELECT DISTINCT e.artifact_id FROM model_version_events e "
            "JOIN model_versions v ON v.artifact_id = e.artifact_id"
        )
    }
    records = []
    for table_t in (artifacts_t, versions_t):
        for ident, row in fetch(db, table_t, ids).items():
            records.append(Owned(table_t.name, str(ident), "created", "version", row))
    for ident, row in fetch(db, artifacts_t, where="origin_type = 'external'").items():
        if is_owned_external(row) and ident not in ids:
            records.append(Owned("artifacts", str(ident), "created", "external", row))
    save_owned(db, records)
    return len(records)
