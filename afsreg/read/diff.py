"""What a change does to the registry: versions added and removed, promotions, lifecycle, metrics.

diff = diff_registries(Registry.open(rev="main"), Registry.open())
print(render_markdown(diff))   # a pull-request comment
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pygit2

from afsreg.errors import AfsregError
from afsreg.format import document
from afsreg.format.fields import (
    MISSING,
    FieldChange,
    describe_change,
    field_changes,
    format_value,
)
from afsreg.format.record import VersionLike
from afsreg.problems import Problem

METRICS = "evaluation_metrics."


@dataclass(frozen=True)
class MetricChange:
    metric: str
    old: Any
    new: Any

    @property
    def delta(self) -> float | None:
        if _is_number(self.old) and _is_number(self.new):
            return float(self.new) - float(self.old)
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "old": None if self.old is MISSING else self.old,
            "new": None if self.new is MISSING else self.new,
            "delta": self.delta,
        }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class VersionChange:
    """One version's change between base and head."""

    ref: str
    path: str
    change: str  # "added" | "removed" | "changed" | "unparseable" (file still there, broken)
    promotion: tuple[str | None, str | None] | None = None
    lifecycle: tuple[str | None, str | None] | None = None
    metrics: list[MetricChange] = field(default_factory=list)
    other: list[FieldChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "path": self.path,
            "change": self.change,
            "promotion": None if self.promotion is None else list(self.promotion),
            "lifecycle": None if self.lifecycle is None else list(self.lifecycle),
            "metrics": [m.as_dict() for m in self.metrics],
            "other": [c.as_dict() for c in self.other],
        }


CHANGE_KINDS = ("added", "removed", "changed", "unparseable")
# How each kind reads in a table or a pull-request comment.
CHANGE_LABELS = {"unparseable": "no longer parses"}


@dataclass
class RegistryDiff:
    base: str
    head: str
    versions: list[VersionChange]
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[Problem] = field(default_factory=list)  # head files that don't parse

    def of(self, change: str) -> list[VersionChange]:
        return [v for v in self.versions if v.change == change]

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            # "unparseable" is listed only when there are such versions.
            "summary": {
                k: len(self.of(k)) for k in CHANGE_KINDS if k != "unparseable" or self.of(k)
            },
            "versions": [v.as_dict() for v in self.versions],
            "problems": [p.as_dict() for p in self.problems],
            "unreadable": [p.as_dict() for p in self.unreadable],
        }


