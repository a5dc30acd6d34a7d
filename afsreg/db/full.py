"""A full sync, streamed: memory that stays flat as the registry grows.

Nothing holds the whole registry's rows at once. Events are computed and
repaired a batch of changes at a time; versions are projected and written a
batch of models at a time (about ``VERSION_BATCH`` versions), each batch
through the same ownership rules as an incremental sync (afsreg.db.apply),
its parsed files dropped once written. Then the rows of versions whose files
are gone are removed, unused external references collected, and the detail
rows of vanished ids deleted. Every batch runs inside the sync's one
transaction: a refusal in any of them rolls all of them back.

Each version's changelog is read back from the events just written
(``model_version_events``), as an incremental sync reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from afsreg.db import details
from afsreg.db import events as events_mod
from afsreg.db import tables as tbl
from afsreg.db.apply import Options, apply_plan, make_plan
from afsreg.db.connect import Database
from afsreg.db.incremental import ModelLookup, events_for
from afsreg.db.preflight import inspect
from afsreg.db.project import (
    Row,
    differing_columns,
    from_db,
    histories,
    pointed_at,
    project_versions,
)
from afsreg.db.sync_report import Progress, SyncReport
from afsreg.db.tables import Table, insert, select_in, tables
from afsreg.git.parsed import prime_data

if TYPE_CHECKING:
    import pygit2

    from afsreg.registry import Registry

EVENT_BATCH = 5000
VERSION_BATCH = 1000


def sync_full(
    db: Database,
    repo: pygit2.Repository,
    registry: Registry,
    commit_id: str,
    report: SyncReport,
    progress: Progress | None,
    options: Options,
) -> None:
    """Make every afsreg row what the files at ``commit_id`` say, a batch at a time."""
    artifacts_t, versions_t, events_t = tables(db)
    report.events = _sync_events(db, repo, commit_id, events_t, progress)
    schema = inspect(db)
    names = registry.models()
    owner = {v.artifact_id: name for name in names for v in registry.versions(name)}
    all_ids = set(owner)
    if progress is not None:
        # Each batch is projected and written at once; "writing" is the last pass over
        # every id: removals, external references, detail rows of vanished ids.
        progress.start("projecting versions", len(all_ids))
    done: set[str] = set()
    for batch in _batches(registry, names, done):
        lookup = ModelLookup(registry.versions)
        while True:
            versions = [v for name in batch for v in lookup.load(name)]
            prime_data(versions, Path(repo.path))
            ids = {v.artifact_id for v in versions}
            history = histories(events_for(db, events_t, ids))
            artifacts, model_versions = project_versions(versions, lookup, history)
            outside = {i for i in pointed_at(model_versions) if i in all_ids and i not in ids}
            # A row may point only at artifacts already written: a version of a later
            # batch named as an evaluation dataset joins this one.
            later = {owner[i] for i in outside} - done - set(batch)
            if not later:
                break
            batch += sorted(_closure(registry, later, done | set(batch)))
        done.update(batch)
        pair = (artifacts_t, versions_t)
        plan = make_plan(
            db, pair, artifacts, model_versions, versions, ids, report, schema, options, outside
        )
        apply_plan(
            db, plan, pair, report, schema, overwrite=options.overwrite, collect_externals=False
        )
        report.details += details.sync_details(db, registry, versions, lookup, repo, ids)
        for version in versions:
            version.__dict__.pop("data", None)  # parsed on demand again; not kept for the run
        if progress is not None:
            progress.advance(len(versions))
    if progress is not None:
        progress.start("writing", len(all_ids))
    gone = {
        str(r[0])
        for r in db.query("SELECT row_id FROM afsreg_owned_rows WHERE role = 'version'")
        if str(r[0]) not in all_ids
    }
    pair = (artifacts_t, versions_t)
    plan = make_plan(db, pair, {}, {}, [], gone, report, schema, options)
    apply_plan(db, plan, pair, report, schema, overwrite=options.overwrite)
    report.details += _drop_details(db, all_ids)
    if progress is not None:
        progress.advance(len(all_ids))
        progress.finish()


def _batches(registry: Registry, names: list[str], done: set[str]) -> Iterator[list[str]]:
    """Model names in groups of about VERSION_BATCH versions; a model is never split.

    A batch holds, with each model, the models its versions name as base models
    (transitively) that no earlier batch wrote: foreign keys allow a row to
    point only at artifacts that exist. ``done`` is what the caller has written.
    """
    batch: list[str] = []
    for name in names:
        if name in done or name in batch:
            continue
        batch += sorted(_closure(registry, {name}, done | set(batch)))
        if sum(len(registry.versions(n)) for n in batch) >= VERSION_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _closure(registry: Registry, names: set[str], written: set[str]) -> set[str]:
    """``names`` and the models their versions' base models live in, transitively, less ``written``."""
    found = set(names) - written
    todo = list(found)
    while todo:
        for version in registry.versions(todo.pop()):
            for ref in version.base_refs:
                model = ref.partition("@")[0]
                if model not in found and model not in written and registry.versions(model):
                    found.add(model)
                    todo.append(model)
    return found


def _sync_events(
    db: Database,
    repo: pygit2.Repository,
    commit_id: str,
    events_t: Table,
    progress: Progress | None,
) -> int:
    """The whole history's events, repaired row by row, EVENT_BATCH changes at a time."""
    changes = events_mod.new_changes(repo, commit_id, None)
    if progress is not None:
        progress.start("reading history", len(changes))
    wanted_keys: set[tuple[str, str]] = set()
    written = 0
    names = list(events_t.columns)
    for start in range(0, len(changes), EVENT_BATCH):
        rows = events_mod.event_rows(
            repo, changes[start : start + EVENT_BATCH], progress.advance if progress else None
        )
        wanted = {(e["commit_sha"], e["path"]): e for e in rows}
        wanted_keys |= wanted.keys()
        existing: dict[tuple[str, str], Row] = {}
        select = f"SELECT {', '.join(names)} FROM {events_t.name}"
        for values in select_in(db, select, "commit_sha", {k[0] for k in wanted}):
            row = {n: from_db(v, events_t.columns[n]) for n, v in zip(names, values, strict=True)}
            key = (row["commit_sha"], row["path"])
            if key in wanted:
                existing[key] = row
        stale = [
            key
            for key, row in existing.items()
            if differing_columns(wanted[key], row, events_t.columns)
        ]
        tbl.delete(db, events_t, stale)
        fresh = [e for k, e in wanted.items() if k not in existing] + [wanted[k] for k in stale]
        insert(db, events_t, fresh)
        written += len(fresh)
    extra = [
        (str(r[0]), str(r[1]))
        for r in db.query(f"SELECT commit_sha, path FROM {events_t.name}")
        if (str(r[0]), str(r[1])) not in wanted_keys
    ]
    tbl.delete(db, events_t, extra)
    if progress is not None:
        progress.finish()
    return written


def _drop_details(db: Database, ids: set[str]) -> int:
    """Delete the detail rows of artifact ids that are no registry version any more."""
    dropped = 0
    for table in details.DETAIL_TABLES:
        if not db.table_exists(table.name):
            continue
        keys = ", ".join(table.key)
        doomed = [
            tuple(r) if len(table.key) > 1 else r[0]
            for r in db.query(f"SELECT {keys} FROM {table.name}")
            if str(r[0]) not in ids
        ]
        tbl.delete(db, table, doomed)
        dropped += len(doomed)
    return dropped
