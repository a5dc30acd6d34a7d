"""The policy's rules (afsreg.yaml), applied to model versions.

One function per rule kind; each gives a GateResult (passed or not, with the
numbers), and a failed one carries a Problem located in the version's file,
so `afsreg validate`, the pre-commit hook, CI, every write command and
`afsreg check-policy` all say the same thing:

    models/majora/v3.yaml:31:3: evaluation_metrics.f1_score: majora@v3: f1_score 0.79
    is below the production gate 0.80 (afsreg.yaml:18)

A version is held to the gates of the stages it is in: ``promoted`` while
its promotion state is promoted, and each environment it is actively
deployed to. "The currently promoted version" a gate compares with is the
one this version replaced (the version whose ``superseded_by`` names it);
for a dry run of a version not promoted yet, the one promoted now.

Why ~540 lines in one module: each gate kind is a short function, and keeping
them beside the one loop that applies them makes every rule's message easy to
find and compare.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from afsreg.errors import AfsregError
from afsreg.format.fields import metrics
from afsreg.format.loader import locate
from afsreg.format.policy import POLICY_FILE, PROMOTED, Gate, Policy, load_policy
from afsreg.format.record import ModelVersion
from afsreg.problems import Problem

RELEASED = ("promoted", "superseded")


class VersionIndex(Protocol):
    """What the rules need from a registry (afsreg.registry.Registry has it)."""

    def versions(self, name: str) -> list[ModelVersion]: ...

    def promoted(self, name: str) -> ModelVersion | None: ...

    def __iter__(self) -> Any: ...


@dataclass(frozen=True)
class GateResult:
    ref: str
    gate: str  # "production gate"
    rule: str  # metrics, no_regression, required_fields, no_open_review, ...
    passed: bool
    message: str
    problem: Problem | None = None  # where it fails, when it does

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ref": self.ref,
            "gate": self.gate,
            "rule": self.rule,
            "passed": self.passed,
            "message": self.message,
        }
        if self.problem is not None:
            out["problem"] = self.problem.as_dict()
        return out


# -- reading the policy file --------------------------------------------------


def policy_bytes(root: Path, *, rev: str | None = None, staged: bool = False) -> bytes | None:
    """afsreg.yaml from the working tree, the index (staged) or a commit; None when absent."""
    if rev is None and not staged:
        target = root / POLICY_FILE
        if target.is_symlink():
            raise AfsregError(f"{POLICY_FILE}: a symbolic link; afsreg does not follow links")
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AfsregError(f"{POLICY_FILE}: cannot read ({exc.strerror})") from None
    import pygit2

    from afsreg.git.repo import open_repo, resolve_commit

    repo = open_repo(root)
    if staged:
        try:
            entry = repo.index[POLICY_FILE]
        except KeyError:
            return None
        blob = repo[entry.id]
    else:
        assert rev is not None
        tree = resolve_commit(repo, rev).tree
        if POLICY_FILE not in tree:
            return None
        blob = repo[tree[POLICY_FILE].id]
    return bytes(blob.data) if isinstance(blob, pygit2.Blob) else None


def read_policy(
    root: Path, *, rev: str | None = None, staged: bool = False
) -> tuple[Policy | None, list[Problem]]:
    """The registry's policy and the problems of its file; (None, []) without a policy file."""
    content = policy_bytes(root, rev=rev, staged=staged)
    if content is None:
        return None, []
    return load_policy(content)


def require_policy(root: Path) -> Policy | None:
    """The working tree's policy for a write; ValidationError when the file is broken."""
    from afsreg.errors import ValidationError

    policy, problems = read_policy(root)
    if problems:
        raise ValidationError(problems, summary=f"{POLICY_FILE} has problems; fix it first:")
    return policy


# -- which gates a version is held to -----------------------------------------


def stages_of(version: ModelVersion) -> list[str]:
    """The stages a version is in: promoted, and the environments it is deployed to."""
    stages = [PROMOTED] if version.promotion_state == PROMOTED else []
    stages += sorted(version.summary.get("active_envs") or [])
    return stages


def replaced_by(registry: VersionIndex, version: ModelVersion) -> ModelVersion | None:
    """The version this one replaces: the one it superseded, else the one promoted now."""
    for other in registry.versions(version.name):
        if other.summary.get("superseded_by") == version.version and other is not version:
            return other
    current = registry.promoted(version.name)
    if current is not None and current.ref_text != version.ref_text:
        return current
    return None


