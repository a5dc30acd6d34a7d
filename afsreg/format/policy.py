"""The policy file, ``afsreg.yaml`` at the registry root: environments, gates and owners.

It is parsed by the same strict loader as model files and checked against
its own schema (``schemas/policy.schema.json``, shipped in the package, never
a registry's own copy: a pull request may change the rules, not what a rule
is). Every problem is located like a model file's:
``afsreg.yaml:12:5: gates[0].metrics.f1_score.min: ...``.

The rules themselves are applied in afsreg.checks.policy.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from afsreg.format.field_paths import dotted
from afsreg.format.loader import YamlError, load_yaml, locate
from afsreg.format.paths import POLICY_FILE as POLICY_FILE  # its home; re-exported
from afsreg.format.schema import located_problems, packaged_schema_dir
from afsreg.problems import Problem

POLICY_SCHEMA = "policy.schema.json"
PROMOTED = "promoted"  # the stage of a gate that applies on promotion

# Metrics where a smaller number is the better one (for no_regression).
LOWER_IS_BETTER = frozenset({"perplexity", "latency_ms", "memory_mb"})


@dataclass(frozen=True)
class Threshold:
    metric: str
    min: float | None
    max: float | None


@dataclass(frozen=True)
class Gate:
    """One gate: what a version of matching models needs to enter ``stage``."""

    index: int
    stage: str  # "promoted", or an environment name
    name: str | None = None
    models: tuple[str, ...] = ("*",)
    metrics: tuple[Threshold, ...] = ()
    no_regression: tuple[str, ...] = ()
    tolerance: float = 0.0
    lower_is_better: frozenset[str] = LOWER_IS_BETTER
    required_fields: tuple[str, ...] = ()
    no_open_review: bool = False
    require_evaluation_dataset: bool = False
    require_code_pin: bool = False
    promoted_inputs: bool = False

    @property
    def label(self) -> str:
        """How messages name the gate: "the production gate", "the promotion gate"."""
        if self.name:
            return f"gate {self.name!r}"
        return "promotion gate" if self.stage == PROMOTED else f"{self.stage} gate"

    def applies_to(self, model: str) -> bool:
        return any(fnmatchcase(model, pattern) for pattern in self.models)


@dataclass(frozen=True)
class Policy:
    content: bytes
    environments: dict[str, tuple[str, ...]] | None = None  # name -> required before it
    gates: tuple[Gate, ...] = ()
    owners: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (pattern, owners), file order
    policy_owners: tuple[str, ...] = ()
    path: str = POLICY_FILE

    def where(self, *field_path: str | int) -> str:
        """``afsreg.yaml:12``: where a rule is written, for messages."""
        line, _ = locate(self.content, field_path)
        return f"{self.path}:{line}"

    def gates_for(self, model: str, stage: str) -> list[Gate]:
        return [g for g in self.gates if g.stage == stage and g.applies_to(model)]

    def owners_of(self, model: str) -> tuple[str, ...] | None:
        """The owners the policy names for a model: an exact name first, else the first pattern."""
        for pattern, owners in self.owners:
            if pattern == model:
                return owners
        for pattern, owners in self.owners:
            if fnmatchcase(model, pattern):
                return owners
        return None

    def suggest_environment(self, env: str) -> str | None:
        names = list(self.environments or ())
        close = difflib.get_close_matches(env, names, n=1, cutoff=0.6)
        return close[0] if close else None


@cache
def policy_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((packaged_schema_dir() / POLICY_SCHEMA).read_bytes())
    return loaded


def load_policy(content: bytes, path: str = POLICY_FILE) -> tuple[Policy | None, list[Problem]]:
    """Parse and check a policy file; the Policy is None when it has any error."""
    try:
        data = load_yaml(content)
    except YamlError as exc:
        return None, [Problem(path, exc.line, exc.col, exc.field, exc.message)]

    def at(field_path: Sequence[str | int]) -> tuple[int, int]:
        return locate(content, field_path)

    if data is None:
        return None, [Problem(path, 1, 1, "", "the policy file is empty; see `afsreg init`")]
    problems = located_problems(policy_schema(), data, path, lambda p: at(p))
    if problems:
        return None, problems
    policy = _build(content, path, data)
    problems = _consistency(policy, data, path, at)
    return (None if problems else policy), problems


def _build(content: bytes, path: str, data: Mapping[str, Any]) -> Policy:
    environments = None
    if "environments" in data:
        environments = {
            name: tuple((spec or {}).get("requires", ()))
            for name, spec in data["environments"].items()
        }
    gates = []
    for index, raw in enumerate(data.get("gates") or []):
        regression = raw.get("no_regression") or {}
        gates.append(
            Gate(
                index=index,
                stage=raw["stage"],
                name=raw.get("name"),
                models=tuple(raw.get("models", ("*",))),
                metrics=tuple(
                    Threshold(metric, bounds.get("min"), bounds.get("max"))
                    for metric, bounds in (raw.get("metrics") or {}).items()
                ),
                no_regression=tuple(regression.get("metrics", ())),
                tolerance=float(regression.get("tolerance", 0.0)),
                lower_is_better=LOWER_IS_BETTER | frozenset(regression.get("lower_is_better", ())),
                required_fields=tuple(raw.get("required_fields", ())),
                no_open_review=bool(raw.get("no_open_review", False)),
                require_evaluation_dataset=bool(raw.get("require_evaluation_dataset", False)),
                require_code_pin=bool(raw.get("require_code_pin", False)),
                promoted_inputs=bool(raw.get("promoted_inputs", False)),
            )
        )
    owners = tuple((pattern, tuple(names)) for pattern, names in (data.get("owners") or {}).items())
    return Policy(
        content=content,
        environments=environments,
        gates=tuple(gates),
        owners=owners,
        policy_owners=tuple(data.get("policy_owners", ())),
        path=path,
    )


def _consistency(policy: Policy, data: Mapping[str, Any], path: str, at: Any) -> list[Problem]:
    """What the schema cannot say: names that must exist, an order without cycles."""
    problems: list[Problem] = []

    def problem(field_path: tuple[str | int, ...], message: str) -> None:
        line, col = at(field_path)
        problems.append(Problem(path, line, col, dotted(field_path), message))

    envs = policy.environments
    if envs is not None:
        for name, required in envs.items():
            for i, before in enumerate(required):
                if before not in envs:
                    problem(
                        ("environments", name, "requires", i),
                        f"{before!r} is not one of the environments ({', '.join(envs)})",
                    )
                elif before == name:
                    problem(
                        ("environments", name, "requires", i),
                        "an environment cannot require itself",
                    )
        cycle = _requires_cycle(envs)
        if cycle:
            problem(
                ("environments", cycle[0], "requires"),
                "the order has a cycle through " + ", ".join(cycle),
            )
    for gate in policy.gates:
        if gate.stage != PROMOTED and envs is not None and gate.stage not in envs:
            problem(
                ("gates", gate.index, "stage"),
                f"{gate.stage!r} is neither 'promoted' nor one of the environments "
                f"({', '.join(envs)})",
            )
    return problems


def _requires_cycle(envs: Mapping[str, Sequence[str]]) -> list[str]:
    """Environments caught in a cycle of ``requires`` (Kahn's algorithm: what never frees up)."""
    waiting = {
        name: {r for r in required if r in envs and r != name} for name, required in envs.items()
    }
    ready = [name for name, required in waiting.items() if not required]
    while ready:
        done = ready.pop()
        for name, required in waiting.items():
            if done in required:
                required.discard(done)
                if not required:
                    ready.append(name)
    return [name for name, required in waiting.items() if required]


EXAMPLE = """\
# afsreg.yaml: this registry's promotion policy, checked by `afsreg validate`
# (so by the pre-commit hook and CI) and by every afsreg command that writes.
# Every rule below is commented out, so a new registry behaves as one without
# a policy; uncomment what your team agrees on. Reference: docs/workflows.md.
policy_version: 1

# Where versions may be deployed. `afsreg deploy --env prodution` is refused
# ("did you mean production?"), and a version must have been deployed to
# every environment in `requires` before this one.
# environments:
#   staging: {}
#   production:
#     requires: [staging]

# Gates: what a version needs while it is promoted (stage: promoted) or
# deployed to an environment (stage: production). `models` takes names or
# glob patterns; default every model. `afsreg check-policy NAME@V` is a dry run.
# gates:
#   - stage: promoted
#     require_evaluation_dataset: true   # the metrics say what they were measured on
#     require_code_pin: true             # code.commit_sha
#     no_open_review: true               # every review flag closed first
#     required_fields: [training_data, training.completed_at]
#     promoted_inputs: true              # base models in the registry promoted first
#     no_regression:                     # against the version it replaces
#       metrics: [f1_score, accuracy]
#       tolerance: 0.01
#   - stage: production
#     models: [majora, "majora-*"]
#     metrics:
#       f1_score: {min: 0.80}
#       latency_ms: {max: 50}

# Who must review changes to a model's files (`afsreg codeowners` writes
# .github/CODEOWNERS from this). Default: each model's `owner`, as @owner.
# owners:
#   majora: ["@scawful"]
#   "bio-*": ["@my-org/biology"]
# policy_owners: ["@my-org/ml-leads"]   # who must approve changes to this file
"""