def _state(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    return document.promotion_state(data), document.status(data)


def version_change(
    ref: str, path: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> VersionChange:
    """How one version changed; ``old``/``new`` None for an added/removed version."""
    kind = "added" if old is None else "removed" if new is None else "changed"
    result = VersionChange(ref, path, kind)
    old_state = _state(old or {})
    new_state = _state(new or {})
    if old_state[0] != new_state[0]:
        result.promotion = (old_state[0], new_state[0])
    if old_state[1] != new_state[1]:
        result.lifecycle = (old_state[1], new_state[1])
    if kind == "removed":
        return result
    for change in field_changes(old, new):
        if change.field.startswith(METRICS):
            result.metrics.append(
                MetricChange(change.field[len(METRICS) :], change.old, change.new)
            )
        elif change.field not in ("promotion.state", "status") and kind == "changed":
            result.other.append(change)
    return result


def diff_registries(
    base: Iterable[VersionLike],
    head: Iterable[VersionLike],
    *,
    base_label: str = "base",
    head_label: str = "head",
    head_unreadable: Iterable[Problem] = (),
) -> RegistryDiff:
    """Compare two registries (any iterables of model versions with ref, path, blob_id, data).

    A version whose file is still in head but no longer parses
    (``head_unreadable``) is "unparseable", not "removed": a pull-request
    comment must not claim a promoted model was deleted.
    """
    broken = {p.path: p for p in head_unreadable}
    before: dict[str, Any] = {str(v.ref): v for v in base}
    after: dict[str, Any] = {str(v.ref): v for v in head}
    changes = []
    for ref in sorted(before.keys() | after.keys(), key=_ref_key):
        old: Any = before.get(ref)
        new: Any = after.get(ref)
        if old is not None and new is not None and old.blob_id == new.blob_id:
            continue
        path = str((new if new is not None else old).path)
        change = version_change(
            ref,
            path,
            None if old is None else old.data,
            None if new is None else new.data,
        )
        if change.change == "removed" and path in broken:
            change.change = "unparseable"
            change.promotion = change.lifecycle = None
        if (
            change.change != "changed"
            or change.promotion
            or change.lifecycle
            or change.metrics
            or change.other
        ):
            changes.append(change)
    return RegistryDiff(base_label, head_label, changes, unreadable=list(broken.values()))


def _ref_key(ref: str) -> tuple[str, Any]:
    from afsreg.format.versions import version_key

    name, _, version = ref.partition("@")
    try:
        return name, version_key(version)
    except ValueError:
        return name, ((1 << 62, 0, 0), 0, ())


def default_base(repo: pygit2.Repository) -> str:
    """The merge base of HEAD with the default branch (origin/HEAD, else main, else master)."""
    if repo.head_is_unborn:
        raise AfsregError("the repository has no commits yet; there is nothing to diff against")
    branch = default_branch(repo)
    base = repo.merge_base(repo.head.target, repo.revparse_single(branch).peel(pygit2.Commit).id)
    if base is None:
        hint = (
            " (this is a shallow clone: fetch more history with `git fetch --deepen`)"
            if repo.is_shallow
            else ""
        )
        raise AfsregError(f"HEAD and {branch} have no common commit{hint}; pass BASE explicitly")
    return str(base)


def default_branch(repo: pygit2.Repository) -> str:
    try:
        origin_head = repo.references["refs/remotes/origin/HEAD"]
        target = origin_head.target
        if isinstance(target, str):
            return target.removeprefix("refs/remotes/")
    except KeyError:
        pass
    for candidate in ("main", "master", "origin/main", "origin/master"):
        try:
            repo.revparse_single(candidate)
            return candidate
        except (KeyError, ValueError, pygit2.GitError):
            continue
    raise AfsregError(
        "cannot tell the default branch (no origin/HEAD, main or master); pass BASE explicitly"
    )


def rev_label(repo: pygit2.Repository, rev: str) -> str:
    """A revision as a person knows it: the branch at that commit, else the name given,
    else a short commit id."""
    import re

    try:
        commit_id = repo.revparse_single(rev).peel(pygit2.Commit).id
    except (KeyError, ValueError, pygit2.GitError):
        return rev
    if not re.fullmatch(r"[0-9a-f]{7,40}", rev):
        return rev
    for name in [*repo.branches.local, *repo.branches.remote]:
        try:
            if repo.branches[name].peel(pygit2.Commit).id == commit_id:
                return str(name)
        except (KeyError, ValueError, pygit2.GitError):
            continue
    return str(commit_id)[:10]


# -- rendering ----------------------------------------------------------------


def _fmt_state(pair: tuple[str | None, str | None] | None) -> str:
    if pair is None:
        return ""
    old, new = pair
    if old is None:
        return new or ""
    if new is None:
        return f"{old} -> (none)"
    return f"{old} -> {new}"


def format_delta(delta: float | None) -> str:
    if delta is None:
        return ""
    return f"{delta:+.6g}"


def metric_text(metric: MetricChange) -> str:
    text = f"{metric.metric}: {format_value(metric.old)} -> {format_value(metric.new)}"
    if metric.delta is not None:
        text += f" ({format_delta(metric.delta)})"
    return text


def table_rows(diff: RegistryDiff) -> list[dict[str, str]]:
    """One row per changed version, for the plain table view."""
    rows = []
    for v in diff.versions:
        details = [metric_text(m) for m in v.metrics]
        details += [line for c in v.other for line in describe_change(c)]
        rows.append(
            {
                "version": v.ref,
                "change": CHANGE_LABELS.get(v.change, v.change),
                "promotion": _fmt_state(v.promotion),
                "lifecycle": _fmt_state(v.lifecycle),
                "details": "; ".join(details),
            }
        )
    return rows


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_value(value: Any) -> str:
    return "—" if value is MISSING else f"`{_md(format_value(value))}`"


def render_markdown(diff: RegistryDiff, *, heading: bool = True) -> str:
    """A pull-request comment: summary line, a table of versions, then per-version details."""
    added, removed, changed = diff.of("added"), diff.of("removed"), diff.of("changed")
    broken = diff.of("unparseable")
    lines = [f"### Registry changes: `{diff.base}` → `{diff.head}`", ""] if heading else []
    if not diff.versions:
        lines.append("No model versions changed.")
    else:
        counts = [f"{len(added)} added", f"{len(changed)} changed", f"{len(removed)} removed"]
        if broken:
            counts.append(f"{len(broken)} no longer parse")
        lines += [f"**{', '.join(counts)}**", ""]
        lines += ["| Version | Change | Promotion | Lifecycle |", "|---|---|---|---|"]
        for v in diff.versions:
            lines.append(
                f"| `{v.ref}` | {CHANGE_LABELS.get(v.change, v.change)} | {_md(_fmt_state(v.promotion))} | {_md(_fmt_state(v.lifecycle))} |"
            )
        for v in diff.versions:
            if not v.metrics and not v.other:
                continue
            lines += ["", f"#### `{v.ref}`"]
            if v.metrics:
                lines += ["", "| Metric | Before | After | Δ |", "|---|---:|---:|---:|"]
                for m in v.metrics:
                    lines.append(
                        f"| {_md(m.metric)} | {_md_value(m.old)} | {_md_value(m.new)} | {format_delta(m.delta)} |"
                    )
            if v.other:
                lines += ["", "| Field | Before | After |", "|---|---|---|"]
                for c in v.other:
                    if c.field == "deployments":
                        events = "<br>".join(_md(line) for line in describe_change(c))
                        lines.append(f"| `deployments` | | {events} |")
                        continue
                    lines.append(f"| `{_md(c.field)}` | {_md_value(c.old)} | {_md_value(c.new)} |")
    if diff.unreadable:
        lines += ["", "#### :x: Files that don't parse", ""]
        for p in diff.unreadable:
            lines.append(f"- `{_md(p.path)}:{p.line}` {_md(p.field or '(file)')}: {_md(p.message)}")
    if diff.problems:
        lines += ["", "#### :warning: Released versions changed", ""]
        for p in diff.problems:
            lines.append(f"- `{_md(p.path)}:{p.line}` {_md(p.field or '(file)')}: {_md(p.message)}")
    return "\n".join(lines) + "\n"
