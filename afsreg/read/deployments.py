"""Deployments: what is active where, and the whole history per environment.

The files say who deployed what where and when (``deployments`` records);
git says which commit recorded each deployment and each undeployment. Both
are pure functions over a Registry (and, for the commits, its repository).

    >>> from afsreg import Registry
    >>> from afsreg.read.deployments import active, history
    >>> active(Registry.open("."), "majora")
    [Deployment(model='majora', version='v2', env='production', ...)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pygit2

from afsreg.format.record import ModelVersion
from afsreg.git.history import FileChange, load_history
from afsreg.git.parsed import ParsedCache, parse
from afsreg.git.repo import git_dir, open_repo
from afsreg.registry import Registry


@dataclass
class Deployment:
    """One deployment record of one version, with the commits that recorded it."""

    model: str
    version: str
    artifact_id: str
    env: str
    deployed_at: str | None
    deployed_by: str | None
    undeployed_at: str | None = None
    undeployed_by: str | None = None
    reason: str | None = None
    path: str = ""
    deployed_commit: dict[str, Any] | None = None  # {commit, committed_at, author}
    undeployed_commit: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return not self.undeployed_at

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identifies the record across commits: (model, version, env, deployed_at)."""
        return self.model, self.version, self.env, str(self.deployed_at)

    def active_at(self, moment: str) -> bool:
        """Whether this deployment was active at ``moment`` (ISO 8601 UTC, Z): the SQL rule."""
        started = self.deployed_at is not None and _utc(self.deployed_at) <= moment
        return started and (self.undeployed_at is None or _utc(self.undeployed_at) > moment)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "ref": f"{self.model}@{self.version}",
            "artifact_id": self.artifact_id,
            "env": self.env,
            "active": self.active,
            "deployed_at": self.deployed_at,
            "deployed_by": self.deployed_by,
            "undeployed_at": self.undeployed_at,
            "undeployed_by": self.undeployed_by,
            "reason": self.reason,
            "path": self.path,
            "deployed_commit": self.deployed_commit,
            "undeployed_commit": self.undeployed_commit,
        }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else (None if value is None else str(value))


def _utc(value: str) -> str:
    """A timestamp in the one form that sorts as text: YYYY-MM-DDTHH:MM:SSZ."""
    from afsreg.git.asof import iso_utc, parse_when

    moment = parse_when(value)
    return iso_utc(moment) if moment is not None else value


def records(version: ModelVersion, listed: Any = ...) -> list[Deployment]:
    """The deployment records of one version, as the file writes them.

    ``listed`` is the file's ``deployments`` value when the caller has it
    already (from afsreg.git.projections), else it is read from the file.
    """
    found = []
    if listed is ...:
        listed = version.data.get("deployments")
    for record in listed if isinstance(listed, list) else []:
        if not isinstance(record, dict) or not isinstance(record.get("env"), str):
            continue
        found.append(
            Deployment(
                model=version.name,
                version=version.version,
                artifact_id=version.artifact_id,
                env=record["env"],
                deployed_at=_text(record.get("deployed_at")),
                deployed_by=_text(record.get("deployed_by")),
                undeployed_at=_text(record.get("undeployed_at")),
                undeployed_by=_text(record.get("undeployed_by")),
                reason=_text(record.get("reason")),
                path=version.path,
            )
        )
    return found


def _versions(registry: Registry, name: str | None) -> Iterable[ModelVersion]:
    if name is None:
        return registry
    return registry.require_model(name)


def history(
    registry: Registry, name: str | None = None, env: str | None = None
) -> list[Deployment]:
    """Every deployment record (of ``name``, in ``env``), oldest first.

    Ordered by (deployed_at, model, env, version); an active record comes
    after an ended one at the same time. Without ``name``, each model's
    records are read from the store by its folder's tree id (Registry.per_model),
    not from every version.
    """
    if name is None:
        computes = {RECORDS_KIND: lambda batch: _model_records(registry, batch)}
        found = [
            Deployment(**dict(zip(_FILE_FIELDS, row, strict=True)))
            for _, values in registry.per_model(computes)
            for row in values[RECORDS_KIND]
        ]
    else:
        versions = list(_versions(registry, name))
        listed = _deployments_of(registry, versions)
        found = [d for v in versions for d in records(v, listed.get(v.blob_id))]
    found = [d for d in found if env is None or d.env == env]
    found.sort(key=lambda d: (_utc(d.deployed_at or ""), d.model, d.env, d.active, d.version))
    return found


# The per-model value of every deployment record of a model's versions, in version order.
RECORDS_KIND = "deployments:model-records"
# The fields of a Deployment a file gives (the commits come from git, later).
_FILE_FIELDS = (
    "model",
    "version",
    "artifact_id",
    "env",
    "deployed_at",
    "deployed_by",
    "undeployed_at",
    "undeployed_by",
    "reason",
    "path",
)


