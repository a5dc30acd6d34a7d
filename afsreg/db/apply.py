"""Write the desired rows into a shared database, touching only what afsreg owns.

``make_plan`` plans every write first (inserts, merges into adopted rows,
removals, external references), checks the plan against the ownership rules
(afsreg.db.ownership) and the host's schema (afsreg.db.preflight), and only
then ``apply_plan`` writes, so a refusal leaves the database as it was even before the
transaction rolls back. Order of writes, so that every foreign key holds:
external references, new artifacts rows (self-references set after all are
in), updated artifacts rows, model_versions rows, then removals
(model_versions before artifacts) and unused external references.

Why ~520 lines in one module: the write of every table goes through the same
ownership checks; splitting insert, update and delete apart would split the
rules a DBA needs to read together.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from afsreg.db import ownership as own
from afsreg.db import tables as tbl
from afsreg.db.connect import Database, quote_ident
from afsreg.db.preflight import HostSchema, check_values, refuse
from afsreg.db.project import NotJson, Row, external_row, referenced_ids
from afsreg.db.tables import Table, fetch, insert, update_columns
from afsreg.format.fields import same
from afsreg.format.record import VersionLike

if TYPE_CHECKING:
    import pygit2

    from afsreg.db.sync_report import Progress, SyncReport
    from afsreg.registry import Registry


class Report(Protocol):
    """The parts of a SyncReport this module fills in."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    adopted: list[str]
    restored: list[str]
    kept: list[str]
    overwritten: list[str]
    externals_added: list[str]
    externals_removed: list[str]
    warnings: list[str]
    unchanged: int
    database: str


@dataclass(frozen=True)
class Options:
    overwrite: bool = False  # --overwrite-db-changes: write over changes made outside git
    on_remove: str = "restore"  # an adopted row whose file is gone: restore | keep


@dataclass(frozen=True)
class SyncRun:
    """What the passes of one sync share: its transaction, the files it projects, its report."""

    db: Database
    repo: pygit2.Repository
    registry: Registry
    schema: HostSchema  # the host schema as read in this transaction
    options: Options
    report: SyncReport
    progress: Progress | None


@dataclass
class Plan:
    inserts: dict[str, list[Row]] = field(
        default_factory=lambda: {"artifacts": [], "model_versions": []}
    )
    updates: dict[str, list[tuple[str, Row]]] = field(
        default_factory=lambda: {"artifacts": [], "model_versions": []}
    )
    deletes: dict[str, set[str]] = field(
        default_factory=lambda: {"artifacts": set(), "model_versions": set()}
    )
    save: list[own.Owned] = field(default_factory=list)
    forget: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changes: list[own.OutsideChange] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # versions whose files are gone
    current: dict[str, dict[Any, Row]] = field(default_factory=dict)  # the rows as they are
    externals: dict[tuple[str, str], own.Owned] = field(default_factory=dict)
    known: set[tuple[str, str]] = field(default_factory=set)  # ownership records read
    # (artifact id, column, value) of model_versions pointers written later (apply_plan's defer).
    deferred: list[tuple[str, str, str]] = field(default_factory=list)


def apply_plan(
    db: Database,
    plan: Plan,
    table_pair: tuple[Table, Table],
    report: Report,
    schema: HostSchema,
    *,
    overwrite: bool,
    collect_externals: bool = True,
    defer: Callable[[str], bool] | None = None,
) -> None:
    """Write a plan (make_plan): all of the registry, or the part an incremental sync touches.

    Refuses, with nothing written, an id collision, a value a host CHECK does
    not allow, or (without ``overwrite``) a row changed in the database since.
    A full sync written in batches passes ``collect_externals=False`` but for
    its last call: an external reference unused after one batch may be named
    by the next. It also passes ``defer``: which artifact ids a later batch
    writes. A model_versions pointer (base model, evaluation dataset) to one
    of them is left out of this write and listed in ``plan.deferred``, for
    ``write_deferred`` once that artifact exists (foreign keys).
    """
    refuse(db, plan.problems)
    if not overwrite:
        own.refuse_outside_changes(plan.changes, report.database)
    overwritten = {f"{c.table} {c.row_id}" for c in plan.changes}
    report.overwritten = sorted(set(report.overwritten) | overwritten)
    tables = {"artifacts": table_pair[0], "model_versions": table_pair[1]}
    _write(db, plan, tables, schema, defer)
    report.removed += plan.removed
    report.kept += _remove(db, plan, schema, tables)
    if collect_externals:
        report.externals_removed += _collect_externals(db, plan, plan.externals, schema, tables)
    # Records are replaced by key; only the keys read at planning time can exist already.
    own.forget(db, plan.forget + [r.key for r in plan.save if r.key in plan.known])
    own.save_owned(db, plan.save, replace=False)


