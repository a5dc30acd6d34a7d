"""Rules across files: what no single file can check on its own.

- artifact ids are unique, and so are versions once numerically equal (v1 and v1.0);
- model folder names do not collide when case is ignored (Majora beside majora);
- parent pointers name an existing version of the same model;
- in-registry base models (name@version) exist;
- parent and base-model pointers form no cycle;
- at most one version of a model is promoted;
- at most one version of a model is deployed in each environment;
- superseded_by names an existing version of the same model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from afsreg.format.loader import locate
from afsreg.format.record import ModelVersion, parse_instant
from afsreg.format.versions import is_valid_version, version_key
from afsreg.problems import Problem

FieldPath = tuple[str | int, ...]


class Facts(Protocol):
    """What the rules across models read of a version (ModelVersion has it all)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def ref_text(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def artifact_id(self) -> str: ...

    @property
    def parent(self) -> str | None: ...

    @property
    def base_refs(self) -> list[str]: ...

    @property
    def content(self) -> bytes: ...


def cross_file_problems(
    versions: Sequence[ModelVersion], case_paths: Sequence[str] = ()
) -> list[Problem]:
    """Every cross-file problem of a registry: ``model_problems`` of each model, and ``global_problems``."""
    return model_problems(versions) + global_problems(versions, case_paths)


def model_problems(versions: Sequence[ModelVersion]) -> list[Problem]:
    """The rules that look only inside one model (versions are grouped by name).

    Versions numbers, parent and superseded_by pointers, one promoted
    version, deployments: a change to one model cannot change these
    problems of another, so the registry keeps them per model folder.
    """
    by_ref = {v.ref_text: v for v in versions}
    problems: list[Problem] = []
    problems += _unique_version_numbers(versions)
    problems += _dangling_pointers(versions, by_ref)
    problems += _one_promoted(versions)
    problems += _one_deployed_per_env(versions)
    problems += _deployments_overlap_across_versions(versions)
    return problems


def global_problems(versions: Sequence[Facts], case_paths: Sequence[str] = ()) -> list[Problem]:
    """The rules across models: artifact ids, folder case, base models, lineage cycles.

    They read only name, version, path, artifact_id, parent and base_models
    of each version (and its bytes, to locate a problem), so they can run
    over a registry's compact facts.
    """
    by_ref = {v.ref_text: v for v in versions}
    problems: list[Problem] = []
    problems += _unique_artifact_ids(versions)
    problems += _case_collisions(case_paths)
    problems += _dangling_bases(versions, by_ref)
    problems += _cycles(versions, by_ref)
    return problems


def _problem(version: Facts, field_path: FieldPath, field: str, message: str) -> Problem:
    line, col = locate(version.content, field_path)
    return Problem(version.path, line, col, field, message)


def _unique_artifact_ids(versions: Sequence[Facts]) -> list[Problem]:
    owners: dict[str, list[Facts]] = defaultdict(list)
    for v in versions:
        owners[v.artifact_id].append(v)
    problems = []
    for artifact_id, holders in owners.items():
        if len(holders) > 1:
            for v in holders:
                others = ", ".join(o.path for o in holders if o is not v)
                problems.append(
                    _problem(
                        v,
                        ("artifact_id",),
                        "artifact_id",
                        f"{artifact_id!r} is also the artifact id of {others}",
                    )
                )
    return problems


def _unique_version_numbers(versions: Sequence[ModelVersion]) -> list[Problem]:
    seen: dict[tuple[str, object], ModelVersion] = {}
    problems = []
    for v in versions:
        if not is_valid_version(v.version):
            continue
        key = (v.name, version_key(v.version))
        if key in seen:
            problems.append(
                _problem(
                    v,
                    ("version",),
                    "version",
                    f"{v.version} is the same version number as {seen[key].path}",
                )
            )
        else:
            seen[key] = v
    return problems


def _case_collisions(paths: Sequence[str]) -> list[Problem]:
    folders: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        parts = path.split("/")
        if len(parts) >= 3:
            folders[parts[1].lower()].add(parts[1])
    problems = []
    for path in paths:
        parts = path.split("/")
        if len(parts) >= 3 and len(folders[parts[1].lower()]) > 1:
            others = sorted(folders[parts[1].lower()] - {parts[1]})
            problems.append(
                Problem(
                    path,
                    1,
                    1,
                    "name",
                    f"model folder {parts[1]!r} differs only in case from "
                    f"{', '.join(others)}; that breaks checkouts on case-insensitive file systems",
                )
            )
    return problems


def _dangling_pointers(
    versions: Sequence[ModelVersion], by_ref: dict[str, ModelVersion]
) -> list[Problem]:
    problems = []
    for v in versions:
        parent = v.parent
        if parent is not None and is_valid_version(parent):
            if parent == v.version:
                problems.append(
                    _problem(
                        v,
                        ("lineage", "parent"),
                        "lineage.parent",
                        "a version cannot be its own parent",
                    )
                )
            elif f"{v.name}@{parent}" not in by_ref:
                problems.append(
                    _problem(
                        v,
                        ("lineage", "parent"),
                        "lineage.parent",
                        f"{v.name}@{parent} does not exist in this registry",
                    )
                )
        superseded_by = v.summary.get("superseded_by")
        if superseded_by == v.version:
            problems.append(
                _problem(
                    v,
                    ("promotion", "superseded_by"),
                    "promotion.superseded_by",
                    "a version cannot be superseded by itself",
                )
            )
        elif isinstance(superseded_by, str) and f"{v.name}@{superseded_by}" not in by_ref:
            problems.append(
                _problem(
                    v,
                    ("promotion", "superseded_by"),
                    "promotion.superseded_by",
                    f"{v.name}@{superseded_by} does not exist in this registry",
                )
            )
    return problems


def _dangling_bases(versions: Sequence[Facts], by_ref: dict[str, Facts]) -> list[Problem]:
    problems = []
    for v in versions:
        for index, base in enumerate(v.base_refs):
            if base not in by_ref:
                problems.append(
                    _problem(
                        v,
                        ("lineage", "base_models", index, "model"),
                        f"lineage.base_models[{index}].model",
                        f"{base} does not exist in this registry",
                    )
                )
    return problems


def lineage_edges(v: Facts) -> list[str]:
    """Refs this version derives from: its parent and in-registry base models."""
    edges = [f"{v.name}@{v.parent}"] if v.parent else []
    edges += [b for b in v.base_refs if b not in edges]
    return edges


def _cycles(versions: Sequence[Facts], by_ref: dict[str, Facts]) -> list[Problem]:
    """Find cycles: Kahn's algorithm peels off every version that cannot be on
    one (cheap, no recursion), then an iterative depth-first search over what
    is left names each cycle. Chains can be thousands deep."""
    edges: dict[str, list[str]] = {}
    for ref, v in by_ref.items():
        # lineage_edges(v), inlined: this loop runs over every version of the registry.
        parent, bases = v.parent, v.base_refs
        found = [f"{v.name}@{parent}"] if parent else []
        for base in bases:
            if base not in found:
                found.append(base)
        edges[ref] = [e for e in found if e in by_ref] if found else found
    indegree = dict.fromkeys(edges, 0)
    for targets in edges.values():
        for target in targets:
            indegree[target] += 1
    queue = [ref for ref, degree in indegree.items() if degree == 0]
    while queue:
        ref = queue.pop()
        for target in edges[ref]:
            indegree[target] -= 1
            if indegree[target] == 0:
                queue.append(target)
    suspects = sorted(ref for ref, degree in indegree.items() if degree > 0)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    problems = []
    for start in suspects:
        if start in state:
            continue
        stack: list[tuple[str, list[str]]] = [(start, lineage_edges(by_ref[start]))]
        path = [start]
        state[start] = 1
        while stack:
            ref, pending = stack[-1]
            if not pending:
                state[ref] = 2
                stack.pop()
                path.pop()
                continue
            nxt = pending.pop()
            if nxt not in by_ref or state.get(nxt) == 2:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                v = by_ref[ref]
                field_path: FieldPath = (
                    ("lineage", "parent")
                    if nxt == f"{v.name}@{v.parent}"
                    else ("lineage", "base_models")
                )
                problems.append(
                    _problem(
                        v,
                        field_path,
                        ".".join(str(p) for p in field_path),
                        "lineage cycle: " + " -> ".join(reversed(cycle)),
                    )
                )
                continue
            state[nxt] = 1
            path.append(nxt)
            stack.append((nxt, lineage_edges(by_ref[nxt])))
    return problems


def _group(
    versions: Sequence[ModelVersion], keep: Callable[[ModelVersion], bool]
) -> dict[str, list[ModelVersion]]:
    groups: dict[str, list[ModelVersion]] = defaultdict(list)
    for v in versions:
        if keep(v):
            groups[v.name].append(v)
    return groups


def _one_promoted(versions: Sequence[ModelVersion]) -> list[Problem]:
    problems = []
    for name, promoted in _group(versions, lambda v: v.promotion_state == "promoted").items():
        if len(promoted) > 1:
            listed = ", ".join(v.version for v in sorted(promoted, key=lambda v: v.key))
            for v in promoted:
                problems.append(
                    _problem(
                        v,
                        ("promotion", "state"),
                        "promotion.state",
                        f"{len(promoted)} versions of {name} are promoted ({listed}); "
                        "at most one may be: mark the older one superseded",
                    )
                )
    return problems


def _one_deployed_per_env(versions: Sequence[ModelVersion]) -> list[Problem]:
    problems = []
    by_env: dict[tuple[str, str], list[ModelVersion]] = defaultdict(list)
    for v in versions:
        for env in set(v.summary.get("active_envs") or []):
            by_env[(v.name, env)].append(v)
    for (name, env), holders in by_env.items():
        if len(holders) > 1:
            listed = ", ".join(v.version for v in sorted(holders, key=lambda v: v.key))
            for v in holders:
                problems.append(
                    _problem(
                        v,
                        ("deployments",),
                        "deployments",
                        f"{len(holders)} versions of {name} are deployed in {env} ({listed}); "
                        "set undeployed_at on the one that was replaced",
                    )
                )
    return problems


def _deployments_overlap_across_versions(versions: Sequence[ModelVersion]) -> list[Problem]:
    """Two versions of one model deployed in one environment over overlapping times.

    Both still active is the rule above; this catches a closed record that
    overlaps another version's (v1 undeployed on the 5th, v2 deployed on the 3rd).
    """
    problems = []
    by_env: dict[tuple[str, str], list[tuple[datetime, datetime | None, ModelVersion]]] = (
        defaultdict(list)
    )
    for v in versions:
        for env, deployed_at, undeployed_at in v.summary.get("deployed_spans") or []:
            start, end = parse_instant(deployed_at), parse_instant(undeployed_at)
            # An empty span (replaced within the same second) overlaps nothing.
            if start is not None and (end is None or end > start):
                by_env[(v.name, env)].append((start, end, v))
    for (name, env), spans in by_env.items():
        spans.sort(key=lambda span: span[0])
        reported: set[str] = set()
        latest: tuple[datetime, datetime | None, ModelVersion] | None = None
        for span in spans:
            if latest is not None and latest[2] is not span[2]:
                end = latest[1]
                both_open = end is None and span[1] is None
                if (
                    (end is None or span[0] < end)
                    and not both_open
                    and span[2].ref_text not in reported
                ):
                    reported.add(span[2].ref_text)
                    problems.append(
                        _problem(
                            span[2],
                            ("deployments",),
                            "deployments",
                            f"deployed in {env} at {span[0].isoformat()} while "
                            f"{name}@{latest[2].version} was still deployed there; "
                            "deployment records of one environment must not overlap",
                        )
                    )
            if latest is None or (
                latest[1] is not None and (span[1] is None or span[1] > latest[1])
            ):
                latest = span
    return problems
