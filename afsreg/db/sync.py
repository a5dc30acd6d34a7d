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
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pygit2

import afsreg
from afsreg.db import events as events_mod
from afsreg.db import tables as tbl
from afsreg.db.connect import Database, connect, dialect_of, mask_url, resolve_url, sqlite_path
from afsreg.db.migrate import apply_pending, pending
from afsreg.db.project import (
    NO_HISTORY,
    History,
    Lookup,
    Row,
    differing_columns,
    external_row,
    from_db,
    histories,
    is_owned_external,
    project_version,
    referenced_ids,
)
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
from afsreg.format.record import ModelVersion
from afsreg.git.repo import find_root, open_repo, resolve_commit
from afsreg.git.sources import is_model_path, tree_files
from afsreg.registry import Registry


class Progress(Protocol):
    """Where long runs report progress (the CLI shows a bar on a terminal)."""

    def start(self, label: str, total: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...


@dataclass
class SyncReport:
    database: str  # password masked
    rev: str
    commit: str
    mode: str  # full | incremental | noop
    reason: str | None = None
    dry_run: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    events: int = 0
    externals_added: list[str] = field(default_factory=list)
    externals_removed: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "rev": self.rev,
            "commit": self.commit,
            "mode": self.mode,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "events": self.events,
            "externals_added": self.externals_added,
            "externals_removed": self.externals_removed,
            "migrations": self.migrations,
            "warnings": self.warnings,
        }

    def summary(self) -> str:
        verb = "would sync" if self.dry_run else "synced"
        head = f"{verb} {self.rev} ({self.commit[:12]}) into {self.database}: {self.mode}"
        if self.reason:
            head += f" ({self.reason})"
        lines = [head]
        if self.migrations:
            lines.append(f"  migrations applied: {', '.join(self.migrations)}")
        lines.append(
            f"  {len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged; {self.events} events written"
        )
        if self.externals_added or self.externals_removed:
            lines.append(
                f"  external references: {len(self.externals_added)} added, {len(self.externals_removed)} removed"
            )
        for label, ids in (
            ("added", self.added),
            ("updated", self.updated),
            ("removed", self.removed),
        ):
            shown = ids[:20]
            for ident in shown:
                lines.append(f"  {label}: {ident}")
            if len(ids) > len(shown):
                lines.append(f"  ... and {len(ids) - len(shown)} more {label}")
        return "\n".join(lines)


# -- git helpers ------------------------------------------------------------------


def uncommitted_model_files(repo: pygit2.Repository) -> list[str]:
    """Model files whose working-tree or staged content differs from HEAD."""
    if repo.is_bare:
        return []
    try:
        status = repo.status(untracked_files="all")
    except pygit2.GitError:
        return []
    ignored = pygit2.enums.FileStatus.IGNORED
    return sorted(p for p, flags in status.items() if is_model_path(p) and not flags & ignored)


def _models_tree(repo: pygit2.Repository, commit: pygit2.Commit) -> pygit2.Tree | None:
    try:
        entry = commit.tree["models"]
    except KeyError:
        return None
    obj = repo[entry.id]
    return obj if isinstance(obj, pygit2.Tree) else None


def changed_model_paths(
    repo: pygit2.Repository, old: pygit2.Commit, new: pygit2.Commit
) -> list[tuple[str, str | None]]:
    """Model files whose blob differs between two commits (compared by id, unchanged subtrees skipped).

    Each is (path, blob id at ``old`` or None): both sides of a change are listed.
    """
    old_tree, new_tree = _models_tree(repo, old), _models_tree(repo, new)
    if old_tree is None and new_tree is None:
        return []
    if old_tree is None:
        assert new_tree is not None
        diff = new_tree.diff_to_tree(swap=True)
    elif new_tree is None:
        diff = old_tree.diff_to_tree()
    else:
        diff = old_tree.diff_to_tree(new_tree)
    added = pygit2.enums.DeltaStatus.ADDED
    deleted = pygit2.enums.DeltaStatus.DELETED
    result: list[tuple[str, str | None]] = []
    for delta in diff.deltas:
        if delta.status != added:
            result.append((f"models/{delta.old_file.path}", str(delta.old_file.id)))
        if delta.status != deleted:
            result.append((f"models/{delta.new_file.path}", None))
    return [(p, b) for p, b in result if is_model_path(p)]