def make_plan(
    db: Database,
    table_pair: tuple[Table, Table],
    desired_artifacts: Mapping[str, Row],
    desired_versions: Mapping[str, Row],
    versions: Iterable[VersionLike],
    candidates: set[str] | None,
    report: Report,
    schema: HostSchema,
    options: Options,
    outside_scope: Collection[str] = (),
    *,
    all_externals: bool = True,
) -> Plan:
    """Every write a sync would make, and every reason it must not; reads only.

    ``candidates`` are the ids whose rows may have to go (incremental), or None
    for a full sync, where every row afsreg owns is a candidate. ``outside_scope``
    are ids of registry versions that ``versions`` leaves out (an incremental
    sync passes only the versions it projects) but that desired rows point at:
    they are versions, not external references. ``all_externals`` reads every
    external reference afsreg owns, which ``apply_plan`` collects when unused;
    a batch of a full sync, which leaves that to its last call, passes False
    (the records of the ids it names are read with the rest of its scope): a
    scan of the ownership table per batch grew with the square of the registry.
    """
    artifacts_t, versions_t = table_pair
    by_id = {v.artifact_id: v for v in versions}
    where = {i: v.path for i, v in by_id.items()}
    needed = {i for row in desired_versions.values() for i in referenced_ids(row)}
    needed -= set(by_id) | set(outside_scope)
    scope = set(desired_versions) | (candidates or set()) | needed
    owned = own.read_owned(db) if candidates is None else own.read_owned(db, scope)
    externals = own.read_owned(db, role="external") if all_externals else {}
    owned.update(externals)
    ids = scope | {k[1] for k in owned}
    current = {
        "artifacts": fetch(db, artifacts_t, ids),
        "model_versions": fetch(db, versions_t, ids),
    }
    tables = {"artifacts": artifacts_t, "model_versions": versions_t}
    plan = Plan(current=current, externals=externals, known=set(owned))

    for ident in sorted(desired_versions):
        version = by_id[ident]
        outcomes = [
            _plan_row(
                db,
                plan,
                table,
                tables[table],
                ident,
                desired,
                version,
                owned,
                current,
                options,
                report,
            )
            for table, desired in (
                ("artifacts", desired_artifacts[ident]),
                ("model_versions", desired_versions[ident]),
            )
        ]
        if outcomes[1] == "inserted":
            report.added.append(ident)
        elif any(outcomes):
            report.updated.append(ident)
        else:
            report.unchanged += 1

    removed = sorted(
        {k[1] for k, r in owned.items() if r.role == "version"} - set(desired_versions) - set(by_id)
    )
    for ident in removed:
        _plan_removal(plan, ident, owned, current, needed, options, report)

    for ident in sorted(needed):
        _plan_external(plan, ident, owned, current, report, artifacts_t)

    for table in ("artifacts", "model_versions"):
        key = "id" if table == "artifacts" else "artifact_id"
        written = [(str(r[key]), r) for r in plan.inserts[table]] + plan.updates[table]
        plan.problems += check_values(schema, table, written, where)
    plan.removed = removed
    return plan


