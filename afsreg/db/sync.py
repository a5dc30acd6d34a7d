"""``afsreg sync``: project the registry at a commit into the database, in one transaction.

    report = sync(root, "postgresql://postgres@127.0.0.1:5432/models")
    print(report.summary())

Order of work:

1. Resolve the revision (one ``git rev-parse``, with ``git status`` for the
   uncommitted-files warning running beside it); if the database already
   projects that commit (same afsreg, schema up to date: one query, on
   PostgreSQL through libpq without importing psycopg: afsreg.db.libpq) stop
   there, before reading any model file or opening the repository. A sync
   that writes waits for ``git status`` only once its transaction is over.
2. Read and validate the registry at that commit; an invalid registry stops
   the sync before the database is touched.
3. In one transaction holding afsreg's write lock: apply pending migrations,
   re-read the sync state, then sync fully or incrementally, and record the
   commit. Any failure rolls everything back.

Incremental (afsreg.db.incremental): only the commits since the last synced
one are read (their events), and only the versions the tree diff names, with
the ones whose derived columns depend on them. When the last synced commit is
not an ancestor of REV (history rewritten), a full sync is done instead.

The no-op path imports only what it needs (no pygit2, no registry): the write
path's modules are imported inside the functions that use them.

Why ~470 lines in one module: it is the one transaction (the no-op check, the
choice of full or incremental) and its entry; the full and incremental paths,
report, tree diff and desired state live in full.py, incremental.py,
sync_report.py, tree_diff.py and desired.py.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from afsreg.db.connect import (
    Database,
    DatabaseError,
    connect,
    dialect_of,
    mask_url,
    named_url,
    resolve_url,
    sqlite_path,
)
from afsreg.db.sync_report import Progress, SyncReport
from afsreg.errors import AfsregError
from afsreg.version import __version__

if TYPE_CHECKING:
    import pygit2

    from afsreg.db import tables as tbl
    from afsreg.db.apply import Options
    from afsreg.db.libpq import Reader
    from afsreg.registry import Registry

OWNED_TABLE = "afsreg_owned_rows"  # afsreg.db.ownership.OWNED_TABLE, without importing it
STATE_TABLE = "afsreg_sync_state"  # afsreg.db.tables.STATE_TABLE

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


@dataclass
class Head:
    """What git says of the revision, read without opening the repository in-process."""

    root: Path
    git_dir: Path
    commit_id: str
    status: subprocess.Popen[bytes] | None  # ``git status`` of the model files, maybe still running
    _dirty: list[str] | None = None

    @property
    def shallow(self) -> str:
        """afsreg.git.history.shallow_key, from the git directory."""
        try:
            text = (self.git_dir / "shallow").read_text()
        except OSError:
            return ""
        return ",".join(sorted(line.strip() for line in text.splitlines() if line.strip()))

    def dirty(self) -> list[str] | None:
        """Model files whose working-tree or staged content differs from HEAD; None if git failed.

        Waits for ``git status`` the first time: it grows with the work tree
        (~0.2 s at 100,000 files), so a sync asks only once its own work is done.
        """
        if self.status is not None:
            listed, _ = self.status.communicate()
            if self.status.returncode == 0:
                self._dirty = _status_paths(listed)
            self.status = None
        return self._dirty


@dataclass
class HeadQuery:
    """The two git processes ``start_head`` launched; ``finish`` reads rev-parse's answer."""

    parse: subprocess.Popen[bytes]
    status: subprocess.Popen[bytes]
    root: Path | None

    def finish(self) -> Head | None:
        """The revision's Head (its ``git status`` still running), or None (``git status`` reaped)."""
        parsed, _ = self.parse.communicate()
        lines = parsed.decode("utf-8", "surrogateescape").splitlines()
        head = None
        if self.parse.returncode == 0 and len(lines) == 3:
            top, git_dir, commit_id = lines
            toplevel = Path(top)
            # A root that is not a work tree's top: the pygit2 path decides what it is.
            if self.root is None or toplevel.resolve() == self.root:
                head = Head(toplevel, Path(git_dir), commit_id, self.status)
        if head is None:
            self.status.communicate()
        return head