def _old_artifact_id(repo: pygit2.Repository, path: str, blob_id: str) -> str | None:
    from afsreg.format.loader import YamlError, load_yaml

    try:
        blob = repo[blob_id]
        data = load_yaml(blob.data) if isinstance(blob, pygit2.Blob) else None
    except (YamlError, KeyError, ValueError):
        data = None
    return events_mod._artifact_id(data if isinstance(data, dict) else None, path)


# -- desired state ------------------------------------------------------------------


def registry_lookup(registry: Registry) -> Lookup:
    versions = list(registry)
    return Lookup(versions, _latest(versions))


def _latest(versions: Iterable[ModelVersion]) -> dict[str, str]:
    """Per model, the highest release (a pre-release only when there is no release); as Registry.latest."""
    latest: dict[str, str] = {}
    release_seen: set[str] = set()
    for version in versions:  # (name, numeric version) order
        is_release = "-" not in version.version
        if is_release or version.name not in release_seen:
            latest[version.name] = version.version
        if is_release:
            release_seen.add(version.name)
    return latest


def project_rows(
    versions: Iterable[ModelVersion],
    lookup: Lookup,
    history: Mapping[str, History],
    progress: Progress | None = None,
) -> tuple[dict[str, Row], dict[str, Row]]:
    """(artifacts rows, model_versions rows) by artifact id."""
    artifacts: dict[str, Row] = {}
    model_versions: dict[str, Row] = {}
    for count, version in enumerate(versions, start=1):
        artifact, model_version = project_version(
            version, lookup, history.get(version.artifact_id, NO_HISTORY)
        )
        artifacts[version.artifact_id] = artifact
        model_versions[version.artifact_id] = model_version
        if progress is not None and count % 250 == 0:
            progress.advance(250)
    return artifacts, model_versions


def _reuse_parsed(versions: Iterable[ModelVersion], blobs: events_mod.BlobCache) -> None:
    """Hand parsed contents (from the history walk or the parsed cache) to the versions.

    Parsing is the slow part of a sync; afsreg.git.parsed caches it by blob id.
    """
    versions = list(versions)
    blobs.prefetch(v.blob_id for v in versions)
    blobs.store.flush()
    for version in versions:
        parsed = blobs.parsed.get(version.blob_id)
        if parsed is not None and "data" not in version.__dict__:
            version.__dict__["data"] = parsed  # ModelVersion.data is a cached_property


@dataclass
class Desired:
    """What the tables should hold at one commit (all of it, or the part a sync touches)."""

    events: list[Row]
    artifacts: dict[str, Row]
    model_versions: dict[str, Row]


def desired_full(
    repo: pygit2.Repository, registry: Registry, commit_id: str, progress: Progress | None = None
) -> Desired:
    changes = events_mod.new_changes(repo, commit_id, None)
    if progress is not None:
        progress.start("reading history", len(changes))
    blobs = events_mod.BlobCache(repo)
    event_rows = events_mod.event_rows(repo, changes, progress.advance if progress else None, blobs)
    versions = list(registry)
    _reuse_parsed(versions, blobs)
    if progress is not None:
        progress.finish()
        progress.start("projecting versions", len(versions))
    artifacts, model_versions = project_rows(
        versions, registry_lookup(registry), histories(event_rows), progress
    )
    if progress is not None:
        progress.finish()
    return Desired(event_rows, artifacts, model_versions)


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
    root_path = find_root(root) if root is None else Path(root).resolve()
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
                and state.afsreg_version == afsreg.__version__
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

    registry = Registry(root_path, tree_files(repo, commit.tree), rev=rev, commit_id=commit_id)
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
        write_state(db, commit_id, rev, afsreg.__version__, report.mode)
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
    if (
        state.commit_sha == commit_id
        and state.afsreg_version == afsreg.__version__
        and not migrated
    ):
        report.mode, report.reason = "noop", "already synced"
        return None
    if state.afsreg_version != afsreg.__version__ or migrated:
        report.reason = f"last synced by afsreg {state.afsreg_version}, now {afsreg.__version__}"
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
        name, _ = events_mod.path_ref(path or "")
        if name:
            touched_models.add(name)
        if path and old_blob:
            ident = _old_artifact_id(repo, path, old_blob)
            if ident:
                old_ids.add(ident)
    for event in new_events:
        for path in (event["path"], event["old_path"]):
            name, _ = events_mod.path_ref(path or "")
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