def policy_problems(
    registry: VersionIndex, policy: Policy, only: Collection[str] | None = None
) -> list[Problem]:
    """Every broken rule, for the versions whose path is in ``only`` (all when None)."""
    problems: list[Problem] = []
    for version in registry:
        if only is not None and version.path not in only:
            continue
        problems += environment_problems(policy, version)
        for result in gate_results(registry, policy, version, stages_of(version)):
            if result.problem is not None:
                problems.append(result.problem)
    return problems


def gate_results(
    registry: VersionIndex, policy: Policy, version: ModelVersion, stages: Iterable[str]
) -> list[GateResult]:
    """What each gate of ``stages`` says about ``version``, passed and failed."""
    gates = [g for stage in stages for g in policy.gates_for(version.name, stage)]
    if not gates:
        return []  # nothing to check: the file is not even parsed
    replaced = replaced_by(registry, version)
    return [r for gate in gates for r in _gate(registry, policy, gate, version, replaced)]


def dry_run(
    registry: VersionIndex,
    policy: Policy,
    version: ModelVersion,
    stages: Iterable[str] | None = None,
) -> list[GateResult]:
    """What ``afsreg check-policy`` says: every gate of ``stages`` (default: promotion and
    each environment), and the environment order, as if the version entered each stage now."""
    if stages is None:
        gated = [g.stage for g in policy.gates if g.applies_to(version.name)]
        stages = [PROMOTED, *(policy.environments or ())]
        stages += [s for s in dict.fromkeys(gated) if s not in stages]
    results: list[GateResult] = []
    deployed_to = {
        d.get("env") for d in version.data.get("deployments") or [] if isinstance(d, dict)
    }
    for stage in stages:
        if policy.environments is not None and stage != PROMOTED:
            if stage not in policy.environments:
                hint = policy.suggest_environment(stage)
                raise AfsregError(
                    f"{stage!r} is not an environment of this registry "
                    f"({', '.join(policy.environments) or 'none'})"
                    + (f"; did you mean {hint}?" if hint else "")
                )
            for before in policy.environments[stage]:
                passed = before in deployed_to
                results.append(
                    GateResult(
                        version.ref_text,
                        f"{stage} order",
                        "environments",
                        passed,
                        f"{'deployed' if passed else 'not deployed'} to {before}, which "
                        f"{stage} requires first ({policy.where('environments', stage)})",
                    )
                )
        results += gate_results(registry, policy, version, [stage])
    return results


def _gate(
    registry: VersionIndex,
    policy: Policy,
    gate: Gate,
    version: ModelVersion,
    replaced: ModelVersion | None,
) -> list[GateResult]:
    check = _Check(policy, gate, version)
    data = version.data
    values = metrics(data)
    for threshold in gate.metrics:
        rule_at = check.rule_at("metrics", threshold.metric)
        key = _metric_key(values, threshold.metric)
        limits = [b for b in (threshold.min, threshold.max) if b is not None]
        shown = [values[key]] if key is not None else []
        bounds = " and ".join(
            f"{word} {_num(bound, *limits, *shown)}"
            for word, bound in (("at least", threshold.min), ("at most", threshold.max))
            if bound is not None
        )
        if key is None:
            check.fail(
                "metrics",
                _metric_path(threshold.metric),
                f"{threshold.metric} is not recorded; the {gate.label} requires {bounds}",
                rule_at,
            )
            continue
        value = values[key]
        if threshold.min is not None and value < threshold.min:
            check.fail(
                "metrics",
                _metric_path(key),
                f"{threshold.metric} {_num(value, threshold.min)} is below the "
                f"{gate.label} {_num(threshold.min, value)}",
                rule_at,
            )
        elif threshold.max is not None and value > threshold.max:
            check.fail(
                "metrics",
                _metric_path(key),
                f"{threshold.metric} {_num(value, threshold.max)} is above the "
                f"{gate.label} {_num(threshold.max, value)}",
                rule_at,
            )
        else:
            check.ok("metrics", f"{threshold.metric} {_num(value, *limits)} ({bounds})")
    if gate.no_regression:
        _no_regression(check, gate, values, replaced)
    for field in gate.required_fields:
        parts = tuple(field.split("."))
        if _get(data, parts) is None:
            check.fail(
                "required_fields",
                parts,
                f"{field} is empty; the {gate.label} requires it",
                check.rule_at("required_fields"),
            )
        else:
            check.ok("required_fields", f"{field} is set")
    if gate.no_open_review:
        flags = [f for f in version.review if isinstance(f, dict)]
        if flags:
            fields = ", ".join(str(f.get("field")) for f in flags)
            check.fail(
                "no_open_review",
                ("review",),
                f"{len(flags)} open review flag(s) ({fields}); the {gate.label} requires none",
                check.rule_at("no_open_review"),
            )
        else:
            check.ok("no_open_review", "no open review flags")
    if gate.require_evaluation_dataset:
        dataset = data.get("evaluation_dataset")
        if not dataset or (isinstance(dataset, dict) and not dataset.get("name")):
            check.fail(
                "require_evaluation_dataset",
                ("evaluation_dataset",),
                f"no evaluation dataset; the {gate.label} requires the dataset the metrics "
                "were measured on",
                check.rule_at("require_evaluation_dataset"),
            )
        else:
            check.ok("require_evaluation_dataset", "evaluation dataset recorded")
    if gate.require_code_pin:
        if not _get(data, ("code", "commit_sha")):
            check.fail(
                "require_code_pin",
                ("code", "commit_sha"),
                f"no code pin (code.commit_sha); the {gate.label} requires one",
                check.rule_at("require_code_pin"),
            )
        else:
            check.ok("require_code_pin", f"code pinned at {_get(data, ('code', 'commit_sha'))}")
    if gate.promoted_inputs:
        _promoted_inputs(check, registry, gate, version)
    return check.results


