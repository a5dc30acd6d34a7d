"""Field-level audit: what each commit changed in a model file, and who last set each field.

Files are compared as flattened dotted paths (``evaluation_metrics.accuracy``);
lists are compared and shown whole, since their items have no stable identity.
Historic contents are read from git blobs with pygit2; a version that does not
parse at some commit is reported as "unparseable at this commit", never fatal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import pygit2

from afsreg.errors import NotFoundError
from afsreg.format.fields import MISSING, FieldChange, field_changes, flatten
from afsreg.format.loader import YamlError, load_yaml
from afsreg.format.paths import stem
from afsreg.git.history import (
    FileChange,
    HistoryIndex,
    merged_history,
    model_file_paths,
)


@dataclass
class AuditEntry:
    """One commit in the audit trail of a model file."""

    commit: str
    author: str
    email: str
    date: str
    message: str
    path: str
    status: str
    old_path: str | None = None
    merge: bool = False
    changes: list[FieldChange] | None = field(default_factory=list)
    note: str | None = None

    @property
    def ref(self) -> str:
        parts = self.path.split("/")
        return f"{parts[1]}@{stem(parts[-1])}" if len(parts) >= 3 else self.path

    @property
    def summary(self) -> str:
        return self.message.splitlines()[0] if self.message else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "author": self.author,
            "email": self.email,
            "date": self.date,
            "message": self.message,
            "ref": self.ref,
            "path": self.path,
            "status": STATUS_WORDS.get(self.status, self.status),
            "old_path": self.old_path,
            "merge": self.merge,
            "changes": None if self.changes is None else [c.as_dict() for c in self.changes],
            "note": self.note,
        }


STATUS_WORDS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "T": "type changed",
}

TRUNCATED_NOTE = (
    "history truncated here: this is a shallow clone and the earlier commits are not in it"
)


def commit_date(signature: pygit2.Signature) -> str:
    tz = timezone(timedelta(minutes=signature.offset))
    return datetime.fromtimestamp(signature.time, tz).isoformat()


class _Reader:
    """Reads and parses file contents at commits, memoised by blob id."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self.parsed: dict[str, tuple[Any, str | None]] = {}

    def commit(self, commit_id: str) -> pygit2.Commit | None:
        try:
            obj = self.repo[commit_id]
        except (KeyError, ValueError):
            return None
        return obj if isinstance(obj, pygit2.Commit) else None

    def blob_id(self, commit: pygit2.Commit, path: str) -> str | None:
        try:
            entry = commit.tree[path]
        except KeyError:
            return None
        return str(entry.id) if entry.type_str == "blob" else None

    def data(self, blob_id: str | None) -> tuple[Any, str | None]:
        """(parsed data or None, error message or None) for a blob; (None, None) when absent."""
        if blob_id is None:
            return None, None
        if blob_id not in self.parsed:
            try:
                value = load_yaml(cast(pygit2.Blob, self.repo[blob_id]).data)
                self.parsed[blob_id] = (
                    value,
                    None if isinstance(value, Mapping) else "not a mapping",
                )
            except YamlError as exc:
                self.parsed[blob_id] = (None, f"line {exc.line}: {exc.message}")
        return self.parsed[blob_id]

    def parents(self, commit: pygit2.Commit) -> list[pygit2.Commit]:
        """Parents present in the repository (a shallow boundary has none)."""
        found = []
        for parent_id in commit.parent_ids:
            parent = self.commit(str(parent_id))
            if parent is not None:
                found.append(parent)
        return found


def _changed_fields(
    reader: _Reader, commit: pygit2.Commit, change: FileChange
) -> tuple[list[FieldChange] | None, str | None]:
    """Field changes a commit made to a file, or None and a note when they cannot be told."""
    new_blob = None if change.status == "D" else reader.blob_id(commit, change.path)
    new_data, new_error = reader.data(new_blob)
    if new_error:
        return None, f"unparseable at this commit ({new_error})"
    parents = reader.parents(commit)
    if change.truncated or (not parents and commit.parent_ids):
        return field_changes(None, new_data), TRUNCATED_NOTE
    old_path = change.old_path or change.path
    per_parent: list[list[FieldChange]] = []
    candidates: list[pygit2.Commit | None] = list(parents) if parents else [None]
    for parent in candidates:
        old_blob = None if parent is None else reader.blob_id(parent, old_path)
        old_data, old_error = reader.data(old_blob)
        if old_error:
            return field_changes(None, new_data), f"unparseable before this commit ({old_error})"
        per_parent.append(field_changes(old_data, new_data))
    if len(per_parent) == 1:
        return per_parent[0], None
    # A merge changed the fields that differ from every parent; old values from the first.
    common = set.intersection(*({c.field for c in changes} for changes in per_parent))
    return [c for c in per_parent[0] if c.field in common], None


