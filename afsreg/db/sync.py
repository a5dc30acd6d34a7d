"""``afsreg sync``: project the registry at a commit into the database, in one transaction.

    report = sync(root, "postgresql://postgres@127.0.0.1:5432/models")
    print(report.summary())

Order of work:

1. Resolve the revision; if the database already projects that commit (same
   afsreg, schema up to date) stop there, before reading any model file.
2. Read and validate the registry at that commit; an invalid registry stops
   the sync before the database is touched.
3. In one transaction holding afsreg's write lock: apply pending migrations,
   re-read the sync state, then sync fully or incrementally, and record the
   commit. Any failure rolls everything back.

Incremental: only the model files whose blob changed between the last synced
commit and REV are read (plus the versions whose derived columns depend on
them: siblings of a touched model, fine-tunes of it), and only the new
commits' events are written. When the last synced commit is not an ancestor
of REV (history rewritten), a full sync is done instead.

Why ~410 lines in one module: it is the one transaction (full path, incremental
path, apply); the parts that are not (report, tree diff, desired state) live in
sync_report.py, tree_diff.py and desired.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pygit2

from afsreg.db import details
from afsreg.db import events as events_mod
from afsreg.db import tables as tbl
from afsreg.db.connect import Database, connect, dialect_of, mask_url, resolve_url, sqlite_path
from afsreg.db.desired import Desired, desired_full, project_rows, registry_lookup
from afsreg.db.migrate import apply_pending, pending
from afsreg.db.project import (
    Row,
    differing_columns,
    external_row,
    from_db,
    histories,
    is_owned_external,
    referenced_ids,
)
from afsreg.db.sync_report import Progress, SyncReport
from afsreg.db.tables import (
    Table,
    fetch,
    insert,
    read_state,
    select_in,
    tables,
    update,
    write_state,
)
from afsreg.db.tree_diff import changed_model_paths, old_artifact_id, uncommitted_model_files
from afsreg.format.paths import path_ref
from afsreg.git.repo import open_repo, resolve_commit, resolve_root
from afsreg.registry import Registry
from afsreg.version import __version__

# -- sync -----------------------------------------------------------------------------


def _connect_for(url: str, *, dry_run: bool) -> Database:
    """The database; a dry run against an embedded file that does not exist yet uses memory."""
    if dry_run and dialect_of(url) == "sqlite" and not Path(sqlite_path(url)).exists():
        db = connect("sqlite://:memory:")
        db.url = mask_url(url)
        return db
    return connect(url)


def _database_exists(url: str) -> bool:
    return dialect_of(url) != "sqlite" or Path(sqlite_path(url)).exists()


def sync(
    root: str | os.PathLike[str] | None = None,
    database_url: str | None = None,
    rev: str = "HEAD",
    *,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Project the registry at ``rev`` into the database; see the module docstring."""
    root_path = resolve_root(root)
    repo = open_repo(root_path)
    commit = resolve_commit(repo, rev)
    commit_id = str(commit.id)
    url = resolve_url(database_url, root_path)
    dirty = uncommitted_model_files(repo)
    warnings = []
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        warnings.append(
            f"uncommitted changes to model files are not synced (sync reads commit {rev}): {shown}"
        )

    if not full and _database_exists(url):
        with connect(url) as db:
            state = read_state(db)
            if (
                state is not None
                and state.commit_sha == commit_id
                and state.afsreg_version == __version__
                and not pending(db)
            ):
                return SyncReport(
                    db.url,
                    rev,
                    commit_id,
                    "noop",
                    "already synced",
                    dry_run,
                    warnings=warnings,
                    unchanged=_count_versions(db),
                )

    registry = Registry.at_commit(root_path, repo, commit, rev)
    registry.check()

    with _connect_for(url, dry_run=dry_run) as db, db.transaction(rollback=dry_run):
        report = SyncReport(db.url, rev, commit_id, "full", dry_run=dry_run, warnings=warnings)
        report.migrations = [m.label for m in apply_pending(db)]
        state = read_state(db)
        last = _last_commit(
            repo, state, commit_id, full=full, migrated=bool(report.migrations), report=report
        )
        if report.mode == "noop":
            report.unchanged = _count_versions(db)
            return report
        if last is None:
            _sync_full(db, repo, registry, commit_id, report, progress)
        else:
            _sync_incremental(db, repo, registry, last, commit, report, progress)
        write_state(db, commit_id, rev, __version__, report.mode)
    return report


def _count_versions(db: Database) -> int:
    if not db.table_exists("model_versions"):
        return 0
    return int(db.query("SELECT COUNT(*) FROM model_versions")[0][0])