def _plan_row(
    db: Database,
    plan: Plan,
    table: str,
    table_t: Table,
    ident: str,
    desired: Row,
    version: VersionLike,
    owned: Mapping[tuple[str, str], own.Owned],
    current: Mapping[str, Mapping[str, Row]],
    options: Options,
    report: Report,
) -> str | None:
    """Plan one row of a version: 'inserted', 'updated', or None when it is already right."""
    desired = _cut(desired, table_t)
    record = owned.get((table, ident))
    row = current[table].get(ident)
    if record is None and row is None:
        plan.inserts[table].append(desired)
        plan.save.append(_record(table, ident, "created", desired, None, version))
        return "inserted"
    if record is None:
        assert row is not None
        if table == "artifacts" and row.get("artifact_type") != "model":
            plan.problems.append(
                f"{version.path}: artifact_id {ident} is already the id of a host row of type "
                f"{row.get('artifact_type')!r} in artifacts; afsreg does not turn another "
                "service's row into a model: give the file another artifact_id"
            )
            return None
        if isinstance(row.get("metadata"), NotJson):
            plan.problems.append(
                f"{version.path}: the host's artifacts row {ident} has metadata that is not JSON; "
                "afsreg cannot merge its keys into it: fix that row's metadata first"
            )
            return None
        written = own.adopted_written(table, desired, row, table_t.columns)
        previous = own.raw_values(db, table, ident, written)
        plan.updates[table].append((ident, own.merged_values(written, row)))
        plan.save.append(_record(table, ident, "adopted", written, previous, version))
        report.adopted.append(f"{table} {ident}")
        return "updated"
    written = (
        desired
        if record.origin == "created"
        else own.adopted_written(table, desired, row or {}, table_t.columns)
    )
    if (
        row is not None
        and record.digest is not None
        and record.path == version.path
        and same(own.owned_view(written, row, record.origin), written)
        and record.digest == own.digest(written)
    ):
        return None  # what afsreg last wrote, still in the row: nothing to write or record
    change = own.outside_change(record, row, written, version.path)
    if change is not None:
        plan.changes.append(change)
        if not options.overwrite:
            return None
    if row is None:  # deleted outside git, overwritten on purpose: afsreg's row again
        plan.inserts[table].append(desired)
        plan.save.append(_record(table, ident, "created", desired, None, version))
        return "inserted"
    outcome = None
    if not same(own.owned_view(written, row, record.origin), written):
        merged = own.merged_values(written, row) if record.origin == "adopted" else written
        plan.updates[table].append((ident, merged))
        outcome = "updated"
    if not same(written, record.written) or record.path != version.path:
        plan.save.append(
            _record(
                table, ident, record.origin, written, record.previous, version, record.adopted_at
            )
        )
    return outcome


def _cut(row: Row, table_t: Table) -> Row:
    """The columns of ``row`` afsreg writes in this table: those it has, less a NULL a default replaces."""
    cut = {c: row.get(c) for c in table_t.columns}
    for c in table_t.defaulted:
        if cut.get(c, 0) is None:
            del cut[c]
    return cut


def _record(
    table: str,
    ident: str,
    origin: str,
    written: Row,
    previous: Row | None,
    version: VersionLike | None,
    adopted_at: str | None = None,
    role: str = "version",
) -> own.Owned:
    if origin == "adopted" and adopted_at is None:
        adopted_at = datetime.now(UTC).isoformat()
    return own.Owned(
        table,
        ident,
        origin,
        role,
        dict(written),
        previous,
        version.name if version else None,
        version.version if version else None,
        version.path if version else None,
        adopted_at,
    )


def _plan_removal(
    plan: Plan,
    ident: str,
    owned: Mapping[tuple[str, str], own.Owned],
    current: Mapping[str, Mapping[str, Row]],
    needed: set[str],
    options: Options,
    report: Report,
) -> None:
    """A version afsreg owned is gone from the files: delete what it created, undo what it adopted."""
    for table in ("model_versions", "artifacts"):
        record = owned.get((table, ident))
        if record is None or record.role != "version":
            continue  # (an earlier batch made it an external reference: it stays one)
        row = current[table].get(ident)
        if row is None:
            plan.forget.append(record.key)
            continue
        change = own.outside_change(record, row, None, record.path or ident)
        if change is not None:
            plan.changes.append(change)
            if not options.overwrite:
                continue
        if record.origin == "created":
            if table == "artifacts" and ident in needed:
                continue  # still named as an evaluation dataset: becomes an external reference
            plan.deletes[table].add(ident)
            continue
        if options.on_remove == "restore":
            plan.updates[table].append((ident, own.restored_values(record, row)))
            report.restored.append(f"{table} {ident}")
        else:
            report.kept.append(f"{table} {ident}: left as afsreg last wrote it (--on-remove keep)")
        plan.forget.append(record.key)


