"""``.git/afsreg/``: the one place afsreg keeps its caches, and how a file is written there.

Everything in it is an optimisation keyed by git object ids and the afsreg
version (docs/architecture.md): deleting the folder changes no answer. The
caches are the tables of one SQLite file, ``cache_file()``: the key-value
``entries`` here, the parsed blobs (``parsed.py``), the history index
(``history.py``) and single fields (``projections.py``). Other files are
replaced atomically, so a reader sees the old file or the new one, never half
of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afsreg.version import __version__

if TYPE_CHECKING:
    import sqlite3

STORE_NAME = "afsreg"
# Bump when the layout of any table in the cache file changes: the file name
# then changes, and the old file is removed when the new one is made.
CACHE_FORMAT = 2
CACHE_FILE = f"cache-{__version__}-{CACHE_FORMAT}.sqlite3"
# Cache files of earlier afsreg versions and formats (one file per cache before
# format 2); removed when the current file is made.
_OLD_CACHE_FILES = (
    "cache-*.sqlite3",
    "store-v*.sqlite3",
    "history-*.sqlite3",
    "parsed-*.sqlite3",
    "fields-*.sqlite3",
)


def store_dir(git_dir: Path | str) -> Path:
    """afsreg's folder inside the git directory ``git_dir``."""
    return Path(git_dir) / STORE_NAME


def cache_file(git_dir: Path | str) -> Path:
    """The one SQLite file of afsreg's caches in the git directory ``git_dir``."""
    return store_dir(git_dir) / CACHE_FILE


def open_cache(
    git_dir: Path | str, schema: Sequence[str], *, across_threads: bool = False
) -> sqlite3.Connection | None:
    """``cache_file(git_dir)`` with the tables of ``schema`` (see open_sqlite).

    The first process to make the file removes the cache files of earlier
    afsreg versions and formats, so an upgrade does not leave them behind.
    """
    path = cache_file(git_dir)
    made = not path.exists()
    db = open_sqlite(path, schema, across_threads=across_threads)
    if made and db is not None:
        remove_old_caches(path.parent)
    return db


