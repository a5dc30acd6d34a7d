"""Released versions are immutable: what may not change once a version was promoted or deployed.

A version is *released* when its promotion state is ``promoted`` or
``superseded`` (superseded versions were promoted before), its status is
``deployed``, or its ``deployments`` list is not empty -- in the base tree or
in any earlier commit of its file (a promotion rolled back does not unfreeze).  A released
version may not be deleted or renamed, and its frozen fields may not change:

- identity: ``name``, ``version``, ``artifact_id``, ``created_at``
- what it is: ``model_family``, ``framework``, ``parameter_count``, ``is_external``,
  ``external_source_url``, ``external_source_version``
- how it was made: ``training``, ``training_config``, ``training_data``, ``code``,
  ``lineage``
- what it is made of: ``files``
- what it was measured on: ``evaluation_dataset``, ``benchmark_id``, and every
  metric already in ``evaluation_metrics``

Everything else stays editable: ``promotion``, ``status``, ``deployments``,
``review``, ``title``, ``description``, ``owner``, ``tags``, and new metrics.
Two exceptions keep the review workflow possible: a frozen field that was empty
(absent or null) may be filled in, and a field still flagged in the version's
``review`` list may be corrected until the flag is removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from afsreg.format.document import MODEL_FIELDS, release_reason
from afsreg.format.fields import MISSING, FieldChange, field_changes, format_value
from afsreg.format.loader import YamlError, load_yaml, locate
from afsreg.format.record import VersionLike
from afsreg.problems import Problem

FROZEN_FIELDS = (
    "name",
    "version",
    "artifact_id",
    "created_at",
    *MODEL_FIELDS,
    "training",
    "training_config",
    "training_data",
    "code",
    "lineage",
    "files",
    "evaluation_dataset",
    "benchmark_id",
    "evaluation_metrics",
)


def is_frozen(field: str) -> bool:
    return any(field == f or field.startswith(f + ".") for f in FROZEN_FIELDS)


def _under_review(field: str, data: Mapping[str, Any]) -> bool:
    review = data.get("review")
    for flag in review if isinstance(review, list) else []:
        flagged = flag.get("field") if isinstance(flag, Mapping) else None
        if isinstance(flagged, str) and (
            field == flagged or field.startswith(flagged + ".") or flagged.startswith(field + ".")
        ):
            return True
    return False


def frozen_violations(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[FieldChange]:
    """Changes from ``base`` to ``head`` that a released version may not make."""
    violations = []
    for change in field_changes(base, head):
        if not is_frozen(change.field):
            continue
        if change.old is MISSING or change.old is None:
            continue  # filling in a value that was unknown
        if _under_review(change.field, base):
            continue
        violations.append(change)
    return violations


def _has_file(registry: Any, path: str) -> bool:
    files = getattr(registry, "files", None)
    return isinstance(files, list) and any(getattr(f, "path", None) == path for f in files)


def _field_path(field: str) -> tuple[str, ...]:
    return tuple(field.split("."))


def immutability_problems(
    base: Iterable[VersionLike], head: Iterable[VersionLike], *, check_history: bool = True
) -> list[Problem]:
    """Every change in ``head`` to a version that was released in ``base``, as located problems.

    ``base`` and ``head`` are Registry objects (any iterable of model versions
    with ``ref``, ``path``, ``content``, ``blob_id`` and ``data``).  Problems
    point at the offending field's line in the new file; a deleted or renamed
    version is reported at line 1 of its old path.

    A version counts as released when it is released in ``base`` or, when
    ``base`` was read at a commit and ``check_history`` is set, when any
    earlier state of its file in git history was (promoted, then demoted).
    History is read only for versions this change touches.
    """
    head_versions = {str(v.ref): v for v in head}
    history = _HistoryReleases(base) if check_history else None
    problems: list[Problem] = []
    for old in base:
        ref = str(old.ref)
        new = head_versions.get(ref)
        if new is not None and new.path == old.path and new.blob_id == old.blob_id:
            continue  # untouched
        if new is None and _has_file(head, old.path):
            continue  # still there but unreadable: validation reports why
        reason = release_reason(old.data)
        if reason is None and history is not None and not _would_break(old.data, new, old.path):
            continue  # nothing to report, released before or not: history is not read
        if reason is None and history is not None:
            reason = history.reason(old.path)
        if reason is None:
            continue
        if new is None:
            problems.append(
                Problem(
                    old.path,
                    1,
                    1,
                    "",
                    f"{ref} is released ({reason}) and may not be deleted or renamed; "
                    "set status: archived or promotion.state: superseded instead",
                )
            )
            continue
        if new.path != old.path:
            problems.append(
                Problem(
                    new.path,
                    1,
                    1,
                    "",
                    f"{ref} is released ({reason}); its file may not move from {old.path}",
                )
            )
        for change in frozen_violations(old.data, new.data):
            line, col = locate(new.content, _field_path(change.field))
            if change.new is MISSING:
                what = f"may not be removed (was {format_value(change.old)})"
            else:
                what = f"may not change ({format_value(change.old)} -> {format_value(change.new)})"
            problems.append(
                Problem(
                    new.path,
                    line,
                    col,
                    change.field,
                    f"{ref} is released ({reason}): {change.field} is frozen and {what}; "
                    "record the change in a new version",
                )
            )
        # An open flag unlocks its field for correction, so a released version
        # may not gain a flag on a frozen field: that would unlock it after the fact.
        added = sorted(
            f for f in _flagged_fields(new.data) - _flagged_fields(old.data) if is_frozen(f)
        )
        if added:
            line, col = locate(new.content, ("review",))
            problems.append(
                Problem(
                    new.path,
                    line,
                    col,
                    "review",
                    f"{ref} is released ({reason}): a review flag may not be added to its frozen "
                    f"field(s) {', '.join(added)}; record the correction in a new version",
                )
            )
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.field))


def _would_break(old: Mapping[str, Any], new: VersionLike | None, old_path: str) -> bool:
    """Whether ``new`` breaks the rules if the version it replaces was released.

    Reading history (git, ~70 ms to import pygit2 alone) is only needed then:
    an edit of editable fields, the usual commit, reports nothing either way.
    """
    if new is None or new.path != old_path or frozen_violations(old, new.data):
        return True
    return any(is_frozen(f) for f in _flagged_fields(new.data) - _flagged_fields(old))


def _flagged_fields(data: Mapping[str, Any]) -> set[str]:
    review = data.get("review")
    return {
        flag["field"]
        for flag in (review if isinstance(review, list) else [])
        if isinstance(flag, Mapping) and isinstance(flag.get("field"), str)
    }


_RELEASE_MARKERS = (b"promoted", b"superseded", b"deployed", b"deployments")


class _HistoryReleases:
    """Whether a file was released at any commit before the base, read lazily from git history."""

    def __init__(self, base: Any) -> None:
        self.root = getattr(base, "root", None)
        self.commit_id = getattr(base, "commit_id", None)
        self._index: Any = None
        self._repo: Any = None

    def reason(self, path: str) -> str | None:
        if self.root is None or self.commit_id is None:
            return None
        if self._index is None:
            from afsreg.git.history import load_history
            from afsreg.git.repo import open_repo

            self._repo = open_repo(self.root)
            self._index = load_history(self._repo, self.commit_id)
        for change in self._index.file_history(path):
            if change.status == "D":
                continue
            try:
                blob = self._repo[self._repo[change.commit].tree[change.path].id]
            except (KeyError, ValueError):
                continue
            content = bytes(blob.data)
            if not any(marker in content for marker in _RELEASE_MARKERS):
                continue  # cheap test before parsing
            try:
                data = load_yaml(content)
            except YamlError:
                continue
            found = release_reason(data) if isinstance(data, Mapping) else None
            if found is not None:
                return f"{found} at commit {change.commit[:10]}"
        return None