def _plan_external(
    plan: Plan,
    ident: str,
    owned: Mapping[tuple[str, str], own.Owned],
    current: Mapping[str, Mapping[str, Row]],
    report: Report,
    artifacts_t: Table,
) -> None:
    """An outside base model or dataset a version points at: afsreg's reference row, or the host's own."""
    record = owned.get(("artifacts", ident))
    row = current["artifacts"].get(ident)
    want = _cut(external_row(ident), artifacts_t)
    if record is None:
        if row is None:
            plan.inserts["artifacts"].append(want)
            plan.save.append(
                _record("artifacts", ident, "created", want, None, None, role="external")
            )
            report.externals_added.append(ident)
        return  # the host's own row: referenced, never modified
    if record.origin != "created":
        return
    if record.role == "version":  # a removed version still named as a dataset
        if row is not None:
            plan.updates["artifacts"].append((ident, want))
            report.externals_added.append(ident)
        plan.save.append(_record("artifacts", ident, "created", want, None, None, role="external"))
        return
    if (
        row is None
    ):  # deleted by hand; no version pointed at it (the foreign keys would not allow it)
        plan.inserts["artifacts"].append(want)
        return
    change = own.outside_change(record, row, want, ident)
    if change is not None:
        plan.changes.append(change)
        plan.updates["artifacts"].append((ident, want))


# -- writing -----------------------------------------------------------------------


def _write(
    db: Database,
    plan: Plan,
    tables: Mapping[str, Table],
    schema: HostSchema,
    defer: Callable[[str], bool] | None,
) -> None:
    artifacts_t = tables["artifacts"]
    pointers = schema.self_references() & set(artifacts_t.columns)
    new_artifacts = plan.inserts["artifacts"]
    if pointers:
        # A host foreign key from artifacts to itself: insert every row first, then point.
        insert(db, artifacts_t, [{**r, **dict.fromkeys(pointers)} for r in new_artifacts])
        for row in new_artifacts:
            update_columns(
                db, artifacts_t, row["id"], {c: row.get(c) for c in pointers if row.get(c)}
            )
    else:
        insert(db, artifacts_t, new_artifacts)
    for ident, values in plan.updates["artifacts"]:
        update_columns(db, artifacts_t, ident, values)
    inserts, updates = plan.inserts["model_versions"], plan.updates["model_versions"]
    if defer is not None:
        # Left out of a row, a pointer is NULL on insert and unchanged on update.
        inserts = [_without_later(plan, row["artifact_id"], row, defer) for row in inserts]
        updates = [(i, _without_later(plan, i, values, defer)) for i, values in updates]
    insert(db, tables["model_versions"], inserts)
    for ident, values in updates:
        update_columns(db, tables["model_versions"], ident, values)


POINTERS = ("base_model_id", "eval_dataset_artifact_id")  # model_versions -> artifacts


def _without_later(plan: Plan, ident: str, values: Row, defer: Callable[[str], bool]) -> Row:
    """``values`` less its pointers to artifacts not written yet, which go to ``plan.deferred``."""
    later = [c for c in POINTERS if isinstance(values.get(c), str) and defer(values[c])]
    if not later:
        return values
    plan.deferred += [(ident, c, values[c]) for c in later]
    return {c: v for c, v in values.items() if c not in later}


def write_deferred(
    db: Database, versions_t: Table, deferred: Iterable[tuple[str, str, str]]
) -> None:
    """Set the model_versions pointers ``apply_plan`` deferred, now that what they name exists."""
    by_column: dict[str, list[tuple[str, str]]] = {}
    for ident, column, value in deferred:
        by_column.setdefault(column, []).append((value, ident))
    for column, pairs in sorted(by_column.items()):
        db.executemany(
            f"UPDATE {versions_t.name} SET {column} = ? WHERE {versions_t.key[0]} = ?", pairs
        )


def _remove(db: Database, plan: Plan, schema: HostSchema, tables: Mapping[str, Table]) -> list[str]:
    """Delete the rows afsreg created whose files are gone; keep any another table still points at."""
    kept: list[str] = []
    for table in ("model_versions", "artifacts"):
        ids = plan.deletes[table]
        references = _references(db, schema, table, ids)
        for ident, users in sorted(references.items()):
            kept.append(
                f"{table} {ident}: kept, still referenced by {', '.join(users)} (rows afsreg does not own)"
            )
        doomed = sorted(ids - set(references))
        tbl.delete(db, tables[table], doomed)
        plan.forget += [(table, i) for i in doomed]
    return kept


