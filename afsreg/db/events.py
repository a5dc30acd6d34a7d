"""The git audit trail as model_version_events rows.

Which commits touched which file comes from afsreg.git.history (one ``git log``
over models/, cached by tip); field-level changes from afsreg.read.audit. This
module only turns those into rows: one per commit and changed file, a
rename being one row on the new path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pygit2

from afsreg.db.project import Row, canonical_ts
from afsreg.format.document import promotion_state
from afsreg.format.fields import field_changes
from afsreg.format.paths import path_ref
from afsreg.git.history import (
    Entry,
    FileChange,
    HistoryIndex,
    git_log,
    load_history,
    parse_log,
    shallow_commits,
)
from afsreg.git.parsed import ParsedCache, parse
from afsreg.parallel import parallel_map

CHANGE_TYPES = {
    "A": "added",
    "C": "added",
    "M": "modified",
    "T": "modified",
    "R": "renamed",
    "D": "deleted",
}


def index_changes(index: HistoryIndex, skip_commits: Iterable[str] = ()) -> list[FileChange]:
    """Every change in the index, except those of ``skip_commits``; rename sources folded into the rename."""
    skip = set(skip_commits)
    changes = [
        change
        for path in index.all_paths()
        for change in index.changes(path)
        if change.commit not in skip
    ]
    renamed_away = {(c.commit, c.old_path) for c in changes if c.status == "R"}
    return [c for c in changes if not (c.status == "D" and (c.commit, c.path) in renamed_away)]


def history_batches(
    repo: pygit2.Repository, commit_id: str, size: int
) -> tuple[int, Iterator[list[FileChange]]]:
    """The changes ``new_changes(repo, commit_id, None)`` lists, oldest commit first, a batch at a time.

    Batches of about ``size`` changes, never splitting a commit (so a rename's
    source, dropped as ``index_changes`` drops it, is always in its batch);
    with an upper bound of their number, for progress. Nothing holds the
    whole history.
    """
    index = history_index(repo, commit_id)

    def batches() -> Iterator[list[FileChange]]:
        for batch in index.commit_batches(size):
            renamed_away = {(c.commit, c.old_path) for c in batch if c.status == "R"}
            yield [c for c in batch if not (c.status == "D" and (c.commit, c.path) in renamed_away)]

    return index.change_count(), batches()


def history_index(repo: pygit2.Repository, commit_id: str) -> HistoryIndex:
    return load_history(repo, commit_id)


def new_changes(repo: pygit2.Repository, commit_id: str, since: str | None) -> list[FileChange]:
    """Changes in commits reachable from ``commit_id`` but not from ``since`` (all when None).

    With ``since``, one ``git log since..commit_id`` over models/: the new
    commits only, never the whole history (an incremental sync is O(commits since)).
    """
    if since is None:
        return index_changes(history_index(repo, commit_id))
    commits: list[str] = []
    paths: dict[str, list[Entry]] = {}
    # The same `git log` afsreg.git.history extends its cache with, over the range only.
    for commit, parents, changes in reversed(
        list(parse_log(git_log(repo, [commit_id, f"^{since}"])))
    ):
        seq = len(commits)
        commits.append(commit)
        for status, path, old_path in changes:
            paths.setdefault(path, []).insert(0, (seq, status, old_path, len(parents) > 1))
    index = HistoryIndex(commit_id, shallow_commits(repo), commits, paths)
    return index_changes(index)


class BlobCache:
    """Parsed blob contents, memoised by blob id; unparseable -> None.

    Backed by afsreg.git.parsed.ParsedCache, so a blob parsed by one sync is
    never parsed again by the next (or by status, or by a sync into another
    database); ``prefetch`` parses what is missing on every core.
    """

    def __init__(self, repo: pygit2.Repository, store: ParsedCache | None = None) -> None:
        self.repo = repo
        self.store = store if store is not None else ParsedCache(Path(repo.path))
        self.parsed: dict[str, dict[str, Any] | None] = {}
        self.commits: dict[str, pygit2.Commit] = {}

    def prefetch(self, blob_ids: Iterable[str]) -> None:
        """Make the given blobs' parsed data available in one batch."""
        wanted = {b: None for b in blob_ids if b not in self.parsed}
        if not wanted:
            return
        cached = self.store.get_many(wanted)
        self.parsed.update(cached)
        missing = [b for b in wanted if b not in cached]
        contents = []
        for blob_id in missing:
            obj = self.repo.get(blob_id)
            contents.append(obj.data if isinstance(obj, pygit2.Blob) else b"")
        for blob_id, data in zip(missing, parallel_map(parse, contents), strict=True):
            self.parsed[blob_id] = data
            self.store.put(blob_id, data)

    def blob_id_at(self, commit: pygit2.Commit | None, path: str | None) -> str | None:
        if commit is None or path is None:
            return None
        try:
            return str(commit.tree[path].id)
        except KeyError:
            return None

    def commit(self, commit_id: str) -> pygit2.Commit | None:
        if commit_id not in self.commits:
            try:
                obj = self.repo[commit_id]
            except (KeyError, ValueError):
                return None
            if not isinstance(obj, pygit2.Commit):
                return None
            self.commits[commit_id] = obj
        return self.commits[commit_id]

    def data_at(self, commit: pygit2.Commit | None, path: str | None) -> dict[str, Any] | None:
        if commit is None or path is None:
            return None
        try:
            entry = commit.tree[path]
        except KeyError:
            return None
        blob_id = str(entry.id)
        if blob_id not in self.parsed:
            self.prefetch([blob_id])
        return self.parsed[blob_id]

    def first_parent(self, commit: pygit2.Commit) -> pygit2.Commit | None:
        for parent_id in commit.parent_ids[:1]:
            return self.commit(str(parent_id))
        return None