def _last_commit(
    repo: pygit2.Repository,
    state: tbl.SyncState | None,
    commit_id: str,
    *,
    full: bool,
    migrated: bool,
    report: SyncReport,
) -> pygit2.Commit | None:
    """The commit to sync incrementally from; None for a full sync (report.reason says why)."""
    if full:
        report.reason = "--full"
        return None
    if state is None:
        report.reason = "first sync"
        return None
    if state.commit_sha == commit_id and state.afsreg_version == __version__ and not migrated:
        report.mode, report.reason = "noop", "already synced"
        return None
    if state.afsreg_version != __version__ or migrated:
        report.reason = f"last synced by afsreg {state.afsreg_version}, now {__version__}"
        return None
    try:
        last = repo[state.commit_sha]
        is_ancestor = isinstance(last, pygit2.Commit) and (
            last.id == repo[commit_id].id or repo.descendant_of(commit_id, state.commit_sha)
        )
    except (KeyError, ValueError, pygit2.GitError):
        last, is_ancestor = None, False
    if not is_ancestor or not isinstance(last, pygit2.Commit):
        report.reason = (
            f"history rewritten: last synced commit {state.commit_sha[:12]} is not an ancestor of "
            f"{report.rev}; doing a full sync"
        )
        return None
    report.mode = "incremental"
    return last


