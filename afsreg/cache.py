"""A cache of per-file check results, keyed by git blob id and path.

Checking a file depends only on its bytes, its path, the schemas and the
afsreg version, so a result can be reused for as long as the blob id is the
same: a pre-commit run over a 10,000-version registry re-checks one file.
The cache lives in the repository's git directory (never committed, never
shared) as JSON: loading it can never execute anything.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from afsreg import __version__
from afsreg.gitutil import git_dir

CACHE_NAME = "check-cache-v1.json"


def cache_path(root: Path) -> Path | None:
    directory = git_dir(root)
    if directory is None:
        return None
    return directory / "afsreg" / CACHE_NAME


def load(root: Path, schema_digest: str) -> dict[str, Any]:
    path = cache_path(root)
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict) or raw.get("key") != _key(schema_digest):
        return {}
    entries = raw.get("entries")
    return entries if isinstance(entries, dict) else {}


def save(root: Path, schema_digest: str, entries: dict[str, Any]) -> None:
    """Write the cache atomically; a cache that cannot be written is skipped."""
    path = cache_path(root)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump({"key": _key(schema_digest), "entries": entries}, out, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        return


def _key(schema_digest: str) -> str:
    return f"afsreg-{__version__}-{schema_digest}"


def entry_key(blob_id: str, path: str) -> str:
    return f"{blob_id}:{path}"