def audit_entries(
    repo: pygit2.Repository, changes: Iterable[FileChange], *, with_fields: bool = True
) -> list[AuditEntry]:
    """Turn index changes into audit entries with author, date, message and field changes."""
    reader = _Reader(repo)
    entries = []
    for change in changes:
        commit = reader.commit(change.commit)
        if commit is None:
            continue
        if with_fields:
            fields, note = _changed_fields(reader, commit, change)
        else:
            fields, note = [], None
        entries.append(
            AuditEntry(
                commit=change.commit,
                author=commit.author.name,
                email=commit.author.email,
                date=commit_date(commit.author),
                message=commit.message.strip(),
                path=change.path,
                status=change.status,
                old_path=change.old_path,
                merge=change.merge,
                changes=fields,
                note=note,
            )
        )
    return entries


def version_log(
    repo: pygit2.Repository, index: HistoryIndex, name: str, version: str
) -> list[AuditEntry]:
    """The audit trail of ``name@version``, newest first, following renames of its file."""
    paths = model_file_paths(index, name, version)
    if not paths:
        raise NotFoundError(
            f"{name}@{version}: no file models/{name}/{version}.yaml in the history"
        )
    changes: list[FileChange] = []
    seen: set[tuple[str, str]] = set()
    for path in paths:
        for change in index.file_history(path):
            if (change.commit, change.path) not in seen:
                seen.add((change.commit, change.path))
                changes.append(change)
    changes.sort(key=lambda c: -c.seq)
    # The deletion of a rename source is shown as the rename on the new path.
    renamed_away = {(c.commit, c.old_path) for c in changes if c.status == "R"}
    changes = [c for c in changes if not (c.status == "D" and (c.commit, c.path) in renamed_away)]
    return audit_entries(repo, changes)


def model_log(repo: pygit2.Repository, index: HistoryIndex, name: str) -> list[AuditEntry]:
    """The audit trail of every version of ``name`` (including deleted ones), newest first."""
    paths = model_file_paths(index, name)
    if not paths:
        raise NotFoundError(f"{name}: no model files under models/{name}/ in the history")
    changes = merged_history(index, paths)
    renamed_away = {(c.commit, c.old_path) for c in changes if c.status == "R"}
    changes = [c for c in changes if not (c.status == "D" and (c.commit, c.path) in renamed_away)]
    return audit_entries(repo, changes)


@dataclass(frozen=True)
class BlameEntry:
    """The commit that last set one field of a version."""

    field: str
    value: Any
    commit: str
    author: str
    date: str
    message: str
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "commit": self.commit,
            "author": self.author,
            "date": self.date,
            "message": self.message,
            "truncated": self.truncated,
        }


def blame(
    repo: pygit2.Repository, index: HistoryIndex, name: str, version: str
) -> list[BlameEntry]:
    """For each field of ``name@version`` at the index tip: the commit, author and date that last set it."""
    if index.tip is None:
        raise NotFoundError("the repository has no commits yet")
    reader = _Reader(repo)
    tip = reader.commit(index.tip)
    assert tip is not None
    path = next(
        (p for p in model_file_paths(index, name, version) if reader.blob_id(tip, p) is not None),
        None,
    )
    if path is None:
        raise NotFoundError(f"{name}@{version}: no such version at {index.tip[:12]}")
    current, error = reader.data(reader.blob_id(tip, path))
    if error:
        raise NotFoundError(
            f"{path}: unparseable at {index.tip[:12]} ({error}); fix it before blaming"
        )
    values = dict(sorted(flatten(current).items()))
    pending = set(values)
    found: dict[str, tuple[pygit2.Commit, bool]] = {}
    for change in index.file_history(path):
        if not pending:
            break
        commit = reader.commit(change.commit)
        if commit is None:
            continue
        fields, note = _changed_fields(reader, commit, change)
        if fields is None:
            continue  # the file did not parse here; a later (older) commit set the value
        touched = {c.field for c in fields if c.new is not MISSING}
        truncated = note == TRUNCATED_NOTE
        if change.status == "A" or truncated:
            touched = set(pending)
        for key in touched & pending:
            found[key] = (commit, truncated)
        pending -= touched
    result = []
    for key, value in values.items():
        if key not in found:
            continue
        commit, truncated = found[key]
        result.append(
            BlameEntry(
                field=key,
                value=value,
                commit=str(commit.id),
                author=commit.author.name,
                date=commit_date(commit.author),
                message=commit.message.strip().splitlines()[0] if commit.message.strip() else "",
                truncated=truncated,
            )
        )
    return result