def start_head(root: Path | None, rev: str) -> HeadQuery | None:
    """Ask git for ``rev``'s commit, the work tree, the git directory and the uncommitted model files.

    Two git processes (~5-25 ms) run beside this one, which meanwhile opens
    the database; ``finish`` is None when git cannot answer (no git, a bare
    repository, a bad revision): the caller then takes the pygit2 path, which
    gives the full error message.
    """
    if rev.startswith("-"):
        return None
    cwd = root if root is not None else Path.cwd()
    argv_parse = ["git", "rev-parse", "--show-toplevel", "--absolute-git-dir", "--verify", "-q"]
    # --no-optional-locks: a status that refreshes the index must not write it.
    argv_status = ["git", "--no-optional-locks", "-c", "core.quotepath=off", "status"]
    argv_status += ["--porcelain=v1", "-z", "--untracked-files=all", "--", "models"]
    try:
        parse = subprocess.Popen(
            [*argv_parse, f"{rev}^{{commit}}"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        status = subprocess.Popen(
            argv_status, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        parse.communicate()
        return None
    return HeadQuery(parse, status, root)


def _status_paths(output: bytes) -> list[str]:
    """Model file paths of ``git status --porcelain=v1 -z`` (both sides of a rename)."""
    from afsreg.format.paths import is_model_path

    paths: set[str] = set()
    entries = output.split(b"\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        paths.add(entry[3:].decode("utf-8", "surrogateescape"))
        if entry[:1] in (b"R", b"C") or entry[1:2] in (b"R", b"C"):
            paths.add(entries[i].decode("utf-8", "surrogateescape"))  # the rename's source
            i += 1
    return sorted(p for p in paths if is_model_path(p))


def _open_for_check(url: str) -> Database | Reader:
    """A connection for the no-op check: PostgreSQL through libpq itself (no psycopg import)."""
    if dialect_of(url) == "postgresql":
        from afsreg.db.libpq import open_reader

        reader = open_reader(url)
        if reader is not None:
            return reader
    return connect(url)


def synced_count(db: Database | Reader, commit_id: str, shallow: str) -> int | None:
    """How many versions the database projects, when it already projects ``commit_id``; else None.

    One query for the sync state and every migration record; any doubt (a
    table missing, a migration pending or unknown) is None, and the
    transaction path then decides with the full checks. Only a database at
    ``commit_id`` is asked its version count: a count of afsreg's records
    (30-50 ms at 100,000 versions) that a sync with work to do does not need.
    """
    from afsreg.db.migrate import TABLE, load_migrations

    try:
        rows = db.query(
            f"SELECT s.commit_sha, s.afsreg_version, s.shallow, m.version, m.checksum "
            f"FROM {STATE_TABLE} s CROSS JOIN {TABLE} m WHERE s.id = 1"
        )
        if not rows or any(
            (str(r[0]), str(r[1]), str(r[2])) != (commit_id, __version__, shallow) for r in rows
        ):
            return None
        applied = {str(r[3]): str(r[4]) for r in rows}
        if applied != {m.version: m.checksum for m in load_migrations(db.dialect)}:
            return None
        count = db.query(f"SELECT COUNT(*) FROM {OWNED_TABLE} WHERE table_name = 'model_versions'")
    except DatabaseError:
        return None
    return int(str(count[0][0]))  # an int from psycopg or SQLite, text from libpq


def _dirty_warning(dirty: list[str], rev: str) -> list[str]:
    if not dirty:
        return []
    shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
    return [f"uncommitted changes to model files are not synced (sync reads commit {rev}): {shown}"]


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
    root_path = Path(root).resolve() if root is not None else None
    query = start_head(root_path, rev)
    head = None
    db: Database | Reader | None = None
    try:
        try:
            named = named_url(database_url)
            if query is not None and not full and named and _database_exists(named):
                db = _open_for_check(named)  # the connection, while git answers
            head = query.finish() if query is not None else None
            query = None
            if head is not None and not full:
                url = resolve_url(database_url, head.root)
                if db is None and _database_exists(url):
                    db = _open_for_check(url)
                count = synced_count(db, head.commit_id, head.shallow) if db is not None else None
                dirty = head.dirty() if db is not None and count is not None else None
                if db is not None and count is not None and dirty is not None:
                    return SyncReport(
                        db.url,
                        rev,
                        head.commit_id,
                        "noop",
                        "already synced",
                        dry_run,
                        warnings=_dirty_warning(dirty, rev),
                        unchanged=count,
                    )
        finally:
            if query is not None:
                query.finish()  # connecting failed: wait for git before raising
            if db is not None:
                db.close()
        from afsreg.db.apply import Options

        options = Options(overwrite=overwrite_db_changes, on_remove=on_remove)
        return _sync_write(
            root, database_url, rev, head, options, full=full, dry_run=dry_run, progress=progress
        )
    finally:
        if head is not None:
            head.dirty()  # git status is reaped whatever happened


def _sync_write(
    root: str | os.PathLike[str] | None,
    database_url: str | None,
    rev: str,
    head: Head | None,
    options: Options,
    *,
    full: bool,
    dry_run: bool,
    progress: Progress | None,
) -> SyncReport:
    """Everything but the no-op: validate, then the one transaction."""
    from afsreg.db.tree_diff import uncommitted_model_files
    from afsreg.git.repo import open_repo, resolve_commit, resolve_root
    from afsreg.registry import Registry

    root_path = head.root if head is not None else resolve_root(root)
    repo = open_repo(root_path)
    commit = resolve_commit(repo, head.commit_id if head is not None else rev)
    url = resolve_url(database_url, root_path)

    registry = Registry.at_commit(root_path, repo, commit, rev)
    registry.check()

    report = _transaction(
        url,
        repo,
        registry,
        rev,
        commit,
        dry_run=dry_run,
        progress=progress,
        options=options,
        full=full,
    )
    # git status ran beside all of the above: only now is its answer waited for.
    dirty = head.dirty() if head is not None else None
    report.warnings = _dirty_warning(
        dirty if dirty is not None else uncommitted_model_files(repo), rev
    )
    return report


def _transaction(
    url: str,
    repo: pygit2.Repository,
    registry: Registry,
    rev: str,
    commit: pygit2.Commit,
    *,
    dry_run: bool,
    progress: Progress | None,
    options: Options,
    full: bool,
) -> SyncReport:
    """The one transaction: migrations, then the full, incremental or no-op sync, and the state."""
    from afsreg.db.apply import SyncRun
    from afsreg.db.migrate import apply_pending, pending
    from afsreg.db.ownership import OWNERSHIP_MIGRATION, claim_legacy
    from afsreg.db.preflight import incompatibilities, inspect, refuse
    from afsreg.db.tables import read_state, tables, write_state
    from afsreg.git.history import shallow_key

    commit_id = str(commit.id)
    with _connect_for(url, dry_run=dry_run) as db, db.transaction(rollback=dry_run):
        report = SyncReport(db.url, rev, commit_id, "full", dry_run=dry_run)
        state = read_state(db)
        # Preflight: the host schema, before anything is written (afsreg.db.preflight).
        todo = pending(db)
        host = inspect(db)
        refuse(db, incompatibilities(db, host, [m.sql for m in todo]))
        report.migrations = [m.label for m in apply_pending(db, todo)]
        # What sync writes by: the schema read above, unless a migration changed it since.
        schema = inspect(db) if report.migrations else host
        if state is not None and OWNERSHIP_MIGRATION in report.migrations:
            claim_legacy(db, tables(db))
        last = _last_commit(
            repo, state, commit_id, full=full, migrated=bool(report.migrations), report=report
        )
        if report.mode == "noop":
            report.unchanged = _count_versions(db)
            return report
        run = SyncRun(db, repo, registry, schema, options, report, progress)
        if last is None:
            from afsreg.db.full import sync_full

            sync_full(run, commit_id)
        else:
            from afsreg.db.incremental import sync_incremental

            sync_incremental(run, last, commit)
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
    import pygit2

    from afsreg.git.history import shallow_key

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
    import pygit2

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
