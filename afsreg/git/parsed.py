"""Parsed model files (and audit rows), cached by git object id; parsed on every core when missing.

Parsing YAML is the slowest step of afsreg (libyaml composes in C but calls
back into Python for every scalar). A blob id names its bytes forever, so
what a blob parses to never changes: ``sync``, ``status`` and ``log`` keep
the result in the cache file (afsreg.git.store) and never parse a blob twice.
Values are stored as JSON text (never pickled): reading the cache cannot run
code. Unparseable blobs are stored as null.

The same file keeps the audit rows of ``model_version_events`` by (commit,
path): what a commit did to a file is fixed once the commit exists.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from afsreg.git.store import open_cache, read_missing, select_in

Parsed = dict[str, Any] | None
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS parsed (blob TEXT PRIMARY KEY, data TEXT)",
    "CREATE TABLE IF NOT EXISTS events (commit_sha TEXT, path TEXT, row TEXT,"
    " PRIMARY KEY (commit_sha, path))",
)


def parse(content: bytes) -> Parsed:
    """A blob's data when it is a mapping; None when it is not, or does not parse."""
    from afsreg.format.loader import YamlError, load_yaml  # a cache hit parses nothing

    try:
        value = load_yaml(content)
    except YamlError:
        return None
    return value if isinstance(value, dict) else None


class ParsedCache:
    """blob id -> parsed data, in the cache file of the git directory (or in memory)."""

    def __init__(self, git_dir: Path | None) -> None:
        self.git_dir = git_dir
        self._db: sqlite3.Connection | None = None
        self.pending: dict[str, Parsed] = {}
        self.pending_events: dict[tuple[str, str], dict[str, Any]] = {}

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and self.git_dir is not None:
            self._db = open_cache(self.git_dir, _SCHEMA)
            if self._db is None:
                self.git_dir = None  # a cache that cannot be opened is simply not used
        return self._db

    def get_many(self, blob_ids: Iterable[str]) -> dict[str, Parsed]:
        wanted = list(dict.fromkeys(blob_ids))
        found: dict[str, Parsed] = {b: self.pending[b] for b in wanted if b in self.pending}
        query = "SELECT blob, data FROM parsed WHERE blob IN ({marks})"
        return read_missing(self._connect(), query, wanted, found)

    def put(self, blob_id: str, data: Parsed) -> None:
        self.pending[blob_id] = data

    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Cached audit rows by (commit sha, path)."""
        db = self._connect()
        wanted = set(keys)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        if db is None or not wanted:
            return found
        commits = sorted({c for c, _ in wanted})
        try:
            query = "SELECT commit_sha, path, row FROM events WHERE commit_sha IN ({marks})"
            for commit_sha, path, row in select_in(db, query, commits):
                if (commit_sha, path) in wanted:
                    found[(commit_sha, path)] = json.loads(row)
        except (sqlite3.Error, ValueError):
            return {}
        return found

    def put_event(self, commit_sha: str, path: str, row: dict[str, Any]) -> None:
        self.pending_events[(commit_sha, path)] = row

    def flush(self) -> None:
        """Write what was computed in this run (one transaction)."""
        db = self._connect()
        if db is None or not (self.pending or self.pending_events):
            return
        rows = [
            (b, json.dumps(d, separators=(",", ":")) if d is not None else None)
            for b, d in self.pending.items()
        ]
        events = [
            (c, p, json.dumps(r, separators=(",", ":")))
            for (c, p), r in self.pending_events.items()
        ]
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO parsed (blob, data) VALUES (?, ?)", rows)
            db.executemany(
                "INSERT OR REPLACE INTO events (commit_sha, path, row) VALUES (?, ?, ?)", events
            )
            db.execute("COMMIT")
            self.pending.clear()
            self.pending_events.clear()
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None


def prime_data(versions: Iterable[Any], git_directory: Path | None) -> None:
    """Give every version its parsed ``data`` at once: from this cache, else parsed on every core.

    ``versions`` are afsreg.format.record.ModelVersion (``data`` is a
    cached_property, filled here in one batch instead of one parse per use).
    Search and deployment listings read every file; this is what keeps them
    fast on a large registry.
    """
    from afsreg.parallel import parallel_map

    todo = [v for v in versions if "data" not in v.__dict__]
    if not todo:
        return
    cache = ParsedCache(git_directory)
    try:
        found = cache.get_many(v.blob_id for v in todo)
        missing = list({v.blob_id: v for v in todo if v.blob_id not in found}.values())
        for version, data in zip(
            missing, parallel_map(parse, [v.content for v in missing]), strict=True
        ):
            found[version.blob_id] = data
            cache.put(version.blob_id, data)
        for version in todo:
            data = found.get(version.blob_id)
            version.__dict__["data"] = data if isinstance(data, dict) else {}
    finally:
        cache.close()
