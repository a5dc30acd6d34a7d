"""Single fields of parsed model files, by (field, blob id), in the cache file (afsreg.git.store).

A search on ``metrics.accuracy`` or a listing of every deployment needs one or
two fields of every version, not whole documents: decoding 10,000 documents
from the parsed cache takes ~0.75 s, reading 10,000 stored values of one field
a few tens of milliseconds. A field's value depends only on the blob's bytes
and on how the caller reads the field, which the caller's key names (and the
afsreg version names the cache file), so a stored value is kept for as long as the
blob exists. Misses are computed from the parsed data (afsreg.git.parsed:
the parsed cache, else parsed on every core) and written in one transaction.
Values are SQLite's own (null, text, numbers) or JSON text, never pickled; a
value is returned as it reads back, cold or warm, so both answer the same. Deleting the file changes no answer.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from afsreg.format.record import ModelVersion
from afsreg.git.parsed import prime_data
from afsreg.git.store import open_cache, select_in

# Rows of blobs no longer asked for are dropped once they outnumber the live ones this much.
STALE_FACTOR = 2
# Missing values are computed this many documents at a time (100,000 parsed at once is ~1.5 GB).
CHUNK = 2000


def project(
    versions: Iterable[ModelVersion],
    fields: Mapping[str, Callable[[ModelVersion], Any]],
    git_directory: Path | None,
    *,
    prune: bool = True,
) -> dict[str, dict[str, Any]]:
    """For each field key: blob id -> the value ``fields[key]`` computes from that version.

    ``fields[key]`` reads ``version.data`` (and nothing that is not a function
    of the blob); it runs only for blobs whose value is not stored yet.
    ``versions`` are the whole set the caller answers for, and the rows of
    other blobs are dropped once they outnumber them; with ``prune=False``
    they are a part of it (a batch), only their rows are read and none dropped.
    """
    by_blob = {v.blob_id: v for v in versions}
    found: dict[str, dict[str, Any]] = {key: {} for key in fields}
    stale: list[tuple[str, str]] = []
    db = _connect(git_directory)
    if db is not None:
        try:
            for key in fields:
                values = found[key]
                for blob, is_json, value in _stored_rows(db, key, list(by_blob), prune):
                    if blob in by_blob:
                        values[blob] = json.loads(value) if is_json else value
                    else:
                        stale.append((key, blob))
        except (sqlite3.Error, ValueError):
            found, stale = {key: {} for key in fields}, []
    if len(stale) <= STALE_FACTOR * len(by_blob) * len(fields) + 1000:
        stale = []  # old blobs are kept until they outnumber the live ones
    missing = [v for blob, v in by_blob.items() if any(blob not in found[k] for k in fields)]
    rows: list[tuple[str, str, int, Any]] = []
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        _compute(chunk, fields, found, rows, git_directory)
    if db is not None:
        if rows or stale:
            _write(db, rows, stale)
        db.close()
    return found


def _stored_rows(
    db: sqlite3.Connection, key: str, blobs: list[str], every: bool
) -> Iterable[tuple[str, int, Any]]:
    """(blob, is_json, value) of one field: every stored row, or only those of ``blobs``."""
    if every:
        return db.execute("SELECT blob, is_json, value FROM field_values WHERE field = ?", (key,))
    query = "SELECT blob, is_json, value FROM field_values WHERE field = ? AND blob IN ({marks})"
    return select_in(db, query, blobs, [key])


def _compute(
    versions: list[ModelVersion],
    fields: Mapping[str, Callable[[ModelVersion], Any]],
    found: dict[str, dict[str, Any]],
    rows: list[tuple[str, str, int, Any]],
    git_directory: Path | None,
) -> None:
    """Compute the missing values of ``versions``; the documents parsed here are let go after."""
    unparsed = [v for v in versions if "data" not in v.__dict__]
    prime_data(versions, git_directory)
    for version in versions:
        for key, compute in fields.items():
            if version.blob_id in found[key]:
                continue
            value = compute(version)
            if _native(value):
                found[key][version.blob_id] = value
                rows.append((key, version.blob_id, 0, value))
                continue
            try:
                text = json.dumps(value, separators=(",", ":"))
            except (TypeError, ValueError):
                found[key][version.blob_id] = value  # not JSON: answered, not stored
                continue
            found[key][version.blob_id] = json.loads(text)
            rows.append((key, version.blob_id, 1, text))
    for version in unparsed:
        version.__dict__.pop("data", None)  # memory stays flat: a chunk at a time


def _native(value: Any) -> bool:
    """Whether SQLite keeps ``value`` as it is (no JSON): null, text, a whole or finite number."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, bool):
        return False  # SQLite would give back 0 or 1
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, float) and math.isfinite(value)


def _connect(git_directory: Path | None) -> sqlite3.Connection | None:
    if git_directory is None:
        return None
    # A store that cannot be opened (read-only clone) is simply not used.
    return open_cache(git_directory, _SCHEMA)


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS field_values (field TEXT NOT NULL, blob TEXT NOT NULL,"
    " is_json INTEGER NOT NULL, value, PRIMARY KEY (field, blob)) WITHOUT ROWID",
)


def _write(
    db: sqlite3.Connection, rows: list[tuple[str, str, int, Any]], stale: list[tuple[str, str]]
) -> None:
    """Add ``rows`` and drop ``stale`` (field, blob) pairs, in one transaction."""
    try:
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR REPLACE INTO field_values VALUES (?, ?, ?, ?)", rows)
        db.executemany("DELETE FROM field_values WHERE field = ? AND blob = ?", stale)
        db.execute("COMMIT")
    except (sqlite3.Error, ValueError):  # ValueError: a key SQLite cannot encode
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