def _sync_full(
    db: Database,
    repo: pygit2.Repository,
    registry: Registry,
    commit_id: str,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    artifacts_t, versions_t, events_t = tables(db)
    desired = desired_full(repo, registry, commit_id, progress)
    # Events: the whole history of the commit, repaired row by row.
    existing_events = fetch(db, events_t)
    wanted = {(e["commit_sha"], e["path"]): e for e in desired.events}
    tbl.delete(db, events_t, [k for k in existing_events if k not in wanted])
    stale = [
        e
        for k, e in wanted.items()
        if k in existing_events and differing_columns(e, existing_events[k], events_t.columns)
    ]
    tbl.delete(db, events_t, [(e["commit_sha"], e["path"]) for e in stale])
    fresh = [e for k, e in wanted.items() if k not in existing_events] + stale
    insert(db, events_t, fresh)
    report.events = len(fresh)

    existing_versions = fetch(db, versions_t)
    ids = set(desired.model_versions) | set(existing_versions)
    existing_artifacts = fetch(db, artifacts_t, ids)
    _apply(
        db,
        (artifacts_t, versions_t),
        desired,
        existing_artifacts,
        existing_versions,
        registry,
        report,
        progress,
    )
    report.details = details.sync_details(
        db, registry, list(registry), registry_lookup(registry), repo
    )


def _sync_incremental(
    db: Database,
    repo: pygit2.Repository,
    registry: Registry,
    last: pygit2.Commit,
    commit: pygit2.Commit,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    artifacts_t, versions_t, events_t = tables(db)
    commit_id = str(commit.id)
    changes = events_mod.new_changes(repo, commit_id, str(last.id))
    new_events = events_mod.event_rows(repo, changes)
    tbl.delete_where_in(db, events_t.name, "commit_sha", {e["commit_sha"] for e in new_events})
    insert(db, events_t, new_events)
    report.events = len(new_events)

    # What changed: blobs that differ between the two trees, and files the new commits touched.
    touched_models: set[str] = set()
    old_ids: set[str] = set()
    for path, old_blob in changed_model_paths(repo, last, commit):
        name, _ = path_ref(path or "")
        if name:
            touched_models.add(name)
        if path and old_blob:
            ident = old_artifact_id(repo, path, old_blob)
            if ident:
                old_ids.add(ident)
    for event in new_events:
        for path in (event["path"], event["old_path"]):
            name, _ = path_ref(path or "")
            if name:
                touched_models.add(name)
        if event["artifact_id"]:
            old_ids.add(event["artifact_id"])
    if not touched_models:
        report.unchanged = _count_versions(db)
        return
    all_versions = list(registry)
    # Versions outside the touched models whose evaluation dataset is a version
    # that changed its id or went away must be projected again too.
    dataset_users = {
        str(r[0])
        for r in select_in(
            db, f"SELECT artifact_id FROM {versions_t.name}", "eval_dataset_artifact_id", old_ids
        )
    }
    scope = [
        v
        for v in all_versions
        if v.name in touched_models
        or any(ref.partition("@")[0] in touched_models for ref in v.base_refs)
        or v.artifact_id in dataset_users
    ]
    scope_ids = {v.artifact_id for v in scope}
    history_rows = _events_for(db, events_t, scope_ids)
    artifacts, model_versions = project_rows(
        scope, registry_lookup(registry), histories(history_rows)
    )
    desired = Desired(new_events, artifacts, model_versions)
    ids = scope_ids | old_ids
    existing_versions = fetch(db, versions_t, ids)
    existing_artifacts = fetch(db, artifacts_t, ids)
    _apply(
        db,
        (artifacts_t, versions_t),
        desired,
        existing_artifacts,
        existing_versions,
        registry,
        report,
        progress,
    )
    report.details = details.sync_details(db, registry, scope, registry_lookup(registry), repo, ids)
    report.unchanged = _count_versions(db) - len(report.added) - len(report.updated)


def _events_for(db: Database, events_t: Table, artifact_ids: set[str]) -> list[Row]:
    names = ["artifact_id", "commit_sha", "committed_at", "message"]
    rows = select_in(
        db, f"SELECT {', '.join(names)} FROM {events_t.name}", "artifact_id", artifact_ids
    )
    return [
        {n: from_db(v, events_t.columns[n]) for n, v in zip(names, values, strict=True)}
        for values in rows
    ]


def _apply(
    db: Database,
    table_pair: tuple[Table, Table],
    desired: Desired,
    existing_artifacts: dict[Any, Row],
    existing_versions: dict[Any, Row],
    registry: Registry,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    """Write the difference between ``desired`` and the existing rows it covers."""
    artifacts_t, versions_t = table_pair
    version_ids = {v.artifact_id for v in registry}
    # External references first: the model_versions rows point at them.
    needed = {
        i for row in desired.model_versions.values() for i in referenced_ids(row)
    } - version_ids
    present = {str(r[0]) for r in select_in(db, "SELECT id FROM artifacts", "id", needed)}
    new_externals = [external_row(i) for i in sorted(needed - present)]
    insert(db, artifacts_t, new_externals)
    report.externals_added = [r["id"] for r in new_externals]

    new_artifacts, changed_artifacts, new_versions, changed_versions = [], [], [], []
    for ident in sorted(desired.model_versions):
        artifact, version = desired.artifacts[ident], desired.model_versions[ident]
        old_artifact, old_version = existing_artifacts.get(ident), existing_versions.get(ident)
        artifact_changed = old_artifact is None or bool(
            differing_columns(artifact, old_artifact, artifacts_t.columns)
        )
        version_changed = old_version is None or bool(
            differing_columns(version, old_version, versions_t.columns)
        )
        if old_artifact is None:
            new_artifacts.append(artifact)
        elif artifact_changed:
            changed_artifacts.append(artifact)
        if old_version is None:
            new_versions.append(version)
            report.added.append(ident)
        elif version_changed or artifact_changed:
            report.updated.append(ident)
            if version_changed:
                changed_versions.append(version)
        elif old_artifact is not None and not artifact_changed:
            report.unchanged += 1
    if progress is not None:
        progress.start(
            "writing",
            len(new_artifacts) + len(changed_artifacts) + len(new_versions) + len(changed_versions),
        )
    insert(db, artifacts_t, new_artifacts)
    update(db, artifacts_t, changed_artifacts)
    insert(db, versions_t, new_versions)
    update(db, versions_t, changed_versions)
    removed = sorted(
        i for i in existing_versions if i not in desired.model_versions and i not in version_ids
    )
    # model_versions rows first: PostgreSQL may check a removed fine-tune's base_model_id
    # reference before the cascade from its own artifacts row has removed it.
    tbl.delete(db, versions_t, removed)
    # A removed version that another version still names (as its evaluation
    # dataset) stays, as an external reference, so the foreign key holds.
    still_named = [i for i in removed if i in needed]
    update(db, artifacts_t, [external_row(i) for i in still_named])
    report.externals_added += still_named
    tbl.delete(db, artifacts_t, [i for i in removed if i not in needed])
    report.removed = removed
    if progress is not None:
        progress.finish()
    report.externals_removed = _collect_externals(db, artifacts_t)


def _collect_externals(db: Database, artifacts_t: Table) -> list[str]:
    """Delete the external rows afsreg created that no model version references any more."""
    externals = fetch(db, artifacts_t, where="origin_type = 'external'")
    owned = [ident for ident, row in externals.items() if is_owned_external(row) and ident]
    if not owned:
        return []
    referenced = {
        str(r[0])
        for r in db.query(
            "SELECT base_model_id FROM model_versions WHERE base_model_id IS NOT NULL "
            "UNION SELECT eval_dataset_artifact_id FROM model_versions WHERE eval_dataset_artifact_id IS NOT NULL"
        )
    }
    unused = sorted(i for i in owned if i not in referenced)
    # Repair an owned external row edited by hand: its content is a function of its id.
    drifted = [
        external_row(i)
        for i in owned
        if i in referenced and differing_columns(external_row(i), externals[i], artifacts_t.columns)
    ]
    update(db, artifacts_t, drifted)
    tbl.delete(db, artifacts_t, unused)
    return unused