def _pointers(schema: HostSchema, table: str) -> list[tuple[str, str]]:
    """(table, column) of every row that can point at a row of ``table`` (not afsreg's detail rows)."""
    keys = [(fk.table, fk.column) for fk in schema.references_to(table)]
    if table == "artifacts":
        # model_versions points at artifacts even where a host declared no foreign key.
        keys += [
            ("model_versions", c)
            for c in ("artifact_id", "base_model_id", "eval_dataset_artifact_id")
            if ("model_versions", c) not in keys
        ]
    # afsreg's own detail rows go with the row (ON DELETE CASCADE).
    return [(t, c) for t, c in keys if not t.startswith("afsreg_")]


FEW_CANDIDATES = 50  # up to this many ids, _referenced; more, _references's batched counts


def _referenced(db: Database, schema: HostSchema, table: str, ids: set[str]) -> set[str]:
    """Which of ``ids`` a row still points at, other than rows being deleted with them.

    What ``_references`` answers, without the counts: one ``LIMIT 1`` query an
    id and pointer, stopping at the first row found. model_versions has no
    index on eval_dataset_artifact_id; counting its rows (``_references``)
    read the whole table on every sync (~0.1 s at 100,000 versions), where a
    dataset still in use is found in its first few rows.
    """
    found: set[str] = set()
    # The pointer with no index last: an id another pointer names is not looked for there,
    # and one it does not name costs a whole read of model_versions per id.
    pointers = sorted(
        _pointers(schema, table), key=lambda p: p == ("model_versions", "eval_dataset_artifact_id")
    )
    for fk_table, fk_column in pointers:
        column, source = quote_ident(fk_column), quote_ident(fk_table)
        for ident in sorted(ids - found):
            sql = f"SELECT 1 FROM {source} WHERE {column} = ?"
            params: list[Any] = [ident]
            if fk_table == table:
                key = "id" if table == "artifacts" else "artifact_id"
                sql += f" AND {key} NOT IN ({', '.join('?' for _ in ids)})"
                params += sorted(ids)
            if db.query(sql + " LIMIT 1", params):
                found.add(ident)
    return found


def _references(
    db: Database, schema: HostSchema, table: str, ids: set[str]
) -> dict[str, list[str]]:
    """Per id, the foreign keys whose rows still point at it, other than rows being deleted with it."""
    found: dict[str, list[str]] = {}
    if not ids:
        return found
    wanted = sorted(ids)
    for fk_table, fk_column in _pointers(schema, table):
        column, source = quote_ident(fk_column), quote_ident(fk_table)
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ", ".join("?" for _ in part)
            sql = f"SELECT {column}, COUNT(*) FROM {source} WHERE {column} IN ({marks})"
            params: list[Any] = list(part)
            if fk_table == table:
                key = "id" if table == "artifacts" else "artifact_id"
                sql += f" AND {key} NOT IN ({marks})"
                params += part
            for ident, count in db.query(sql + f" GROUP BY {column}", params):
                found.setdefault(str(ident), []).append(f"{fk_table}.{fk_column} ({count} rows)")
    return found


def _collect_externals(
    db: Database,
    plan: Plan,
    externals: Mapping[tuple[str, str], own.Owned],
    schema: HostSchema,
    tables: Mapping[str, Table],
) -> list[str]:
    """Delete afsreg's external reference rows that nothing points at any more."""
    candidates = {k[1] for k, r in externals.items() if r.role == "external"}
    candidates |= {r.row_id for r in plan.save if r.role == "external"}
    if not candidates:
        return []
    if len(candidates) <= FEW_CANDIDATES:
        referenced = _referenced(db, schema, "artifacts", candidates)
    else:  # a query an id costs more than reading the table once
        referenced = set(_references(db, schema, "artifacts", candidates))
    unused = sorted(candidates - referenced)
    tbl.delete(db, tables["artifacts"], unused)
    plan.forget += [("artifacts", i) for i in unused]
    plan.save = [r for r in plan.save if not (r.table == "artifacts" and r.row_id in unused)]
    return unused