def _artifact_id(data: Mapping[str, Any] | None, path: str) -> str | None:
    if data and isinstance(data.get("artifact_id"), str) and data["artifact_id"]:
        return str(data["artifact_id"])
    name, version = path_ref(path)
    return f"{name}@{version}" if name and version else None


def _state(data: Mapping[str, Any] | None) -> str | None:
    return promotion_state(data or {})


# Changes whose blobs are parsed in one parallel batch (and held at once).
PREFETCH_CHUNK = 2000


def _prefetch_changes(blobs: BlobCache, changes: list[FileChange]) -> None:
    """Parse every blob the changes need up front, in one parallel batch."""
    wanted: list[str] = []
    for change in changes:
        commit = blobs.commit(change.commit)
        if commit is None:
            continue
        if change.status != "D":
            wanted.append(blobs.blob_id_at(commit, change.path) or "")
        if change.status not in ("A", "C") and not change.truncated:
            parent = blobs.first_parent(commit)
            wanted.append(blobs.blob_id_at(parent, change.old_path or change.path) or "")
    blobs.prefetch(b for b in wanted if b)
    blobs.store.flush()


def event_rows(
    repo: pygit2.Repository,
    changes: list[FileChange],
    progress: Callable[[int], None] | None = None,
    blobs: BlobCache | None = None,
) -> list[Row]:
    """One model_version_events row per change (canonical values, see afsreg.db.project).

    ``blobs`` memoises parsed contents by blob id; pass one to reuse them afterwards.
    """
    own_blobs = blobs is None
    blobs = blobs if blobs is not None else BlobCache(repo)
    # An event row is fixed once its commit exists: reuse the ones computed before.
    known = blobs.store.get_events((c.commit, c.path) for c in changes)
    rows: list[Row] = []
    for done, change in enumerate(changes, start=1):
        if (done - 1) % PREFETCH_CHUNK == 0:
            # Parsed data a chunk at a time: one commit may add 100,000 files.
            if own_blobs:
                blobs.parsed.clear()
            chunk = changes[done - 1 : done - 1 + PREFETCH_CHUNK]
            _prefetch_changes(blobs, [c for c in chunk if (c.commit, c.path) not in known])
        cached = None if change.truncated else known.get((change.commit, change.path))
        if cached is not None:
            rows.append(cached)
            if progress is not None and done % 200 == 0:
                progress(200)
            continue
        commit = blobs.commit(change.commit)
        if commit is None:
            continue
        parent = None if change.truncated else blobs.first_parent(commit)
        old_path = change.old_path or change.path
        before = None if change.status in ("A", "C") else blobs.data_at(parent, old_path)
        after = None if change.status == "D" else blobs.data_at(commit, change.path)
        name, version = path_ref(change.path)
        ident = (
            _artifact_id(after, change.path)
            if change.status != "D"
            else _artifact_id(before, change.path)
        )
        rows.append(
            {
                "commit_sha": change.commit,
                "path": change.path,
                "old_path": change.old_path if change.status == "R" else None,
                "artifact_id": ident,
                "model_name": name,
                "version": version,
                "change_type": CHANGE_TYPES.get(change.status, "modified"),
                "author_name": commit.author.name,
                "author_email": commit.author.email,
                "committed_at": canonical_ts(_commit_time(commit)),
                "message": commit.message.strip(),
                "changed_fields_json": [c.field for c in field_changes(before, after)],
                "promotion_state_before": _state(before),
                "promotion_state_after": _state(after),
            }
        )
        if not change.truncated:  # at a shallow boundary the row is provisional
            blobs.store.put_event(change.commit, change.path, rows[-1])
        if progress is not None and done % 200 == 0:
            progress(200)
    blobs.store.flush()
    return rows


def _commit_time(commit: pygit2.Commit) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(commit.commit_time, UTC).isoformat()