def remove_old_caches(folder: Path) -> None:
    """Remove the cache files in ``folder`` that are not the current one (and their journals)."""
    for pattern in _OLD_CACHE_FILES:
        for old in folder.glob(pattern):
            if old.name == CACHE_FILE:
                continue
            for leftover in (old, Path(f"{old}-wal"), Path(f"{old}-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def select_in(
    db: sqlite3.Connection, query: str, keys: Sequence[str], params: Sequence[str] = ()
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``query`` for ``keys``: its ``{marks}`` becomes one ``?`` per key of a batch.

    In batches of 500, under SQLite's limit on bound variables; ``params``
    come before the keys in every batch.
    """
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        yield from db.execute(query.format(marks=",".join("?" * len(batch))), [*params, *batch])


def read_missing(
    db: sqlite3.Connection | None,
    query: str,
    wanted: Sequence[str],
    found: dict[str, Any],
    params: Sequence[str] = (),
) -> dict[str, Any]:
    """``found`` plus, for the ``wanted`` keys it lacks, the JSON values ``query`` returns.

    ``query`` selects (key, JSON text or NULL) with ``{marks}`` for the keys
    (see select_in). A cache that cannot be read is a miss, never an error.
    """
    import json
    import sqlite3

    if db is None:
        return found
    rest = [k for k in wanted if k not in found]
    try:
        for key, value in select_in(db, query, rest, params):
            found[key] = json.loads(value) if value is not None else None
    except (sqlite3.Error, ValueError):
        pass  # an unreadable cache is a miss
    return found


def write_atomically(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` (text as UTF-8) in one rename; the folder is made if missing.

    ``mode`` sets the file's permissions (a temporary file starts as 0600). On
    any failure the temporary file is removed and the error raised; ``path``
    is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def open_sqlite(
    path: Path, schema: Sequence[str], *, across_threads: bool = False
) -> sqlite3.Connection | None:
    """The cache file ``path`` under ``.git/afsreg/``, with its tables; None when it cannot be used.

    The connection is in autocommit mode (callers write with ``BEGIN
    IMMEDIATE ... COMMIT``), in WAL mode, and waits up to 30 s for another
    process's write. A file that does not exist yet is made whole elsewhere
    and linked into place: switching a shared file to WAL fails at once with
    SQLITE_BUSY when another process has it open (SQLite's busy timeout does
    not cover it), which silently turned off the cache of one of two
    processes started together. ``across_threads`` lets one connection be
    used from several threads (the caller serialises the calls).
    """
    import sqlite3

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_sqlite(path, schema)
        db = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=not across_threads
        )
    except (OSError, sqlite3.Error):
        return None
    try:
        db.execute("PRAGMA synchronous=NORMAL")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            # A file made another way (an older afsreg): WAL if no one else holds it now.
            with contextlib.suppress(sqlite3.OperationalError):
                db.execute("PRAGMA journal_mode=WAL")
        for statement in schema:  # a file from before a table was added gains it here
            db.execute(statement)
    except sqlite3.Error:
        db.close()
        return None
    return db


def _create_sqlite(path: Path, schema: Sequence[str]) -> None:
    """Make ``path`` as a WAL database with ``schema`` in one step; keep another process's file."""
    import sqlite3

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file's header
            for statement in schema:
                db.execute(statement)
        finally:
            db.close()
        try:
            os.link(tmp, path)  # fails if the file appeared meanwhile: that one is kept
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: open it the plain way
            pass
    finally:
        for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


# -- the key-value store -----------------------------------------------------

# Kinds whose entries only ever answer "the last few states": older ones are dropped.
BOUNDED_KINDS = {"registry": 16, "registry-global": 16}
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL,"
    " value TEXT NOT NULL, stamp INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (kind, key)) WITHOUT ROWID",
)


class Encoded(str):
    """A value given as its JSON text (``encode``'s): stored as it is, decoded when read.

    A worker process encodes what it found, so the process that writes the
    store does not encode 10,000 results one after the other.
    """

    __slots__ = ()


def encode(value: Any) -> str:
    """The JSON text the store keeps for ``value`` (compact)."""
    import json

    return json.dumps(value, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """A pending value as a read gives it back: Encoded text decoded."""
    import json

    return json.loads(value) if isinstance(value, Encoded) else value


class Store:
    """``(kind, key) -> JSON value`` in one SQLite file under ``.git/afsreg/``.

    The one cache file afsreg reads by key: per-blob check results
    (``file``), the stat cache (``stat``), everything about one model folder
    by its tree id (``model``; ``outline``, ``versions`` and ``per-model:*``
    for listings), the whole registry's answer by the digest of its model
    folders (``registry``); other modules may add kinds. Keys are
    the caller's (a git object id plus whatever else the value depends on,
    such as the schema digest); the file name carries afsreg's cache format.

    Reads go to the file at once; writes are kept in memory and written by
    ``commit()`` in one transaction, so a process writes once and two
    processes never see half of the other's writes (WAL journal, busy
    timeout). A store that cannot be opened or written is simply not used:
    it only ever saves time, and deleting the file changes no answer.

        store = Store.at(git_dir)
        value = store.get("file", key)            # None when absent
        found = store.get_many("file", keys)      # {key: value} for the keys present
        store.put("file", key, value)             # JSON-able value
        store.commit()                            # one transaction; also on close()
    """

    def __init__(self, git_dir: Path | None) -> None:
        self.git_dir = git_dir
        self._db: Any = None
        self._opened = False
        self.pending: dict[tuple[str, str], Any] = {}

    @classmethod
    def at(cls, git_dir: Path | str | None) -> Store:
        """The store of the git directory ``git_dir``; an in-memory one when None."""
        return cls(Path(git_dir) if git_dir is not None else None)

    def _connect(self) -> Any:
        if not self._opened:
            self._opened = True
            self._db = open_cache(self.git_dir, _SCHEMA) if self.git_dir is not None else None
        return self._db

    def get(self, kind: str, key: str) -> Any:
        """The value stored under (kind, key), or None."""
        return self.get_many(kind, [key]).get(key)

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Any]:
        """{key: value} for those of ``keys`` that are stored (pending writes included)."""
        wanted = list(dict.fromkeys(keys))
        found = {k: _plain(self.pending[(kind, k)]) for k in wanted if (kind, k) in self.pending}
        query = "SELECT key, value FROM entries WHERE kind = ? AND key IN ({marks})"
        return read_missing(self._connect(), query, wanted, found, [kind])

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` (JSON-able, or Encoded) under (kind, key) at the next commit()."""
        self.pending[(kind, key)] = value

    def commit(self) -> None:
        """Write the pending values in one transaction (dropping old bounded kinds)."""
        import sqlite3
        import time

        if not self.pending:
            return
        db = self._connect()
        if db is None:
            self.pending.clear()
            return
        stamp = time.time_ns()
        rows = [
            (kind, key, value if isinstance(value, Encoded) else encode(value), stamp)
            for (kind, key), value in self.pending.items()
        ]
        kinds = {kind for kind, _ in self.pending if kind in BOUNDED_KINDS}
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT OR REPLACE INTO entries (kind, key, value, stamp) VALUES (?, ?, ?, ?)",
                rows,
            )
            for kind in kinds:
                db.execute(
                    "DELETE FROM entries WHERE kind = ? AND key NOT IN (SELECT key FROM entries"
                    " WHERE kind = ? ORDER BY stamp DESC LIMIT ?)",
                    (kind, kind, BOUNDED_KINDS[kind]),
                )
            db.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        self.pending.clear()

    def close(self) -> None:
        """Commit what is pending and close the file."""
        self.commit()
        if self._db is not None:
            self._db.close()
        self._db = None
        self._opened = False