def _model_records(
    registry: Registry, batch: Mapping[str, list[ModelVersion]]
) -> dict[str, list[list[Any]]]:
    """Each model's deployment records as rows of _FILE_FIELDS."""
    listed = _deployments_of(registry, [v for vs in batch.values() for v in vs], prune=False)
    return {
        name: [
            [getattr(d, f) for f in _FILE_FIELDS]
            for v in versions
            for d in records(v, listed.get(v.blob_id))
        ]
        for name, versions in batch.items()
    }


def _deployments_of(
    registry: Registry, versions: list[ModelVersion], *, prune: bool = True
) -> dict[str, Any]:
    """blob id -> the file's ``deployments`` value, one stored value per file (no file parsed)."""
    from afsreg.git.projections import project

    key = "deployments:records"
    compute = {key: lambda v: v.data.get("deployments")}
    return project(versions, compute, git_dir(registry.root), prune=prune)[key]


def active(registry: Registry, name: str | None = None, env: str | None = None) -> list[Deployment]:
    """The deployments active now (in the registry's tree), by model and environment."""
    found = [
        d
        for v in _versions(registry, name)
        if v.active_envs
        for d in records(v)
        if d.active and (env is None or d.env == env)
    ]
    found.sort(key=lambda d: (d.model, d.env))
    return found


def active_at(deployments: Iterable[Deployment], moment: str) -> list[Deployment]:
    """The records active at ``moment`` by their own timestamps (what SQL's WHERE answers)."""
    when = _utc(moment)
    return sorted((d for d in deployments if d.active_at(when)), key=lambda d: (d.model, d.env))


def _commit_info(commit: pygit2.Commit) -> dict[str, Any]:
    from afsreg.git.asof import commit_time, iso_utc

    return {
        "commit": str(commit.id),
        "committed_at": iso_utc(commit_time(commit)),
        "author": commit.author.name,
    }


def attach_commits(
    registry: Registry, deployments: list[Deployment], *, repo: pygit2.Repository | None = None
) -> list[Deployment]:
    """Fill in the commits that recorded each deployment and undeployment, from git.

    Each version file's history (through renames) is read oldest first; a
    record's deployment was recorded by the first commit whose file has it,
    its undeployment by the first commit whose file has its
    ``undeployed_at``. A change not yet committed (the working tree) keeps
    None. What a file's history says is fixed once its last change is
    committed, so the answer is kept in the parsed cache under that commit.
    """
    if not deployments:
        return deployments
    repo = repo or open_repo(registry.root)
    tip = registry.commit_id or ("HEAD" if not repo.head_is_unborn else None)
    if tip is None:
        return deployments
    index = load_history(repo, tip)
    paths = sorted({d.path for d in deployments})
    histories = {path: index.file_history(path) for path in paths}
    keys = {path: (h[0].commit, CACHE_PREFIX + path) for path, h in histories.items() if h}
    cache = ParsedCache(git_dir(registry.root))
    try:
        cached = cache.get_events(keys.values())
        recorded: dict[str, dict[str, Any]] = {}
        for path in paths:
            if path not in keys:
                continue
            found = cached.get(keys[path])
            if found is None:
                found = _recorded(repo, histories[path], cache)
                cache.put_event(*keys[path], found)
            recorded[path] = found
    finally:
        cache.close()
    for deployment in deployments:
        entry = recorded.get(deployment.path, {}).get(
            _record_key(deployment.env, deployment.deployed_at)
        )
        if entry:
            deployment.deployed_commit = entry.get("deployed")
            deployment.undeployed_commit = entry.get("undeployed")
    return deployments


CACHE_PREFIX = "deployments:"  # key space of these answers in the parsed cache's audit rows


def _record_key(env: Any, deployed_at: Any) -> str:
    return f"{env}\x1f{_text(deployed_at)}"


def _recorded(
    repo: pygit2.Repository, history: list[FileChange], cache: ParsedCache
) -> dict[str, Any]:
    """For each record (env, deployed_at) of one file's history: the commits that recorded it."""
    blobs: list[tuple[pygit2.Commit, str]] = []
    for change in reversed(history):
        if change.status == "D":
            continue
        commit = cast(pygit2.Commit, repo[change.commit])
        try:
            tree_entry = commit.tree[change.path]
        except KeyError:
            continue
        blobs.append((commit, str(tree_entry.id)))
    parsed = cache.get_many(b for _, b in blobs)
    found: dict[str, dict[str, Any]] = {}
    for commit, blob_id in blobs:
        data = parsed.get(blob_id, ...)
        if data is ...:
            data = parse(cast(pygit2.Blob, repo[blob_id]).data)
            cache.put(blob_id, data)
        if not isinstance(data, dict):
            continue
        for record in data.get("deployments") or []:
            if not isinstance(record, dict):
                continue
            seen = found.setdefault(_record_key(record.get("env"), record.get("deployed_at")), {})
            seen.setdefault("deployed", _commit_info(commit))
            if record.get("undeployed_at"):
                seen.setdefault("undeployed", _commit_info(commit))
    return found
