"""An incremental sync, from the diff: work that grows with the change, not with the registry.

From the last synced commit to REV:

- events: ``git log last..REV`` over models/ (the new commits only);
- changed files: the tree diff of models/ (unchanged model folders are skipped
  by tree id, never walked);
- the versions projected again: every version of a model a change touched
  (version_number, is_latest, parent and superseded_by pointers depend on the
  siblings), the versions of other models that name one of its versions as a
  base model (found in ``afsreg_lineage``, which afsreg owns), and the versions
  whose evaluation dataset was an id that changed or went away;
- what projecting them needs to know of the others (artifact ids, latest
  versions) is read one model at a time from the registry (``ModelLookup``).

The registry serves only as the validation gate and as the reader of the
models named above: nothing here iterates it, and ``desired_full`` is never
called. ``tests/db/test_db_property.py`` holds it equal to a full sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from afsreg.db import details
from afsreg.db import events as events_mod
from afsreg.db import tables as tbl
from afsreg.db.apply import SyncRun, apply_plan, make_plan
from afsreg.db.connect import Database
from afsreg.db.desired import latest_versions
from afsreg.db.project import (
    Lookup,
    Row,
    histories,
    pointed_at,
    project_versions,
    row_reader,
)
from afsreg.db.tables import Table, insert, select_in, tables
from afsreg.db.tree_diff import changed_model_paths, old_artifact_id
from afsreg.format.paths import path_ref
from afsreg.format.record import ModelVersion
from afsreg.git.parsed import prime_data

if TYPE_CHECKING:
    import pygit2

    from afsreg.registry import Registry


class ModelLookup(Lookup):
    """A Lookup that reads a model's versions when first asked about it, not the whole registry."""

    def __init__(self, versions_of: Callable[[str], Sequence[ModelVersion]]) -> None:
        super().__init__(())
        self._versions_of = versions_of
        self._loaded: dict[str, list[ModelVersion]] = {}

    def load(self, name: str) -> list[ModelVersion]:
        if name not in self._loaded:
            versions = list(self._versions_of(name))  # (numeric version) order
            self._loaded[name] = versions
            self.by_model[name] = list(versions)
            for number, version in enumerate(versions, start=1):
                self.by_ref[(name, version.version)] = version
                self.number[(name, version.version)] = number
            self.latest.update(latest_versions(versions))
        return self._loaded[name]

    def artifact_id(self, name: str, version: str | None) -> str | None:
        if version is None:
            return None
        self.load(name)
        return super().artifact_id(name, version)


def sync_incremental(run: SyncRun, last: pygit2.Commit, commit: pygit2.Commit) -> None:
    """Sync from ``last`` (an ancestor of ``commit`` the database projects) to ``commit``."""
    db, repo, registry, schema = run.db, run.repo, run.registry, run.schema
    report, progress, options = run.report, run.progress, run.options
    artifacts_t, versions_t, events_t = tables(db, schema)
    changes = events_mod.new_changes(repo, str(commit.id), str(last.id))
    new_events = events_mod.event_rows(repo, changes)
    tbl.delete_where_in(db, events_t.name, "commit_sha", {e["commit_sha"] for e in new_events})
    insert(db, events_t, new_events)
    report.events = len(new_events)

    touched, old_ids = _touched(repo, last, commit, new_events)
    if not touched:
        report.unchanged = _count_versions(db)
        return
    lookup = ModelLookup(registry.versions)
    scope = [v for name in sorted(touched) for v in lookup.load(name)]
    scope += _dependents(db, registry, lookup, touched, old_ids, versions_t)
    for version in scope:
        lookup.load(version.name)  # version_number and is_latest come from its siblings
    # Every file in scope parsed in one read of afsreg's parsed cache (by blob id), as a full
    # sync batch does, instead of a blob read and a YAML parse per version.
    prime_data(scope, Path(repo.path))
    scope_ids = {v.artifact_id for v in scope}
    history = histories(events_for(db, events_t, scope_ids))
    artifacts, model_versions = project_versions(scope, lookup, history)
    referenced = pointed_at(model_versions) - scope_ids
    ids = scope_ids | old_ids
    if progress is not None:
        progress.start("writing", len(model_versions))
    pair = (artifacts_t, versions_t)
    outside = _untouched_versions(db, referenced, touched)
    plan = make_plan(
        db, pair, artifacts, model_versions, scope, ids, report, schema, options, outside
    )
    apply_plan(db, plan, pair, report, schema, overwrite=options.overwrite)
    if progress is not None:
        progress.finish()
    report.details = details.sync_details(db, registry, scope, lookup, repo, ids)
    report.unchanged = _count_versions(db) - len(report.added) - len(report.updated)


