"""A change to the registry: the new text of each file it touches, and how it is applied.

Every write is an edit of version files. A write function (afsreg.write.register,
afsreg.write.lifecycle) reads the registry and builds a Change: the new bytes
of each file (edited with ``afsreg.format.editor``, so comments and formatting
survive), who acted and a commit message. ``apply_change`` checks the whole
registry with the change applied, and only then writes the files atomically
(temporary file, fsync, rename). An invalid change raises ValidationError and
writes nothing. With ``commit=True`` the files are committed through
``git commit`` so the pre-commit hook runs.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from afsreg.errors import AfsregError, ValidationError
from afsreg.format.editor import edit_yaml
from afsreg.format.loader import YamlError, decode
from afsreg.format.refs import Ref
from afsreg.git.commit import commit_paths
from afsreg.git.sources import git_blob_id
from afsreg.problems import Problem
from afsreg.write.lock import write_lock

if TYPE_CHECKING:
    from afsreg.format.record import ModelVersion
    from afsreg.registry import Registry


@dataclass
class Change:
    """What a write did: the files it wrote and a one-line account of it."""

    action: str
    ref: str  # the version (or model) acted on, e.g. "majora@v2"
    files: dict[str, bytes | None]  # path -> new content (None: removed)
    message: str  # the default commit message
    details: list[str] = field(default_factory=list)  # one line per effect
    registry: Registry | None = None  # the registry after the change
    written: bool = False
    commit_id: str | None = None

    @property
    def paths(self) -> list[str]:
        return sorted(self.files)

    def as_dict(self, before: Registry, dry_run: bool) -> dict[str, Any]:
        """What the write did (or, dry, would do) to ``before``: output.schema.json, "change"."""
        files = []
        for path in self.paths:
            content = self.files[path]
            kind = "removed" if content is None else "modified" if before.file(path) else "added"
            text = None if content is None else content.decode("utf-8", "replace")
            files.append({"path": path, "change": kind, "content": text})
        return {
            "action": self.action,
            "ref": self.ref,
            "dry_run": dry_run,
            "written": self.written,
            "commit": self.commit_id,
            "message": self.message,
            "details": self.details,
            "files": files,
        }


class WriteOptions(TypedDict, total=False):
    """How a write is applied; every write function takes these keywords.

    Each function spells them out in its signature (so ``help()`` shows
    them); these types let a caller that gathers them (the CLI) be checked.

    ``dry_run``: validate and build the change, write nothing (default False);
    ``commit``: commit exactly the changed files through ``git commit``, so
    the pre-commit hook runs (default False); ``message``: the commit message
    (default: one that says what happened).
    """

    dry_run: bool
    commit: bool
    message: str | None


class DecisionOptions(WriteOptions, total=False):
    """... and, for a write that records a decision, who made it and when.

    ``by``: who (default: git's user.name, else the login name); ``at``:
    when, ISO 8601 with a time zone (default: now, in UTC).
    """

    by: str | None
    at: str | None


# -- who and when -------------------------------------------------------------


def now_utc() -> str:
    """The current time as ISO 8601 in UTC with a Z, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def current_user(root: Path) -> str:
    """Who is acting: git's user.name (else user.email), else the login name."""
    try:
        from afsreg.git.repo import open_repo

        config = open_repo(root).config
        for key in ("user.name", "user.email"):
            if key in config:
                value = str(config[key]).strip()
                if value:
                    return value
    except (AfsregError, KeyError, OSError):
        pass
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "unknown"


def check_timestamp(value: str) -> str:
    """``value`` itself, if it is an ISO 8601 timestamp with a time zone; else AfsregError."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise AfsregError(
            f"{value!r} is not an ISO 8601 timestamp (e.g. 2026-01-14T12:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        raise AfsregError(f"{value!r} has no time zone; write it in UTC with a Z")
    return value


def actor_and_time(registry: Registry, by: str | None, at: str | None) -> tuple[str, str]:
    """Who acts and when: ``by`` (else git's user), ``at`` (checked; else now, in UTC)."""
    return by or current_user(registry.root), check_timestamp(at) if at else now_utc()


# -- reading and writing files ------------------------------------------------


def _text_of(version: ModelVersion) -> str:
    try:
        return decode(version.content)
    except YamlError as exc:
        raise AfsregError(f"{version.path}: {exc}") from None


def version_to_edit(registry: Registry, ref: str | Ref) -> ModelVersion:
    version = registry.get(ref)
    if not version.data:
        raise AfsregError(f"{version.path}: cannot be read as a model file; fix it first")
    return version


def edited(version: ModelVersion, data: Mapping[str, Any]) -> bytes:
    """The file of ``version`` edited to hold ``data``, its comments and layout kept."""
    return edit_yaml(_text_of(version), data, path=version.path).encode("utf-8")


def _check_writable(registry: Registry) -> None:
    if registry.rev is not None:
        raise AfsregError(
            f"this registry was read at {registry.rev}; writes go to the working tree "
            "(open it without a revision)"
        )


def validate_change(registry: Registry, files: Mapping[str, bytes | None]) -> Registry:
    """The registry with ``files`` applied; ValidationError if the change adds an error.

    The whole registry is checked again. Errors that were already there in
    files the change does not touch do not block it (they are someone
    else's); every error in a file it writes, and every new error
    elsewhere (a cross-file rule it breaks), does.
    """
    after = registry.with_changes(dict(files))
    before = set(registry.errors)
    blocking: list[Problem] = [p for p in after.errors if p.path in files or p not in before]
    # What the pre-commit hook would refuse anyway: changing a frozen field of
    # a version released at HEAD (afsreg.checks.immutability).
    blocking += [p for p in _immutability_problems(after) if p.path in files]
    # What the policy (afsreg.yaml) says about the versions it writes.
    blocking += _policy_problems(after, files)
    if blocking:
        raise ValidationError(
            blocking, summary="the change was not written; it would leave these problems:"
        )
    return after


def _policy_problems(after: Registry, files: Mapping[str, bytes | None]) -> list[Problem]:
    from afsreg.checks.policy import policy_problems, require_policy

    policy = require_policy(after.root)
    if policy is None:
        return []
    return [p for p in policy_problems(after, policy, set(files)) if p.severity == "error"]


def _immutability_problems(after: Registry) -> list[Problem]:
    from afsreg.git.repo import git_dir, open_repo
    from afsreg.read.validate import immutability_against

    if git_dir(after.root) is None or open_repo(after.root).head_is_unborn:
        return []
    return [p for p in immutability_against(after, after.root, "HEAD") if p.severity == "error"]


def write_files(
    root: Path, files: Mapping[str, bytes | None], expected: Mapping[str, str | bytes | None]
) -> None:
    """Write every file or none; refuse if one changed on disk since it was read.

    ``expected`` is the git blob id (or the bytes) each path had when the
    registry was read (None: it did not exist). New content goes to a temporary file in the
    same folder, is flushed to disk, then renamed over the old file, so each
    file is always whole. A new file is linked into place, which fails
    instead of overwriting a file that appeared meanwhile. Before the first
    rename every old file is kept as a hard link; if any rename fails, the
    files already renamed are put back, so a multi-file change (promote and
    supersede) is all or nothing.
    """
    expected_ids = {
        rel: git_blob_id(value) if isinstance(value, bytes) else value
        for rel, value in expected.items()
    }
    staged: list[tuple[str, Path, Path | None]] = []
    backups: dict[Path, Path] = {}
    done: list[tuple[str, Path]] = []
    rel = ""
    try:
        for rel, content in files.items():
            target = root / rel
            current = target.read_bytes() if target.is_file() else None
            if (git_blob_id(current) if current is not None else None) != expected_ids.get(rel):
                raise AfsregError(f"{rel}: changed on disk while afsreg was working; run it again")
            if current is not None:
                backup = target.with_name(f".{target.name}.afsreg-old")
                with contextlib.suppress(FileNotFoundError):
                    backup.unlink()
                os.link(target, backup)
                backups[target] = backup
            if content is None:
                staged.append((rel, target, None))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            tmp = Path(tmp_name)
            staged.append((rel, target, tmp))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            if current is not None:
                os.chmod(tmp, target.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
        for rel, destination, written in staged:
            if written is None:
                destination.unlink()
            elif expected_ids.get(rel) is None:
                try:
                    os.link(written, destination)
                except FileExistsError:
                    raise AfsregError(
                        f"{rel} already exists; afsreg never overwrites a version file"
                    ) from None
                written.unlink()
            else:
                os.replace(written, destination)
            done.append((rel, destination))
        for folder in {destination.parent for _, destination, _ in staged}:
            _fsync_dir(folder)
    except (OSError, AfsregError) as exc:
        restored = _restore(done, backups)
        if isinstance(exc, AfsregError) and not done:
            raise
        reason = exc if isinstance(exc, AfsregError) else (exc.strerror or exc)
        outcome = (
            "nothing was changed"
            if restored
            else f"{len(done)} of {len(staged)} files were written and could not be put back"
        )
        raise AfsregError(f"{rel}: cannot write ({reason}); {outcome}") from None
    finally:
        for _, _, leftover in staged:
            if leftover is not None and leftover.exists():
                leftover.unlink()
        for backup in backups.values():
            with contextlib.suppress(OSError):
                backup.unlink()


def _restore(done: list[tuple[str, Path]], backups: Mapping[Path, Path]) -> bool:
    """Undo the renames already made (newest first); True when every file is as before."""
    whole = True
    for _rel, destination in reversed(done):
        try:
            backup = backups.get(destination)
            if backup is None:
                destination.unlink()  # it was new
            else:
                os.replace(backup, destination)  # the old bytes, under the old name
        except OSError:
            whole = False
    return whole


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def apply_change(
    registry: Registry,
    change: Change,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Validate ``change`` against ``registry``, write it, and commit it if asked.

    All of it under the registry's write lock (afsreg.write.lock). If other
    files changed since ``registry`` was read (another writer got there
    first), the change is validated again against the registry as it is
    now, so two writes can't each pass alone and break a rule together.
    """
    _check_writable(registry)
    with write_lock(registry.root):
        current = _as_on_disk(registry)
        change.registry = validate_change(current, change.files)
        if dry_run:
            return change
        expected: dict[str, str | None] = {}
        for rel in change.files:
            existing = registry.file(rel)
            expected[rel] = existing.blob_id if existing is not None else None
        write_files(registry.root, change.files, expected)
        change.written = True
        if commit:
            change.commit_id = commit_paths(registry.root, change.paths, message or change.message)
    return change


def _as_on_disk(registry: Registry) -> Registry:
    """``registry`` if the working tree still holds exactly its files, else a fresh read."""
    from afsreg.registry import Registry

    fresh = Registry.open(registry.root)
    same = {(f.path, f.blob_id) for f in fresh.files} == {
        (f.path, f.blob_id) for f in registry.files
    }
    return registry if same else fresh
