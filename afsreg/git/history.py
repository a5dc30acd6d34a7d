"""Which commits touched which model file: the index behind `afsreg log`, `blame` and `diff`.

One `git log --name-status` over `models/` lists, for every model file, the commits
that added, modified, renamed or deleted it.  The index is kept in tables of afsreg's
cache file under the git directory (afsreg.git.store: keyed by the afsreg version, WAL) and read
by key: one query for one path's changes, never the whole index.

It is append-only.  The store holds a few *lines*: a line is a sequence of commits
(``seq`` 0 = oldest) with every change they made, and each tip ever indexed names
a line and how many of its commits are that tip's history.  A new tip that descends
from an indexed tip reads only ``git log indexed..tip`` and appends it (to that
line when the indexed tip is the line's end, else to a copy of the line's first
part, made inside SQLite).  A tip that descends from no indexed tip (history was
rewritten: amend, rebase, reset) or a clone whose shallow boundary moved (deepened
or unshallowed: the old answer said "truncated") gets a new line built from one
full ``git log``.  Only the ``LINES_KEEP`` most recently written lines are kept.
An appended line gives every path the same changes as a line built from scratch;
on merge histories the order of changes that are not each other's ancestors may
differ (both are newest-first topological orders; tests/git/test_history.py).

Why `git log` and not a pygit2 walk: on a synthetic 5,000-commit, 1,000-file
registry the subprocess plus parsing takes ~0.15 s, a pygit2 walk diffing every
commit against its parent ~0.85 s.  pygit2 is used for everything else (resolving
revisions, ancestry checks, reading blobs).

Renames are followed only at 90% similarity: version files look alike, and at
git's default 50% a new sibling version copied from an old one (with the old one
deleted) is taken for a rename of it.

Why ~720 lines: the index (its read API), the `git log` parser and the store that
appends to it are one format, read together.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygit2

from afsreg.errors import AfsregError
from afsreg.format.paths import MODELS_DIR, stem
from afsreg.git import repo as gitutil
from afsreg.git.store import cache_file, open_cache

RENAME_THRESHOLD = 90
# A store written by another afsreg version is not read (docs/history.md: keyed by version).
LINES_KEEP = 4
# How many of the most recently indexed tips are tried as the base of a new tip.
TIPS_TRIED = 32

# (seq, status, old_path, merge) of one change, as the index keeps it.
Entry = tuple[int, str, str | None, bool]


@dataclass(frozen=True)
class FileChange:
    """One commit's change to one model file.

    ``status`` is A (added), M (modified), D (deleted), R (renamed from
    ``old_path``) or T (type change).  ``merge`` is set when the commit is a
    merge that left the file different from every parent (a conflict resolution).
    ``truncated`` is set on changes at a shallow-clone boundary, where git shows
    every file as added because the parent commits are not in the clone.
    """

    commit: str
    seq: int
    status: str
    path: str
    old_path: str | None = None
    merge: bool = False
    truncated: bool = False


class HistoryIndex:
    """For every model file path ever seen in the history of ``tip``: its changes, newest first.

    ``commits`` (index = seq, oldest first) and ``paths`` (path -> entries, newest
    first) are a list and a dict when the index was built in memory, and views
    that query the store by key when it was read from the store.
    """

    def __init__(
        self,
        tip: str | None,
        shallow: frozenset[str] = frozenset(),
        commits: Sequence[str] | None = None,
        paths: Mapping[str, list[Entry]] | None = None,
    ) -> None:
        self.tip = tip
        self.shallow = shallow
        self.commits: Sequence[str] = [] if commits is None else commits
        self.paths: Mapping[str, list[Entry]] = {} if paths is None else paths

    def __repr__(self) -> str:
        return f"HistoryIndex(tip={self.tip!r}, commits={len(self.commits)})"

    @property
    def truncated(self) -> bool:
        """True when the clone is shallow: history before the boundary commits is missing."""
        return bool(self.shallow)

    def all_paths(self) -> list[str]:
        return sorted(self.paths)

    def paths_under(self, prefix: str) -> list[str]:
        if isinstance(self.paths, _StorePaths):
            return self.paths.under(prefix)
        return sorted(p for p in self.paths if p.startswith(prefix))

    def changes(self, path: str) -> list[FileChange]:
        """Changes to exactly this path, newest first (no rename following)."""
        return [self._change(path, entry) for entry in self.paths.get(path, [])]

    def file_history(self, path: str, follow_renames: bool = True) -> list[FileChange]:
        """Changes to ``path`` newest first, continuing into the rename source when it was renamed."""
        result: list[FileChange] = []
        seen: set[str] = set()
        current: str | None = path
        before = len(self.commits)  # only changes older than this seq
        while current is not None and current not in seen:
            seen.add(current)
            next_path = None
            for entry in self.paths.get(current, []):
                if entry[0] >= before:
                    continue
                change = self._change(current, entry)
                result.append(change)
                if follow_renames and change.status == "R" and change.old_path:
                    next_path = change.old_path
                    before = change.seq
                    break
            current = next_path
        return result

    def change_count(self) -> int:
        """How many changes the index holds (a rename counts twice: the rename and its source)."""
        if isinstance(self.paths, _StorePaths):
            return self.paths.change_count()
        return sum(len(entries) for entries in self.paths.values())

    def commit_batches(self, size: int) -> Iterator[list[FileChange]]:
        """Every change, oldest commit first, in lists of about ``size`` changes; a commit is never split.

        Read from the store as the caller goes (one query), so a walk over the
        whole history (a full sync) holds one list at a time, never the history.
        """
        if isinstance(self.paths, _StorePaths):
            rows: Iterable[tuple[int, str, Entry]] = self.paths.by_commit()
        else:
            rows = sorted(
                (
                    (entry[0], path, entry)
                    for path in sorted(self.paths)
                    for entry in self.paths[path]
                ),
                key=lambda row: row[0],
            )
        batch: list[FileChange] = []
        for seq, path, entry in rows:
            if len(batch) >= size and batch[-1].seq != seq:
                yield batch
                batch = []
            batch.append(self._change(path, entry))
        if batch:
            yield batch

    def _change(self, path: str, entry: Entry) -> FileChange:
        seq, status, old_path, merge = entry
        commit = self.commits[seq]
        return FileChange(
            commit=commit,
            seq=seq,
            status=status,
            path=path,
            old_path=old_path,
            merge=merge,
            truncated=commit in self.shallow and status == "A",
        )


def load_history(
    repo: pygit2.Repository, rev: str = "HEAD", *, use_cache: bool = True
) -> HistoryIndex:
    """The history index of ``rev``: from the store (appended with new commits), or built in memory.

    ``use_cache=False`` (or a store that cannot be opened: a read-only clone)
    builds the index in memory from one full `git log`.
    """
    tip = resolve_commit(repo, rev)
    shallow = shallow_commits(repo)
    if tip is None:
        return HistoryIndex(tip=None, shallow=shallow)
    store = HistoryStore.open(Path(repo.path)) if use_cache else None
    if store is not None:
        with contextlib.suppress(sqlite3.Error):
            return store.index(repo, tip, shallow)
    index = HistoryIndex(tip=tip, shallow=shallow, commits=[], paths={})
    _append_log(index, git_log(repo, [tip]))
    return index


def resolve_commit(repo: pygit2.Repository, rev: str) -> str | None:
    """The commit id ``rev`` names; None for HEAD of a repository with no commits yet."""
    if rev in ("HEAD", "@") and repo.head_is_unborn:
        return None
    return str(gitutil.resolve_commit(repo, rev).id)


def shallow_commits(repo: pygit2.Repository) -> frozenset[str]:
    """The boundary commits of a shallow clone (empty for a full clone)."""
    try:
        text = (Path(repo.path) / "shallow").read_text()
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def shallow_key(repo: pygit2.Repository) -> str:
    """The shallow boundary as one string ('' for a full clone): what a sync was made at."""
    return ",".join(sorted(shallow_commits(repo)))


class HistoryStore:
    """The history lines in the tables of the cache file: read by key, appended to."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        # The web server reads one index from several threads; sqlite3 calls are serialised here.
        self.lock = threading.Lock()

    @classmethod
    def open(cls, git_dir: Path) -> HistoryStore | None:
        """The store of the repository at ``git_dir``; None when it cannot be opened (read-only)."""
        db = open_cache(git_dir, _SCHEMA, across_threads=True)
        return cls(db, cache_file(git_dir)) if db is not None else None

    def index(self, repo: pygit2.Repository, tip: str, shallow: frozenset[str]) -> HistoryIndex:
        """The index of ``tip``: stored, or appended from the nearest indexed ancestor, or built."""
        key = ",".join(sorted(shallow))
        found = self._tip(tip, key)
        if found is None:
            base = self._base(repo, tip, key)
            revs = [tip] if base is None else [tip, f"^{base[0]}"]
            records = list(parse_log(git_log(repo, revs)))
            found = self._write(repo, tip, key, base, records)
        line, length = found
        shas: dict[int, str] = {}  # seq -> commit id, learnt while reading changes
        return HistoryIndex(
            tip=tip,
            shallow=shallow,
            commits=_StoreCommits(self, line, length, shas),
            paths=_StorePaths(self, line, length, shas),
        )

    def query(self, sql: str, args: Sequence[object]) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def stream(
        self, sql: str, args: Sequence[object], size: int = 2000
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` read as the caller goes, ``size`` at a time (a query over a whole line)."""
        with self.lock:
            cursor = self.db.execute(sql, args)
        while True:
            with self.lock:
                rows = cursor.fetchmany(size)
            if not rows:
                return
            yield from rows

    def _tip(self, tip: str, key: str) -> tuple[int, int] | None:
        rows = self.query(
            "SELECT t.line, t.length FROM tips t JOIN lines l ON l.line = t.line"
            " WHERE t.tip = ? AND l.shallow = ? ORDER BY t.length DESC LIMIT 1",
            (tip, key),
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def _base(self, repo: pygit2.Repository, tip: str, key: str) -> tuple[str, int, int] | None:
        """The indexed ancestor of ``tip`` with the most history: (its tip, line, length)."""
        rows = self.query(
            "SELECT t.tip, t.line, t.length FROM tips t JOIN lines l ON l.line = t.line"
            " WHERE l.shallow = ? ORDER BY t.used DESC LIMIT ?",
            (key, TIPS_TRIED),
        )
        best: tuple[str, int, int] | None = None
        for cached, line, length in rows:
            candidate = (str(cached), int(line), int(length))
            if best is not None and candidate[2] <= best[2]:
                continue
            if _is_ancestor(repo, candidate[0], tip):
                best = candidate
        return best

    def _write(
        self,
        repo: pygit2.Repository,
        tip: str,
        key: str,
        base: tuple[str, int, int] | None,
        records: list[tuple[str, list[str], list[tuple[str, str, str | None]]]],
    ) -> tuple[int, int]:
        """Append ``records`` (newest first) after ``base`` in one transaction; (line, length)."""
        with self.lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have indexed this tip, or grown the line, meanwhile.
                row = db.execute(
                    "SELECT t.line, t.length FROM tips t JOIN lines l ON l.line = t.line"
                    " WHERE t.tip = ? AND l.shallow = ? LIMIT 1",
                    (tip, key),
                ).fetchone()
                if row is not None:
                    db.execute("COMMIT")
                    return int(row[0]), int(row[1])
                now = time.time()
                line = start = None
                if base is not None:
                    _, base_line, start = base
                    row = db.execute(
                        "SELECT length FROM lines WHERE line = ?", (base_line,)
                    ).fetchone()
                    if row is None:  # pruned meanwhile: build the whole history instead
                        base, start = None, None
                        records = list(parse_log(git_log(repo, [tip])))
                    elif int(row[0]) == start:
                        line = base_line
                    else:
                        line = _fork(db, base_line, start, key, now)
                if line is None:
                    line = int(
                        db.execute(
                            "INSERT INTO lines (shallow, length, used) VALUES (?, 0, ?)",
                            (key, now),
                        ).lastrowid
                        or 0
                    )
                    start = 0
                assert start is not None
                commits, changes = _rows(line, start, records)
                db.executemany("INSERT INTO commits VALUES (?, ?, ?)", commits)
                db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?)", changes)
                length = start + len(commits)
                db.execute(
                    "UPDATE lines SET length = ?, used = ? WHERE line = ?", (length, now, line)
                )
                db.execute(
                    "INSERT OR REPLACE INTO tips VALUES (?, ?, ?, ?)", (tip, line, length, now)
                )
                _prune(db, line)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if base is None:
            _remove_json_caches(self.path.parent)
        return line, length


_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS lines (
    line INTEGER PRIMARY KEY, shallow TEXT NOT NULL, length INTEGER NOT NULL, used REAL NOT NULL
)
    """,
    """
CREATE TABLE IF NOT EXISTS tips (
    tip TEXT NOT NULL, line INTEGER NOT NULL, length INTEGER NOT NULL, used REAL NOT NULL,
    PRIMARY KEY (tip, line)
)
    """,
    """
CREATE TABLE IF NOT EXISTS commits (
    line INTEGER NOT NULL, seq INTEGER NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (line, seq)
) WITHOUT ROWID
    """,
    """
CREATE INDEX IF NOT EXISTS commits_by_sha ON commits (sha, line)
    """,
    """
CREATE TABLE IF NOT EXISTS changes (
    line INTEGER NOT NULL, path BLOB NOT NULL, seq INTEGER NOT NULL, ord INTEGER NOT NULL,
    status TEXT NOT NULL, old_path BLOB, merge INTEGER NOT NULL,
    PRIMARY KEY (line, path, seq, ord)
) WITHOUT ROWID
    """,
)


def _rows(
    line: int, start: int, records: list[tuple[str, list[str], list[tuple[str, str, str | None]]]]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The commit and change rows of one `git log` run (newest first), numbered from ``start``."""
    commits: list[tuple[object, ...]] = []
    changes: list[tuple[object, ...]] = []
    for offset, (commit, parents, found) in enumerate(reversed(records)):
        seq = start + offset
        commits.append((line, seq, commit))
        merge = int(len(parents) > 1)
        for ord_, (status, path, old_path) in enumerate(found):
            old = None if old_path is None else _enc(old_path)
            changes.append((line, _enc(path), seq, ord_, status, old, merge))
    return commits, changes


def _enc(path: str) -> bytes:
    """A path as stored: its bytes (git paths need not be UTF-8; they arrive surrogate-escaped)."""
    return path.encode("utf-8", "surrogateescape")


def _dec(stored: bytes) -> str:
    return bytes(stored).decode("utf-8", "surrogateescape")


def _fork(db: sqlite3.Connection, line: int, length: int, key: str, now: float) -> int:
    """A new line holding the first ``length`` commits of ``line`` (copied inside SQLite)."""
    new = int(
        db.execute(
            "INSERT INTO lines (shallow, length, used) VALUES (?, ?, ?)", (key, length, now)
        ).lastrowid
        or 0
    )
    db.execute(
        "INSERT INTO commits SELECT ?, seq, sha FROM commits WHERE line = ? AND seq < ?",
        (new, line, length),
    )
    db.execute(
        "INSERT INTO changes SELECT ?, path, seq, ord, status, old_path, merge FROM changes"
        " WHERE line = ? AND seq < ?",
        (new, line, length),
    )
    return new


def _prune(db: sqlite3.Connection, keep: int) -> None:
    """Drop the lines beyond the ``LINES_KEEP`` most recently written (never ``keep``)."""
    old = [
        int(r[0])
        for r in db.execute(
            "SELECT line FROM lines WHERE line != ? ORDER BY used DESC LIMIT -1 OFFSET ?",
            (keep, LINES_KEEP - 1),
        )
    ]
    for line in old:
        for table in ("changes", "commits", "tips", "lines"):
            db.execute(f"DELETE FROM {table} WHERE line = ?", (line,))


def _remove_json_caches(folder: Path) -> None:
    """The whole-file JSON caches of afsreg before the store: never read again."""
    with contextlib.suppress(OSError):
        for old in folder.glob("history-v1.*.json"):
            with contextlib.suppress(OSError):
                old.unlink()


class _StorePaths(Mapping[str, list[Entry]]):
    """path -> its changes (newest first) in the first ``length`` commits of a stored line.

    One path is one query (its commits' ids come with it, into ``shas``).
    Iterating over every path reads the whole line once, in one query: a
    caller that walks all paths (a full sync) then reads them from memory.
    """

    def __init__(self, store: HistoryStore, line: int, length: int, shas: dict[int, str]) -> None:
        self.store, self.line, self.length, self.shas = store, line, length, shas
        self.whole: dict[str, list[Entry]] | None = None

    def __getitem__(self, path: str) -> list[Entry]:
        if self.whole is not None:
            return self.whole[path]
        rows = self.store.query(
            "SELECT c.seq, c.status, c.old_path, c.merge, m.sha FROM changes c"
            " JOIN commits m ON m.line = c.line AND m.seq = c.seq"
            " WHERE c.line = ? AND c.path = ? AND c.seq < ? ORDER BY c.seq DESC, c.ord DESC",
            (self.line, _enc(path), self.length),
        )
        if not rows:
            raise KeyError(path)
        entries: list[Entry] = []
        for seq, status, old, merge, sha in rows:
            self.shas[seq] = sha
            entries.append((seq, status, None if old is None else _dec(old), bool(merge)))
        return entries

    def load_whole(self) -> dict[str, list[Entry]]:
        if self.whole is None:
            rows = self.store.query(
                "SELECT c.path, c.seq, c.status, c.old_path, c.merge, m.sha FROM changes c"
                " JOIN commits m ON m.line = c.line AND m.seq = c.seq"
                " WHERE c.line = ? AND c.seq < ? ORDER BY c.path, c.seq DESC, c.ord DESC",
                (self.line, self.length),
            )
            whole: dict[str, list[Entry]] = {}
            for path, seq, status, old, merge, sha in rows:
                self.shas[seq] = sha
                entry = (seq, status, None if old is None else _dec(old), bool(merge))
                whole.setdefault(_dec(path), []).append(entry)
            self.whole = whole
        return self.whole

    def change_count(self) -> int:
        rows = self.store.query(
            "SELECT COUNT(*) FROM changes WHERE line = ? AND seq < ?", (self.line, self.length)
        )
        return int(rows[0][0])

    def by_commit(self) -> Iterator[tuple[int, str, Entry]]:
        """(seq, path, entry) of every change, oldest commit first, read as the caller goes."""
        # CROSS JOIN keeps changes the outer loop: walked in seq order through the commits'
        # key, SQLite would scan every change of the line once per commit.
        rows = self.store.stream(
            "SELECT c.seq, c.path, c.status, c.old_path, c.merge, m.sha FROM changes c"
            " CROSS JOIN commits m ON m.line = c.line AND m.seq = c.seq"
            " WHERE c.line = ? AND c.seq < ? ORDER BY c.seq, c.path, c.ord",
            (self.line, self.length),
        )
        for seq, path, status, old, merge, sha in rows:
            self.shas[seq] = sha
            yield seq, _dec(path), (seq, status, None if old is None else _dec(old), bool(merge))

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        if self.whole is not None:
            return path in self.whole
        return bool(
            self.store.query(
                "SELECT 1 FROM changes WHERE line = ? AND path = ? AND seq < ? LIMIT 1",
                (self.line, _enc(path), self.length),
            )
        )

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.load_whole()))

    def __len__(self) -> int:
        if self.whole is not None:
            return len(self.whole)
        rows = self.store.query(
            "SELECT COUNT(DISTINCT path) FROM changes WHERE line = ? AND seq < ?",
            (self.line, self.length),
        )
        return int(rows[0][0])

    def under(self, prefix: str) -> list[str]:
        """Every path starting with ``prefix``, sorted (one range scan of the key)."""
        low = _enc(prefix)
        # Every key starting with ``low`` sorts below ``low`` with its last byte under 0xff raised.
        stem_ = low.rstrip(b"\xff")
        if not stem_:
            return sorted(p for p in self if p.startswith(prefix))
        rows = self.store.query(
            "SELECT DISTINCT path FROM changes WHERE line = ? AND path >= ? AND path < ?"
            " AND seq < ?",
            (self.line, low, stem_[:-1] + bytes([stem_[-1] + 1]), self.length),
        )
        return sorted(_dec(r[0]) for r in rows)


class _StoreCommits(Sequence[str]):
    """The first ``length`` commits of a stored line, oldest first."""

    def __init__(self, store: HistoryStore, line: int, length: int, shas: dict[int, str]) -> None:
        self.store, self.line, self.length, self.shas = store, line, length, shas

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, seq: int) -> str:  # type: ignore[override]  # no slices: read by index
        if not 0 <= seq < self.length:
            raise IndexError(seq)
        known = self.shas.get(seq)
        if known is not None:
            return known
        rows = self.store.query(
            "SELECT sha FROM commits WHERE line = ? AND seq = ?", (self.line, seq)
        )
        return str(rows[0][0])

    def __contains__(self, sha: object) -> bool:
        return bool(
            self.store.query(
                "SELECT 1 FROM commits WHERE sha = ? AND line = ? AND seq < ? LIMIT 1",
                (sha, self.line, self.length),
            )
        )

    def __iter__(self) -> Iterator[str]:
        rows = self.store.query(
            "SELECT sha FROM commits WHERE line = ? AND seq < ? ORDER BY seq",
            (self.line, self.length),
        )
        return (str(r[0]) for r in rows)


def _is_ancestor(repo: pygit2.Repository, ancestor: str, descendant: str) -> bool:
    try:
        return bool(repo.descendant_of(descendant, ancestor))
    except (KeyError, ValueError, pygit2.GitError):
        # The indexed tip is gone (rewritten and garbage-collected) or unreadable.
        return False


def git_log(repo: pygit2.Repository, revs: list[str]) -> bytes:
    """Raw `git log -z --name-status` of models/ for ``revs`` (parse with parse_log)."""
    cwd = repo.workdir or repo.path
    argv = [
        "git",
        "-c",
        "core.quotepath=off",
        "-c",
        "log.showSignature=false",
        "log",
        "-z",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--name-status",
        f"--find-renames={RENAME_THRESHOLD}%",
        # Merges list only files that differ from every parent: conflict resolutions.
        # Changes a merge brings in are credited to the commits that made them.
        "--diff-merges=dense-combined",
        # Every commit that changed a file, also on a side a merge then discarded:
        # git's default simplification would drop it from a log of the merge, but
        # not from `git log TIP ^OLD` appended to an index of OLD, so the index
        # would depend on when it was built (the property test found it).
        "--full-history",
        "--topo-order",
        "--format=%x01%H %P",
        *revs,
        "--",
        MODELS_DIR,
    ]
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise AfsregError(f"git log failed in {cwd}: {message}")
    return proc.stdout


def parse_log(output: bytes) -> Iterator[tuple[str, list[str], list[tuple[str, str, str | None]]]]:
    """Parse ``git log -z --name-status --format=%x01%H %P``: (commit, parents, [(status, path, old_path)])."""
    for record in output.split(b"\x01")[1:]:
        header, _, rest = record.partition(b"\0")
        ids = header.decode("ascii").split()
        commit, parents = ids[0], ids[1:]
        tokens = rest.lstrip(b"\n\0").split(b"\0")
        changes: list[tuple[str, str, str | None]] = []
        i = 0
        while i + 1 < len(tokens):
            status = tokens[i].decode("ascii")
            if not status:
                i += 1
                continue
            if status[0] in "RC" and len(parents) <= 1:
                old_path = tokens[i + 1].decode("utf-8", "surrogateescape")
                new_path = tokens[i + 2].decode("utf-8", "surrogateescape")
                changes.append((status[0], new_path, old_path))
                if status[0] == "R":
                    # The old path's history ends here: record it as deleted by the rename.
                    changes.append(("D", old_path, None))
                i += 3
            else:
                path = tokens[i + 1].decode("utf-8", "surrogateescape")
                # A combined (merge) status has one letter per parent; the file is in the
                # merge result unless it was deleted.
                letter = "M" if len(status) > 1 and "D" not in status else status[0]
                if len(status) > 1 and set(status) == {"A"}:
                    letter = "A"
                changes.append((letter, path, None))
                i += 2
        # A merge that resolved nothing under models/ changed no file of it. Whether git
        # lists it depends on the range asked for (a merge whose parents are both
        # already indexed is left out of `git log TIP ^INDEXED`), so it is never kept.
        if changes or len(parents) <= 1:
            yield commit, parents, changes


def _append_log(index: HistoryIndex, output: bytes) -> None:
    """Add the commits of one `git log` run (newest first) to an index built in memory."""
    commits, paths = index.commits, index.paths
    assert isinstance(commits, list) and isinstance(paths, dict)
    start = len(commits)
    new_entries: dict[str, list[Entry]] = {}
    for offset, (commit, parents, changes) in enumerate(reversed(list(parse_log(output)))):
        seq = start + offset
        commits.append(commit)
        merge = len(parents) > 1
        for status, path, old_path in changes:
            new_entries.setdefault(path, []).append((seq, status, old_path, merge))
    for path, entries in new_entries.items():
        entries.reverse()
        paths[path] = entries + paths.get(path, [])


def model_file_paths(index: HistoryIndex, name: str, version: str | None = None) -> list[str]:
    """Paths in the history that hold ``name`` (all versions) or ``name@version``."""
    prefix = f"{MODELS_DIR}/{name}/"
    paths = index.paths_under(prefix)
    if version is None:
        return [p for p in paths if "/" not in p[len(prefix) :]]
    return [p for p in paths if stem(p[len(prefix) :]) == version]


def merged_history(index: HistoryIndex, paths: Iterable[str]) -> list[FileChange]:
    """Changes to any of ``paths``, newest first."""
    changes = [c for p in paths for c in index.changes(p)]
    changes.sort(key=lambda c: (-c.seq, c.path))
    return changes
