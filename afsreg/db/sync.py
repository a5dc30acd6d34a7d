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

import pygit2

from afsreg.db import details
from afsreg.db import events as events_mod
from afsreg.db import tables as tbl
from afsreg.db.apply import Options, apply_desired
from afsreg.db.connect import Database, connect, dialect_of, mask_url, resolve_url, sqlite_path
from afsreg.db.desired import Desired, desired_full, project_rows, registry_lookup
from afsreg.db.migrate import apply_pending, pending
from afsreg.db.ownership import OWNED_TABLE, OWNERSHIP_MIGRATION, claim_legacy
from afsreg.db.preflight import incompatibilities, inspect, refuse
from afsreg.db.project import (
    Row,
    differing_columns,
    from_db,
    histories,
)
from afsreg.db.sync_report import Progress, SyncReport
from afsreg.db.tables import (
    Table,
    fetch,
    insert,
    read_state,
    select_in,
    tables,
    write_state,
)
from afsreg.db.tree_diff import changed_model_paths, old_artifact_id, uncommitted_model_files
from afsreg.errors import AfsregError
from afsreg.format.paths import path_ref
from afsreg.git.history import shallow_key
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
    overwrite_db_changes: bool = False,
    on_remove: str = "restore",
) -> SyncReport:
    """Project the registry at ``rev`` into the database; see the module docstring.

    ``overwrite_db_changes`` writes over values changed in the database since
    the last sync (otherwise sync stops and lists them); ``on_remove`` says what
    happens to an adopted row whose file is gone: ``restore`` its values from
    before adoption, or ``keep`` them as afsreg last wrote them.
    """
    if on_remove not in ("restore", "keep"):
        raise AfsregError(f"on_remove: {on_remove!r} is not one of restore, keep")
    options = Options(overwrite=overwrite_db_changes, on_remove=on_remove)
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
                and state.shallow == shallow_key(repo)
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
        state = read_state(db)
        # Preflight: the host schema, before anything is written (afsreg.db.preflight).
        todo = pending(db)
        refuse(db, incompatibilities(db, inspect(db), [m.sql for m in todo]))
        report.migrations = [m.label for m in apply_pending(db)]
        if state is not None and OWNERSHIP_MIGRATION in report.migrations:
            claim_legacy(db, tables(db))
        last = _last_commit(
            repo, state, commit_id, full=full, migrated=bool(report.migrations), report=report
        )
        if report.mode == "noop":
            report.unchanged = _count_versions(db)
            return report
        if last is None:
            _sync_full(db, repo, registry, commit_id, report, progress, options)
        else:
            _sync_incremental(db, repo, registry, last, commit, report, progress, options)
        write_state(db, commit_id, rev, __version__, report.mode, shallow_key(repo))
    return report


def _count_versions(db: Database) -> int:
    """How many model_versions rows afsreg owns (the host's own rows are not counted)."""
    if not db.table_exists(OWNED_TABLE):
        return 0
    query = f"SELECT COUNT(*) FROM {OWNED_TABLE} WHERE table_name = 'model_versions'"
    return int(db.query(query)[0][0])


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
    if state.afsreg_version != __version__ or migrated:
        report.reason = f"last synced by afsreg {state.afsreg_version}, now {__version__}"
        return None
    if state.shallow != shallow_key(repo):
        # `git fetch --unshallow` (or --deepen) brought history in without moving
        # HEAD: the audit rows of the fetched commits come with a full sync.
        report.reason = "the clone's history was deepened since the last sync"
        return None
    if state.commit_sha == commit_id:
        report.mode, report.reason = "noop", "already synced"
        return None
    try:
        last = repo[state.commit_sha]
        is_ancestor = isinstance(last, pygit2.Commit) and (
            last.id == repo[commit_id].id or repo.descendant_of(commit_id, state.commit_sha)
        )
    except (KeyError, ValueError, pygit2.GitError):
        last, is_ancestor = None, False
    if not is_ancestor or not isinstance(last, pygit2.Commit):
        branch = _branch_holding(repo, state.commit_sha) if last is not None else None
        why = f"on branch {branch}" if branch else "history rewritten"
        report.reason = (
            f"{why}: last synced commit {state.commit_sha[:12]} is not an ancestor of "
            f"{report.rev}; doing a full sync"
        )
        return None
    report.mode = "incremental"
    return last


def _branch_holding(repo: pygit2.Repository, commit_sha: str) -> str | None:
    """A branch (local or remote) whose history holds ``commit_sha``: a switch, not a rewrite."""
    for name in repo.references:
        if not name.startswith(("refs/heads/", "refs/remotes/")):
            continue
        try:
            tip = repo.references[name].peel(pygit2.Commit).id
            if str(tip) == commit_sha or repo.descendant_of(tip, commit_sha):
                return name.removeprefix("refs/heads/").removeprefix("refs/remotes/")
        except (KeyError, ValueError, pygit2.GitError):
            continue
    return None


def _sync_full(
    db: Database,
    repo: pygit2.Repository,
    registry: Registry,
    commit_id: str,
    report: SyncReport,
    progress: Progress | None,
    options: Options,
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

    _apply(db, (artifacts_t, versions_t), desired, registry, None, report, progress, options)
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
    options: Options,
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
    _apply(db, (artifacts_t, versions_t), desired, registry, ids, report, progress, options)
    report.details = details.sync_details(db, registry, scope, registry_lookup(registry), repo, ids)
    report.unchanged = len(registry) - len(report.added) - len(report.updated)


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
    registry: Registry,
    candidates: set[str] | None,
    report: SyncReport,
    progress: Progress | None,
    options: Options,
) -> None:
    """Write the desired rows, under the ownership rules of a shared database (afsreg.db.apply)."""
    if progress is not None:
        progress.start("writing", len(desired.model_versions))
    apply_desired(
        db,
        table_pair,
        desired.artifacts,
        desired.model_versions,
        list(registry),
        candidates,
        report,
        inspect(db),
        options,
    )
    if progress is not None:
        progress.finish()
