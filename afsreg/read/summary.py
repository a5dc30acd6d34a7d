"""A pull-request summary a reviewer can act on.

For each version a change adds, promotes or deploys: what changed against
its parent (training config, data, code pin, base models), its metrics
against the parent and against the version promoted at the base, what the
policy's gates say (with the numbers), and its open review flags; and, for
the whole change, promotions and deployments in words ("production: v3 ->
v4"). Built on afsreg.read.diff; rendered as markdown for a PR comment or
a GitHub job summary.

summary = pull_request_summary(root, "main", None)   # main against the working tree
print(render_summary(summary))
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from afsreg.checks.policy import GateResult, gate_results, read_policy, stages_of
from afsreg.errors import AfsregError
from afsreg.format.fields import FieldChange, field_changes, format_value
from afsreg.format.policy import POLICY_FILE, PROMOTED, Policy
from afsreg.format.record import ModelVersion
from afsreg.problems import Problem
from afsreg.read.diff import (
    MetricChange,
    RegistryDiff,
    _md,
    diff_registries,
    format_delta,
    render_markdown,
)
from afsreg.registry import Registry
from afsreg.text import visible

# What "changed against its parent" means for a reviewer: how it was made.
LINEAGE_FIELDS = (
    "training_config",
    "training_data",
    "code",
    "lineage.base_models",
    "evaluation_dataset",
    "benchmark_id",
    "files",
)


@dataclass
class VersionReview:
    ref: str
    path: str
    change: str  # added | changed
    parent: str | None = None
    against_parent: list[FieldChange] = field(default_factory=list)
    metrics_vs_parent: list[MetricChange] = field(default_factory=list)
    promoted: str | None = None  # the version promoted at the base, when another
    metrics_vs_promoted: list[MetricChange] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)  # empty: gates shown as a dry run
    gates: list[GateResult] = field(default_factory=list)
    review_flags: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Every field by its name; the changes, metrics and gates as their own dicts."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("against_parent", "metrics_vs_parent", "metrics_vs_promoted", "gates"):
            data[key] = [item.as_dict() for item in data[key]]
        return data


@dataclass
class PullRequestSummary:
    diff: RegistryDiff
    events: list[str] = field(default_factory=list)
    versions: list[VersionReview] = field(default_factory=list)
    policy_changed: bool = False
    policy_problems: list[Problem] = field(default_factory=list)

    @property
    def failed_gates(self) -> list[GateResult]:
        return [g for v in self.versions if v.stages for g in v.gates if not g.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.diff.as_dict(),
            "events": self.events,
            "reviews": [v.as_dict() for v in self.versions],
            "policy_changed": self.policy_changed,
            "policy_problems": [p.as_dict() for p in self.policy_problems],
        }


def pull_request_summary(
    root: Path,
    base: str,
    head: str | None,
    *,
    base_label: str | None = None,
    head_label: str | None = None,
) -> PullRequestSummary:
    """Compare the registry at ``base`` with ``head`` (None: the working tree)."""
    from afsreg.checks.immutability import immutability_problems
    from afsreg.checks.policy import policy_bytes

    base_registry = Registry.open(root, rev=base)
    head_registry = Registry.open(root, rev=head)
    diff = diff_registries(
        base_registry,
        head_registry,
        base_label=base_label or base,
        head_label=head_label or head or "working tree",
        head_unreadable=head_registry.unreadable,
    )
    diff.problems = immutability_problems(base_registry, head_registry)
    policy, policy_problems = read_policy(root, rev=head)
    summary = PullRequestSummary(
        diff,
        events=events(base_registry, head_registry),
        policy_changed=policy_bytes(root, rev=base) != policy_bytes(root, rev=head),
        policy_problems=policy_problems,
    )
    for change in diff.versions:
        if change.change in ("removed", "unparseable"):
            continue
        version = head_registry.get(change.ref)
        if change.change == "changed" and not (change.promotion or change.lifecycle):
            continue
        summary.versions.append(
            review(base_registry, head_registry, policy, version, change.change)
        )
    return summary


def diff_summary(root: Path, base: str | None, head: str | None) -> PullRequestSummary:
    """What ``afsreg diff`` shows: ``base`` against ``head``, labelled as a person names them.

    ``base`` defaults to the merge base of HEAD with the default branch,
    ``head`` (None) is the working tree.
    """
    from afsreg.git.repo import open_repo
    from afsreg.read.diff import default_base, default_branch, rev_label

    repo = open_repo(root)
    if base is None:
        base = default_base(repo)
        base_label = f"{default_branch(repo)} (merge base {base[:10]})"
    else:
        base_label = rev_label(repo, base)
    return pull_request_summary(
        root,
        base,
        head,
        base_label=base_label,
        head_label=rev_label(repo, head) if head else None,
    )


def review(
    base: Registry, head: Registry, policy: Policy | None, version: ModelVersion, change: str
) -> VersionReview:
    data = version.data
    result = VersionReview(version.ref_text, version.path, change, parent=version.parent)
    parent = _find(head, version.name, version.parent)
    if parent is not None:
        result.against_parent = [
            c
            for c in field_changes(parent.data, data)
            if any(c.field == f or c.field.startswith(f + ".") for f in LINEAGE_FIELDS)
        ]
        result.metrics_vs_parent = metric_changes(parent.data, data)
    promoted = base.promoted(version.name)
    if promoted is not None and promoted.ref_text != version.ref_text:
        result.promoted = promoted.ref_text
        result.metrics_vs_promoted = metric_changes(promoted.data, data)
    if policy is not None:
        result.stages = stages_of(version)
        # A new candidate is shown what promoting it would take (a dry run);
        # a version leaving its stages (superseded, undeployed) is held to none.
        if result.stages or change == "added":
            result.gates = gate_results(head, policy, version, result.stages or [PROMOTED])
    result.review_flags = [f for f in version.review if isinstance(f, dict)]
    return result


def metric_changes(old: dict[str, Any], new: dict[str, Any]) -> list[MetricChange]:
    from afsreg.format.fields import metrics

    before, after = metrics(old), metrics(new)
    return [
        MetricChange(name, before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
    ]


def events(base: Registry, head: Registry) -> list[str]:
    """Promotions and deployments, per model: ``majora promoted: v3 -> v4``."""
    lines = []
    for name in sorted(set(base.models()) | set(head.models())):
        before, after = base.promoted(name), head.promoted(name)
        if _version_of(before) != _version_of(after):
            lines.append(f"{name} promoted: {_version_of(before)} -> {_version_of(after)}")
        old_envs, new_envs = _deployed(base, name), _deployed(head, name)
        for env in sorted(old_envs.keys() | new_envs.keys()):
            if old_envs.get(env) != new_envs.get(env):
                lines.append(
                    f"{name} {env}: {old_envs.get(env, '(none)')} -> {new_envs.get(env, '(none)')}"
                )
    return lines


def _deployed(registry: Registry, name: str) -> dict[str, str]:
    return {env: v.version for v in registry.versions(name) for env in v.active_envs}


def _version_of(version: ModelVersion | None) -> str:
    return version.version if version is not None else "(none)"


def _find(registry: Registry, name: str, version: str | None) -> ModelVersion | None:
    if not version:
        return None
    return next((v for v in registry.versions(name) if v.version == version), None)


def append_step_summary(text: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Append to the GitHub Actions job summary ($GITHUB_STEP_SUMMARY) when there is one."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    try:
        with open(target, "a", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise AfsregError(f"{target}: cannot append the job summary ({exc.strerror})") from None
    return True


# -- markdown -----------------------------------------------------------------


def render_summary(summary: PullRequestSummary) -> str:
    diff = summary.diff
    lines = [f"### Registry changes: `{_md(diff.base)}` → `{_md(diff.head)}`", ""]
    failed = summary.failed_gates
    if summary.policy_problems:
        lines.append(f":x: **{POLICY_FILE} has problems**")
        lines += [f"- `{_md(str(p))}`" for p in summary.policy_problems]
        lines.append("")
    if summary.policy_changed:
        lines += [f":warning: **This change edits the policy ({POLICY_FILE}).**", ""]
    if failed:
        lines += [f":x: **{len(failed)} gate check(s) failed**", ""]
    if summary.events:
        lines += ["#### Promotions and deployments", ""]
        lines += [f"- {_md(e)}" for e in summary.events]
        lines.append("")
    for v in summary.versions:
        lines += _render_version(v)
    if diff.versions or diff.problems:
        lines += ["#### All changed versions", "", render_markdown(diff, heading=False)]
    # Values come from files: no control character reaches a terminal or a comment.
    return visible("\n".join(lines).rstrip("\n") + "\n")


def _render_version(v: VersionReview) -> list[str]:
    title = f"#### `{v.ref}` ({v.change}"
    title += f", parent {v.parent})" if v.parent else ")"
    lines = [title, ""]
    if v.gates:
        kind = ", ".join(v.stages) if v.stages else "dry run: if promoted"
        lines += [f"**Gates** ({_md(kind)})", ""]
        for g in v.gates:
            mark = ":white_check_mark:" if g.passed else ":x:"
            lines.append(f"- {mark} {_md(g.gate)} · {_md(g.rule)}: {_md(g.message)}")
        lines.append("")
    if v.against_parent:
        lines += [f"**Changed from {v.parent}**", "", "| Field | Before | After |", "|---|---|---|"]
        for c in v.against_parent:
            lines.append(f"| `{_md(c.field)}` | {_cell(c.old)} | {_cell(c.new)} |")
        lines.append("")
    table = _metric_table(v)
    if table:
        lines += [*table, ""]
    if v.review_flags:
        lines += [f"**Open review flags ({len(v.review_flags)})**", ""]
        for f in v.review_flags:
            lines.append(f"- `{_md(str(f.get('field')))}`: {_md(str(f.get('reason', '')))}")
        lines.append("")
    return lines


def _metric_table(v: VersionReview) -> list[str]:
    parent = {m.metric: m for m in v.metrics_vs_parent}
    promoted = {m.metric: m for m in v.metrics_vs_promoted}
    names = sorted(parent.keys() | promoted.keys())
    if not names:
        return []
    header = ["Metric", "This version"]
    if parent:
        header += [f"Parent {v.parent}", "Δ parent"]
    if promoted:
        header += [f"Promoted {v.promoted}", "Δ promoted"]
    rows = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for name in names:
        source = parent.get(name) or promoted[name]
        cells = [_md(name), _num(source.new)]
        if parent:
            m = parent.get(name)
            cells += [_num(m.old), _delta(m)] if m else ["", ""]
        if promoted:
            m = promoted.get(name)
            cells += [_num(m.old), _delta(m)] if m else ["", ""]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _delta(metric: MetricChange) -> str:
    delta = metric.delta
    if delta is None:
        return ""
    return format_delta(delta) if abs(delta) > 1e-12 else "0"


def _num(value: Any) -> str:
    return "—" if value is None else _md(format_value(value))


def _cell(value: Any) -> str:
    from afsreg.format.fields import MISSING

    if value is MISSING:
        return "—"
    return f"`{_md(format_value(value))}`"


__all__ = [
    "PullRequestSummary",
    "VersionReview",
    "diff_summary",
    "pull_request_summary",
    "render_summary",
]
