"""A cache of per-file check results, keyed by git blob id and path.

Checking a file depends only on its bytes, its path, the schemas and the
afsreg version, so a result can be reused for as long as the blob id is the
same: a pre-commit run over a 10,000-version registry re-checks one file.
Beside it, a stat cache (mtime, size, inode -> blob id, as git's index keeps)
lets an unchanged working-tree file be skipped without being read.

The cache lives in the repository's git directory (never committed, never
shared) as JSON: loading it can never execute anything. A cache that cannot
be read or written is ignored; it only ever saves time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from afsreg.git.repo import git_dir
from afsreg.git.sources import RACY_MARGIN_NS
from afsreg.git.store import store_dir, write_atomically
from afsreg.version import __version__

CACHE_NAME = "check-cache-v6.json"


class CheckCache:
    """Per-blob check results and the working tree's stat cache."""

    def __init__(self, path: Path | None, key: str) -> None:
        self.path = path
        self.key = key
        self.entries: dict[str, Any] = {}
        self.stat: dict[str, list[Any]] = {}
        self.written_ns = 0
        self.dirty = False

    @classmethod
    def load(cls, root: Path, schema_digest: str, enabled: bool = True) -> CheckCache:
        cache = cls(cache_path(root) if enabled else None, _key(schema_digest))
        if cache.path is None:
            return cache
        try:
            raw = json.loads(cache.path.read_bytes())
        except (OSError, ValueError):
            return cache
        if isinstance(raw, dict) and raw.get("key") == cache.key:
            entries, stat = raw.get("entries"), raw.get("stat")
            cache.entries = entries if isinstance(entries, dict) else {}
            cache.stat = stat if isinstance(stat, dict) else {}
            cache.written_ns = int(raw.get("written_ns") or 0)
        return cache

    @property
    def trusted_before_ns(self) -> int:
        return self.written_ns - RACY_MARGIN_NS

    def get(self, blob_id: str, path: str) -> Any:
        return self.entries.get(f"{blob_id}:{path}")

    def put(self, blob_id: str, path: str, value: Any) -> None:
        self.entries[f"{blob_id}:{path}"] = value
        self.dirty = True

    def save(self, live_keys: set[str] | None = None) -> None:
        """Write atomically. Entries not in ``live_keys`` are dropped once they outnumber the live ones."""
        if self.path is None or not self.dirty:
            return
        entries = self.entries
        if live_keys is not None and len(entries) > 2 * len(live_keys) + 1000:
            entries = {k: v for k, v in entries.items() if k in live_keys}
        try:
            # json.dumps runs in C; json.dump to a file encodes in Python chunks.
            text = json.dumps(
                {
                    "key": self.key,
                    "written_ns": time.time_ns(),
                    "entries": entries,
                    "stat": self.stat,
                },
                separators=(",", ":"),
            )
            write_atomically(self.path, text)
            self.dirty = False
        except OSError:
            return


def cache_path(root: Path) -> Path | None:
    directory = git_dir(root)
    return store_dir(directory) / CACHE_NAME if directory else None


def _key(schema_digest: str) -> str:
    return f"afsreg-{__version__}-{schema_digest}"