def _touched(
    repo: pygit2.Repository, last: pygit2.Commit, commit: pygit2.Commit, new_events: list[Row]
) -> tuple[set[str], set[str]]:
    """(models a change touched, artifact ids the changed files had before)."""
    touched: set[str] = set()
    old_ids: set[str] = set()
    for path, old_blob in changed_model_paths(repo, last, commit):
        name, _ = path_ref(path or "")
        if name:
            touched.add(name)
        if path and old_blob:
            ident = old_artifact_id(repo, path, old_blob)
            if ident:
                old_ids.add(ident)
    for event in new_events:
        for path in (event["path"], event["old_path"]):
            name, _ = path_ref(path or "")
            if name:
                touched.add(name)
        if event["artifact_id"]:
            old_ids.add(event["artifact_id"])
    return touched, old_ids


def _dependents(
    db: Database,
    registry: Registry,
    lookup: ModelLookup,
    touched: set[str],
    old_ids: set[str],
    versions_t: Table,
) -> list[ModelVersion]:
    """Versions of untouched models whose rows depend on a touched one.

    Those naming a touched model's version as a base model (their base_model_id
    and lineage rows hold its artifact id), and those whose evaluation dataset
    was an id that changed or went away (it becomes an external reference).
    Both are read from afsreg's own rows of the last sync: an untouched version
    is as it was then.
    """
    refs = {f"{name}@{v.version}" for name in touched for v in lookup.load(name)}
    refs |= {
        f"{r[0]}@{r[1]}"
        for r in select_in(db, "SELECT model, version FROM afsreg_versions", "model", touched)
    }
    lineage = "SELECT child_model, child_version, kind FROM afsreg_lineage"
    wanted = {
        (str(r[0]), str(r[1]))
        for r in select_in(db, lineage, "parent_ref", refs)
        if r[2] == "base_model"
    }
    # An id a touched model's version still has is still an artifact: the rows naming it
    # as their evaluation dataset stay as they are. Only ids that went away are looked
    # up (model_versions has no index on that column: a scan of the whole table).
    kept = {v.artifact_id for name in touched for v in lookup.load(name)}
    users = {
        str(r[0])
        for r in select_in(
            db,
            f"SELECT artifact_id FROM {versions_t.name}",
            "eval_dataset_artifact_id",
            old_ids - kept,
        )
    }
    wanted |= {
        (str(r[0]), str(r[1]))
        for r in select_in(db, "SELECT model, version FROM afsreg_versions", "artifact_id", users)
    }
    found = []
    for name, version in sorted(w for w in wanted if w[0] not in touched):
        match = next((v for v in lookup.load(name) if v.version == version), None)
        if isinstance(match, ModelVersion):
            found.append(match)
    return found


def _untouched_versions(db: Database, ids: Iterable[str], touched: set[str]) -> set[str]:
    """Which of ``ids`` are versions of untouched models (as the last sync recorded them)."""
    rows = select_in(db, "SELECT artifact_id, model FROM afsreg_versions", "artifact_id", ids)
    return {str(r[0]) for r in rows if str(r[1]) not in touched}


def _count_versions(db: Database) -> int:
    query = "SELECT COUNT(*) FROM afsreg_owned_rows WHERE table_name = 'model_versions'"
    return int(db.query(query)[0][0])


def events_for(db: Database, events_t: Table, artifact_ids: set[str]) -> list[Row]:
    names = ["artifact_id", "commit_sha", "committed_at", "message"]
    rows = select_in(
        db, f"SELECT {', '.join(names)} FROM {events_t.name}", "artifact_id", artifact_ids
    )
    to_row = row_reader(events_t.columns, names)
    return [to_row(values) for values in rows]