def _no_regression(
    check: _Check, gate: Gate, values: dict[str, float], replaced: ModelVersion | None
) -> None:
    rule_at = check.rule_at("no_regression")
    if replaced is None:
        check.ok("no_regression", "no promoted version to compare with")
        return
    before = metrics(replaced.data)
    tolerance = f" (tolerance {_num(gate.tolerance)})" if gate.tolerance else ""
    for metric in gate.no_regression:
        old_key = _metric_key(before, metric)
        if old_key is None:
            check.ok("no_regression", f"{metric}: not recorded on {replaced.ref_text}")
            continue
        old = before[old_key]
        key = _metric_key(values, metric)
        if key is None:
            check.fail(
                "no_regression",
                _metric_path(metric),
                f"{metric} is not recorded; the {gate.label} compares it with "
                f"{replaced.ref_text} ({_num(old)})",
                rule_at,
            )
            continue
        new = values[key]
        lower = metric in gate.lower_is_better or metric.rsplit(".", 1)[-1] in gate.lower_is_better
        worse = (new - old) if lower else (old - new)
        if worse > gate.tolerance + 1e-12:
            check.fail(
                "no_regression",
                _metric_path(key),
                f"{metric} {_num(new, old)} regressed from {_num(old, new)} ({replaced.ref_text}, "
                f"the version it replaces) by {_num(round(worse, 6), old, new)}; the "
                f"{gate.label} allows {_num(gate.tolerance, old, new)}",
                rule_at,
            )
        else:
            check.ok(
                "no_regression",
                f"{metric} {_num(new, old)} vs {_num(old, new)} on {replaced.ref_text}{tolerance}",
            )


def _promoted_inputs(
    check: _Check, registry: VersionIndex, gate: Gate, version: ModelVersion
) -> None:
    rule_at = check.rule_at("promoted_inputs")
    inputs: list[tuple[tuple[str | int, ...], ModelVersion, str]] = []
    for i, base in enumerate(version.base_models):
        name, _, number = str(base.get("model")).partition("@")
        found = next((v for v in registry.versions(name) if v.version == number), None)
        if found is not None:
            inputs.append((("lineage", "base_models", i, "model"), found, "base model"))
    datasets = [d for d in version.data.get("training_data") or [] if isinstance(d, dict)]
    if any(d.get("artifact_id") for d in datasets):
        by_artifact = _artifact_index(registry)
        for i, dataset in enumerate(version.data.get("training_data") or []):
            if isinstance(dataset, dict) and dataset.get("artifact_id") in by_artifact:
                found = by_artifact[dataset["artifact_id"]]
                inputs.append((("training_data", i, "artifact_id"), found, "training data"))
    for field_path, found, kind in inputs:
        if found.promotion_state in RELEASED:
            check.ok("promoted_inputs", f"{kind} {found.ref_text} is {found.promotion_state}")
        else:
            check.fail(
                "promoted_inputs",
                field_path,
                f"{kind} {found.ref_text} is {found.promotion_state}; the {gate.label} "
                "requires it to be promoted first",
                rule_at,
            )


_ARTIFACTS: weakref.WeakKeyDictionary[Any, dict[str, ModelVersion]] = weakref.WeakKeyDictionary()


def _artifact_index(registry: VersionIndex) -> dict[str, ModelVersion]:
    """Versions by artifact id, built once per registry."""
    index = _ARTIFACTS.get(registry)
    if index is None:
        index = {v.artifact_id: v for v in registry}
        _ARTIFACTS[registry] = index
    return index


