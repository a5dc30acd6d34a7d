"""Per-file check results, keyed by git blob id and path, read by key from the store.

Checking a file depends only on its bytes, its path, the schemas and the
afsreg version, so a result can be reused for as long as the blob id is the
same: a pre-commit run over a 10,000-version registry re-checks one file.
Results live in the store (afsreg.git.store, kind ``file``) and are read by
key, never loaded whole. Beside them, a stat cache (mtime, size, inode ->
blob id, as git's index keeps) lets an unchanged working-tree file be
skipped without being read; it is only used when the working tree cannot be
compared with the git index (no repository, an odd models/ layout).

A cache that cannot be read or written is ignored; it only ever saves time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from afsreg.git.repo import git_dir
from afsreg.git.sources import RACY_MARGIN_NS
from afsreg.git.store import Store, cache_file
from afsreg.version import __version__

# What the entries hold changes with this number (as with the afsreg version).
CACHE_FORMAT = 3


class CheckCache:
    """Per-blob check results and the working tree's stat cache, in one store."""

    def __init__(self, store: Store, schema_digest: str) -> None:
        self.store = store
        # Folder and registry entries change with CACHE_FORMAT; a file's own
        # result only with afsreg and the schemas.
        self.key = f"{__version__}-{CACHE_FORMAT}-{schema_digest}"
        self.file_key = f"{__version__}-{schema_digest}"
        self._stat: dict[str, list[Any]] | None = None
        self._written_ns = 0
        self.dirty = False  # the stat cache changed: save() writes it

    @classmethod
    def load(
        cls, root: Path, schema_digest: str, enabled: bool = True, *, store: Store | None = None
    ) -> CheckCache:
        """The cache of the repository at ``root`` (an empty in-memory one when not enabled)."""
        if store is None:
            store = Store.at(git_dir(root) if enabled else None)
        return cls(store, schema_digest)

    @property
    def stat(self) -> dict[str, list[Any]]:
        """path -> [mtime_ns, size, inode, ctime_ns, blob id]; read on first use.

        One entry, as it is only used on the slow path (see the module doc).
        """
        if self._stat is None:
            self._stat = {}
            raw = self.store.get("stat", self.key)
            if isinstance(raw, dict) and isinstance(raw.get("stat"), dict):
                self._stat = raw["stat"]
                self._written_ns = int(raw.get("written_ns") or 0)
        return self._stat

    @property
    def trusted_before_ns(self) -> int:
        self.stat  # noqa: B018  # reading the stat cache sets its write time
        return self._written_ns - RACY_MARGIN_NS

    def _entry_key(self, blob_id: str, path: str) -> str:
        return f"{self.file_key}:{blob_id}:{path}"

    def get(self, blob_id: str, path: str) -> Any:
        return self.store.get("file", self._entry_key(blob_id, path))

    def get_many(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        """Cached results for (blob id, path) pairs, by pair; absent pairs are left out."""
        keys = {self._entry_key(b, p): (b, p) for b, p in pairs}
        return {keys[k]: v for k, v in self.store.get_many("file", keys).items()}

    def put(self, blob_id: str, path: str, value: Any) -> None:
        self.store.put("file", self._entry_key(blob_id, path), value)

    def save(self) -> None:
        """Write what this process learnt, in one transaction."""
        if self.dirty and self._stat is not None:
            self.store.put("stat", self.key, {"stat": self._stat, "written_ns": time.time_ns()})
            self.dirty = False
        self.store.commit()


def cache_path(root: Path) -> Path | None:
    """The store file the cache lives in (None outside git)."""
    directory = git_dir(root)
    return cache_file(directory) if directory else None
