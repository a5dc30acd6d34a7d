"""A full sync, streamed: memory that stays flat as the registry grows.

Nothing holds the whole registry, its history or its rows at once; what is
kept across batches are compact facts (ids and names):

- events: the history is read oldest commit first, ``EVENT_BATCH`` changes at
  a time (afsreg.db.events.history_batches); each batch is compared with the
  database's rows of its own commits and repaired row by row. Rows of commits
  no longer in the history are deleted at the end (only commit ids are kept).
- versions: first every version's compact facts (name, version, artifact id;
  ``Registry.model_facts``), read from afsreg's store without building a
  version; then the models, in name order, are read, projected and written
  about ``VERSION_BATCH`` versions at a time (``Registry.read_models``: read
  for the batch and dropped with it), each batch through the same ownership
  rules as an incremental sync (afsreg.db.apply). A model is never split: a
  version's number, "latest" and parent come from its siblings. Foreign keys
  let a model_versions row point only at an artifact that exists: a pointer
  to a version of a later batch (a base model, an evaluation dataset) is set
  once every batch is written (``apply_plan(defer=...)``, ``write_deferred``).
- then the rows of versions whose files are gone are removed, unused
  external references collected, and the detail rows of vanished ids deleted.

Every batch runs inside the sync's one transaction: a refusal in any of them
rolls all of them back. Each version's changelog is read back from the
events just written (``model_version_events``), as an incremental sync reads it.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from afsreg.db import details
from afsreg.db import events as events_mod
from afsreg.db import tables as tbl
from afsreg.db.apply import Options, SyncRun, apply_plan, make_plan, write_deferred
from afsreg.db.connect import Database
from afsreg.db.desired import latest_versions
from afsreg.db.incremental import events_for
from afsreg.db.preflight import HostSchema
from afsreg.db.project import (
    Lookup,
    Row,
    differing_columns,
    histories,
    pointed_at,
    project_versions,
    row_reader,
)
from afsreg.db.sync_report import Progress, SyncReport
from afsreg.db.tables import Table, insert, select_in, tables
from afsreg.format.record import ModelVersion
from afsreg.git.parsed import prime_data

if TYPE_CHECKING:
    import pygit2

    from afsreg.registry import Registry

EVENT_BATCH = 5000
HISTORY_CACHE_BYTES = 32 * 1024 * 1024  # libgit2's object cache during the history pass
VERSION_BATCH = 1000


@dataclass
class Facts:
    """What a full sync keeps of every version: ids and names, nothing parsed."""

    ids: dict[str, str] = field(default_factory=dict)  # "name@version" -> artifact id
    owner: dict[str, str] = field(default_factory=dict)  # artifact id -> model name
    sizes: dict[str, int] = field(default_factory=dict)  # model -> how many versions (sorted)

    @classmethod
    def read(cls, registry: Registry) -> Facts:
        facts = cls()
        for name, versions in registry.model_facts():
            facts.sizes[name] = len(versions)
            for fact in versions:
                ref = f"{name}@{fact.version}"
                # Most ids are name@version: one string serves as key and value.
                ident = ref if fact.artifact_id == ref else fact.artifact_id
                facts.ids[ref] = ident
                facts.owner[ident] = name
        return facts


class FactsLookup(Lookup):
    """A Lookup over one batch of whole models that answers any version's artifact id from the facts.

    Version numbers and latest versions come from the batch (a model is never
    split); the artifact id of a version of another model (a base model) from
    ``Facts.ids``, as a Lookup over the whole registry would give it.
    """

    def __init__(self, versions: list[ModelVersion], ids: dict[str, str]) -> None:
        super().__init__(versions, latest_versions(versions))
        self.ids = ids

    def artifact_id(self, name: str, version: str | None) -> str | None:
        if version is None:
            return None
        return self.ids.get(f"{name}@{version}")


def sync_full(run: SyncRun, commit_id: str) -> None:
    """Make every afsreg row what the files at ``commit_id`` say, a batch at a time."""
    db, repo, registry, schema = run.db, run.repo, run.registry, run.schema
    report, progress, options = run.report, run.progress, run.options
    artifacts_t, versions_t, events_t = table_set = tables(db, schema)
    report.events = _sync_events(db, repo, commit_id, events_t, progress)
    facts = Facts.read(registry)
    if progress is not None:
        # Each batch is projected and written at once; "writing" is the last pass over
        # every id: removals, external references, detail rows of vanished ids.
        progress.start("projecting versions", len(facts.owner))
    written: set[str] = set()  # models whose artifacts rows are written
    deferred: list[tuple[str, str, str]] = []
    present = details.present_tables(db)
    for batch in batches(facts.sizes):
        written.update(batch)
        deferred += _sync_batch(
            db, repo, registry, facts, batch, written, table_set, report, schema, options, present
        )
        if progress is not None:
            progress.advance(sum(facts.sizes[name] for name in batch))
    write_deferred(db, versions_t, deferred)
    if progress is not None:
        progress.start("writing", len(facts.owner))
    gone = {
        str(r[0])
        for r in db.query("SELECT DISTINCT row_id FROM afsreg_owned_rows WHERE role = 'version'")
        if str(r[0]) not in facts.owner
    }
    pair = (artifacts_t, versions_t)
    plan = make_plan(db, pair, {}, {}, [], gone, report, schema, options)
    apply_plan(db, plan, pair, report, schema, overwrite=options.overwrite)
    report.details += _drop_details(db, facts.owner.keys(), present)
    # A batch appends in its own order; sorted, the lists are what one batch gives.
    report.added.sort()
    report.updated.sort()
    report.externals_added.sort()
    report.adopted.sort(key=lambda label: (label.split(" ", 1)[1], label))
    if progress is not None:
        progress.advance(len(facts.owner))
        progress.finish()


def batches(sizes: dict[str, int]) -> Iterator[list[str]]:
    """Model names in order, in groups of about VERSION_BATCH versions; a model is never split.

    A batch holds at most VERSION_BATCH - 1 versions plus its last model's.
    """
    batch: list[str] = []
    count = 0
    for name, size in sizes.items():
        batch.append(name)
        count += size
        if count >= VERSION_BATCH:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def _sync_batch(
    db: Database,
    repo: pygit2.Repository,
    registry: Registry,
    facts: Facts,
    batch: list[str],
    written: set[str],
    table_set: tuple[Table, Table, Table],
    report: SyncReport,
    schema: HostSchema,
    options: Options,
    present: tuple[Table, ...],
) -> list[tuple[str, str, str]]:
    """Project and write the versions of the models in ``batch``; the pointers left for later.

    A row may point only at an artifact that exists (foreign keys): a pointer
    to a version of a later batch (``written`` are the models written so far,
    this batch's included) is set once every batch is written. Everything
    read here (versions, parsed files, rows) is dropped on return.
    """
    artifacts_t, versions_t, events_t = table_set
    versions = [v for models in registry.read_models(batch).values() for v in models]
    prime_data(versions, Path(repo.path))
    ids = {v.artifact_id for v in versions}
    lookup = FactsLookup(versions, facts.ids)
    history = histories(events_for(db, events_t, ids))
    artifacts, model_versions = project_versions(versions, lookup, history)
    outside = {i for i in pointed_at(model_versions) if i in facts.owner and i not in ids}
    pair = (artifacts_t, versions_t)
    plan = make_plan(
        db,
        pair,
        artifacts,
        model_versions,
        versions,
        ids,
        report,
        schema,
        options,
        outside,
        all_externals=False,  # collected by the last pass only (apply_plan below)
    )

    def later(ident: str) -> bool:
        return ident in facts.owner and facts.owner[ident] not in written

    apply_plan(
        db,
        plan,
        pair,
        report,
        schema,
        overwrite=options.overwrite,
        collect_externals=False,
        defer=later,
    )
    report.details += details.sync_details(db, registry, versions, lookup, repo, ids, present)
    return plan.deferred


def _sync_events(
    db: Database,
    repo: pygit2.Repository,
    commit_id: str,
    events_t: Table,
    progress: Progress | None,
) -> int:
    """The whole history's events, repaired row by row, EVENT_BATCH changes at a time.

    A batch holds whole commits: the database's rows of those commits are all
    the rows it can have to replace or delete. What is kept across batches is
    the set of commit ids seen, for the rows of commits no longer in the history.
    """
    import pygit2

    # libgit2 keeps the small trees it parses (every model folder of every commit
    # read) up to 256 MB by default; a pass over the whole history reads each once.
    # At 100k versions a cold full sync peaked at 664-750 MB with it, 339 MB at 32 MB.
    pygit2.settings.cache_max_size(HISTORY_CACHE_BYTES)
    total, batches = events_mod.history_batches(repo, commit_id, EVENT_BATCH)
    if progress is not None:
        progress.start("reading history", total)
    seen: set[str] = set()
    written = 0
    names = list(events_t.columns)
    select = f"SELECT {', '.join(names)} FROM {events_t.name}"
    to_row = row_reader(events_t.columns, names)
    for changes in batches:
        rows = events_mod.event_rows(repo, changes, progress.advance if progress else None)
        wanted = {(e["commit_sha"], e["path"]): e for e in rows}
        commits = {c.commit for c in changes}
        seen |= commits
        existing: dict[tuple[str, str], Row] = {}
        for values in select_in(db, select, "commit_sha", commits):
            row = to_row(values)
            existing[(row["commit_sha"], row["path"])] = row
        stale = {
            key
            for key, row in existing.items()
            if key not in wanted or differing_columns(wanted[key], row, events_t.columns)
        }
        tbl.delete(db, events_t, stale)
        fresh = [e for key, e in wanted.items() if key not in existing or key in stale]
        insert(db, events_t, fresh)
        written += len(fresh)
    extra = [
        str(r[0])
        for r in db.query(f"SELECT DISTINCT commit_sha FROM {events_t.name}")
        if str(r[0]) not in seen
    ]
    tbl.delete_where_in(db, events_t.name, "commit_sha", extra)
    if progress is not None:
        progress.finish()
    return written


def _drop_details(db: Database, keep: Container[str], present: tuple[Table, ...]) -> int:
    """Delete the detail rows of artifact ids that are no registry version any more."""
    dropped = 0
    for table in present:
        column = table.key[0]
        counts = db.query(f"SELECT {column}, COUNT(*) FROM {table.name} GROUP BY {column}")
        doomed = [str(r[0]) for r in counts if str(r[0]) not in keep]
        tbl.delete_where_in(db, table.name, column, doomed)
        dropped += sum(int(r[1]) for r in counts if str(r[0]) not in keep)
    return dropped