def environment_problems(policy: Policy, version: ModelVersion) -> list[Problem]:
    """Active deployments to environments the policy does not name, or out of their order.

    A closed deployment is history: it is not checked again under today's policy.
    """
    envs = policy.environments
    if envs is None or not version.summary.get("active_envs"):
        return []
    problems = []
    deployments = [d for d in version.data.get("deployments") or [] if isinstance(d, dict)]
    for i, record in enumerate(version.data.get("deployments") or []):
        if not isinstance(record, dict) or not isinstance(record.get("env"), str):
            continue
        env = record["env"]
        if record.get("undeployed_at"):
            continue
        if env not in envs:
            hint = policy.suggest_environment(env)
            message = (
                f"{version.ref_text}: {env!r} is not an environment of this registry "
                f"({', '.join(envs) or 'none'})"
                + (f"; did you mean {hint}?" if hint else "")
                + f" ({policy.where('environments')})"
            )
            problems.append(_problem(version, ("deployments", i, "env"), message))
            continue
        when = str(record.get("deployed_at") or "")
        for before in envs[env]:
            if not any(
                d.get("env") == before and str(d.get("deployed_at") or "") <= when
                for d in deployments
            ):
                problems.append(
                    _problem(
                        version,
                        ("deployments", i, "env"),
                        f"{version.ref_text}: deployed to {env} without a deployment to "
                        f"{before} before it; {env} requires {before} "
                        f"({policy.where('environments', env, 'requires')})",
                    )
                )
    return problems


# -- small helpers ------------------------------------------------------------


class _Check:
    """Collects the results of one gate on one version."""

    def __init__(self, policy: Policy, gate: Gate, version: ModelVersion) -> None:
        self.policy = policy
        self.gate = gate
        self.version = version
        self.results: list[GateResult] = []

    def rule_at(self, *rule: str) -> str:
        return self.policy.where("gates", self.gate.index, *rule)

    def _trigger(self) -> tuple[str | int, ...]:
        """promotion.state, or the active deployment to the gate's environment."""
        if self.gate.stage == PROMOTED:
            return ("promotion", "state")
        for i, record in enumerate(self.version.data.get("deployments") or []):
            active = isinstance(record, dict) and not record.get("undeployed_at")
            if active and record.get("env") == self.gate.stage:
                return ("deployments", i, "env")
        return ("promotion", "state")

    def ok(self, rule: str, message: str) -> None:
        self.results.append(GateResult(self.version.ref_text, self.gate.label, rule, True, message))

    def fail(
        self, rule: str, field_path: tuple[str | int, ...], message: str, rule_at: str
    ) -> None:
        text = f"{self.version.ref_text}: {message} ({rule_at})"
        at = field_path
        if field_path and field_path[0] not in self.version.data:
            at = self._trigger()  # nothing to point at: point at what put it under the gate
        problem = _problem(self.version, field_path, text, rule=f"policy/{rule}", at=at)
        self.results.append(
            GateResult(self.version.ref_text, self.gate.label, rule, False, message, problem)
        )


def _problem(
    version: ModelVersion,
    field_path: tuple[str | int, ...],
    message: str,
    rule: str = "policy/environments",
    at: tuple[str | int, ...] | None = None,
) -> Problem:
    from afsreg.format.field_paths import dotted

    line, col = locate(version.content, field_path if at is None else at)
    return Problem(version.path, line, col, dotted(field_path), message, rule=rule)


def _metric_key(values: dict[str, float], metric: str) -> str | None:
    """A policy's metric name -> the flattened key: f1_score, rouge.rouge1 or custom.pass_at_1."""
    for key in (metric, f"rouge.{metric}", f"custom.{metric}"):
        if key in values:
            return key
    return None


def _metric_path(key: str) -> tuple[str, ...]:
    return ("evaluation_metrics", *key.split("."))


def _get(data: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _num(value: float, *others: float) -> str:
    """A number as written, with as many decimals as the others it is compared with (0.80, 0.79)."""
    decimals = max((_decimals(v) for v in (value, *others)), default=0)
    if isinstance(value, float) or decimals:
        return f"{value:.{decimals}f}"
    return str(value)


def _decimals(value: float) -> int:
    text = repr(value)
    if not isinstance(value, float) or "e" in text or "." not in text:
        return 0
    return min(len(text.split(".")[1].rstrip("0")) or 1, 6)


__all__ = [
    "POLICY_FILE",
    "GateResult",
    "dry_run",
    "environment_problems",
    "gate_results",
    "policy_problems",
    "read_policy",
    "replaced_by",
    "require_policy",
    "stages_of",
]
