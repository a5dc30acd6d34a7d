"""A version's life after registration: promote, reject, deploy, roll back, retire.

    >>> from afsreg import Registry, deploy, promote
    >>> change = promote(Registry.open(), "majora@v3", notes="beats v2 on accuracy", commit=True)
    >>> deploy(change.registry, "majora@v3", env="production", commit=True)

The rules the functions follow:

- ``promote``: the version becomes promoted; the version promoted before
  becomes superseded (``superseded_by`` names the new one).
- ``deploy``: only a promoted version; appends a deployment (env, when, who)
  and sets status deployed. The version deployed before in that environment
  gets ``undeployed_at``/``undeployed_by`` and goes back to completed (unless
  it is still deployed elsewhere).
- ``rollback``: redeploys the version deployed before in that environment
  (from the deployment history), or the version given; the promotion states
  are left as they are (rolling back is operations, not a verdict).
- ``deprecate`` / ``archive``: only versions not deployed anywhere.
- A change may not add a validation error anywhere in the registry, and the
  files it writes must have no error at all (afsreg.write.change).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from afsreg.errors import AfsregError, NotFoundError
from afsreg.format.document import (
    DEFAULT_PROMOTION_STATE,
    RETIRED_STATUSES,
    active_envs,
    is_active,
    promotion_state,
)
from afsreg.format.refs import Ref, is_reserved_env, parse_name_or_ref
from afsreg.write.change import Change, actor_and_time, apply_change, edited, version_to_edit

if TYPE_CHECKING:
    from afsreg.format.record import ModelVersion
    from afsreg.registry import Registry

DEFAULT_ENV = "production"


# -- promotion ----------------------------------------------------------------


def promote(
    registry: Registry,
    ref: str | Ref,
    *,
    notes: str | None = None,
    by: str | None = None,
    at: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Promote a version; the version promoted before becomes superseded by it."""
    version = version_to_edit(registry, ref)
    if version.promotion_state == "promoted":
        raise AfsregError(f"{version.ref} is already promoted")
    if version.status in RETIRED_STATUSES:
        raise AfsregError(
            f"{version.ref} is {version.status}; a retired version cannot be promoted"
        )
    by, at = actor_and_time(registry, by, at)
    files: dict[str, bytes | None] = {}
    details = []
    data = copy.deepcopy(version.data)
    before = promotion_state(data) or DEFAULT_PROMOTION_STATE
    promotion = data.setdefault("promotion", {})
    promotion.pop("superseded_by", None)
    promotion.update({"state": "promoted", "decided_by": by, "decided_at": at})
    if notes is not None:
        promotion["notes"] = notes
    files[version.path] = edited(version, data)
    details.append(f"{version.ref}: promotion {before} -> promoted")
    for other in registry.versions(version.name):
        if other.ref == version.ref or other.promotion_state != "promoted":
            continue
        other_data = copy.deepcopy(other.data)
        other_data["promotion"]["state"] = "superseded"
        other_data["promotion"]["superseded_by"] = version.version
        files[other.path] = edited(other, other_data)
        details.append(f"{other.ref}: promotion promoted -> superseded (by {version.version})")
    change = Change("promote", str(version.ref), files, f"afsreg: promote {version.ref}", details)
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


def reject(
    registry: Registry,
    ref: str | Ref,
    *,
    notes: str,
    by: str | None = None,
    at: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Reject a version (with a reason in ``notes``); it can no longer be deployed."""
    version = version_to_edit(registry, ref)
    if not notes or not notes.strip():
        raise AfsregError("a rejection needs notes saying why")
    if version.promotion_state == "rejected":
        raise AfsregError(f"{version.ref} is already rejected")
    envs = set(active_envs(version.data))
    if envs:
        raise AfsregError(
            f"{version.ref} is deployed in {', '.join(sorted(envs))}; roll it back or deploy "
            "another version first"
        )
    data = copy.deepcopy(version.data)
    before = promotion_state(data) or DEFAULT_PROMOTION_STATE
    promotion = data.setdefault("promotion", {})
    promotion.pop("superseded_by", None)
    by, at = actor_and_time(registry, by, at)
    promotion.update({"state": "rejected", "notes": notes, "decided_by": by, "decided_at": at})
    change = Change(
        "reject",
        str(version.ref),
        {version.path: edited(version, data)},
        f"afsreg: reject {version.ref}",
        [f"{version.ref}: promotion {before} -> rejected"],
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


# -- deployment ---------------------------------------------------------------


def deployed_in(registry: Registry, name: str, env: str) -> ModelVersion | None:
    """The version of ``name`` actively deployed in ``env``, if any."""
    for version in registry.versions(name):
        if env in version.active_envs:
            return version
    return None


def _undeploy(data: dict[str, Any], env: str, by: str, at: str) -> None:
    for deployment in data.get("deployments") or []:
        if is_active(deployment) and deployment.get("env") == env:
            deployment["undeployed_at"] = at
            deployment["undeployed_by"] = by
    if data.get("status") == "deployed" and not active_envs(data):
        data["status"] = "completed"


def _deploy_files(
    registry: Registry,
    version: ModelVersion,
    env: str,
    by: str,
    at: str,
    reason: str | None,
) -> tuple[dict[str, bytes | None], list[str]]:
    files: dict[str, bytes | None] = {}
    details = []
    current = deployed_in(registry, version.name, env)
    if current is not None and current.ref != version.ref:
        current_data = copy.deepcopy(current.data)
        _undeploy(current_data, env, by, at)
        files[current.path] = edited(current, current_data)
        details.append(f"{current.ref}: undeployed from {env}")
    data = copy.deepcopy(version.data)
    record: dict[str, Any] = {"env": env, "deployed_at": at, "deployed_by": by}
    if reason:
        record["reason"] = reason
    deployments = data.get("deployments")
    data["deployments"] = [*(deployments if isinstance(deployments, list) else []), record]
    data["status"] = "deployed"
    files[version.path] = edited(version, data)
    details.append(f"{version.ref}: deployed to {env} at {at} by {by}")
    return files, details


def _check_env(env: str) -> str:
    if not re.match(r"^[a-z0-9][a-z0-9._-]*$", env):
        raise AfsregError(f"{env!r}: an environment name is a lowercase slug, e.g. production")
    if is_reserved_env(env):
        raise AfsregError(
            f"{env!r}: not an environment name: NAME@{env} would mean a version or a keyword "
            "(latest, promoted), not an environment (see docs/format.md, References)"
        )
    return env


def deploy(
    registry: Registry,
    ref: str | Ref,
    *,
    env: str = DEFAULT_ENV,
    by: str | None = None,
    at: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Deploy a promoted version to ``env``; the version deployed there before is undeployed."""
    version = version_to_edit(registry, ref)
    env = _check_env(env)
    if version.promotion_state != "promoted":
        raise AfsregError(
            f"{version.ref} is {version.promotion_state}; only the promoted version can be deployed "
            f"(afsreg promote {version.ref})"
        )
    if version.status in RETIRED_STATUSES:
        raise AfsregError(
            f"{version.ref} is {version.status}; a retired version cannot be deployed"
        )
    if env in active_envs(version.data):
        raise AfsregError(f"{version.ref} is already deployed in {env}")
    by, at = actor_and_time(registry, by, at)
    files, details = _deploy_files(registry, version, env, by, at, reason)
    suffix = "" if env == DEFAULT_ENV else f" to {env}"
    change = Change(
        "deploy", str(version.ref), files, f"afsreg: deploy {version.ref}{suffix}", details
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


def deployment_history(registry: Registry, name: str, env: str) -> list[tuple[str, dict[str, Any]]]:
    """Every deployment of ``name`` in ``env`` as (version, record), oldest first."""
    history = []
    for version in registry.versions(name):
        for record in version.data.get("deployments") or []:
            if isinstance(record, dict) and record.get("env") == env:
                history.append((version.version, record))
    # Timestamps are UTC ISO 8601 strings of one format, so they sort as text;
    # at equal times an active record comes last.
    history.sort(key=lambda item: (str(item[1].get("deployed_at")), is_active(item[1])))
    return history


def previous_deployment(registry: Registry, name: str, env: str) -> str | None:
    """The version that was deployed in ``env`` before the current one."""
    current = deployed_in(registry, name, env)
    history = deployment_history(registry, name, env)
    current_version = current.version if current is not None else None
    # The record that the current deployment replaced was undeployed when
    # the current one was deployed; prefer it, then the latest other record.
    candidates = [(v, r) for v, r in history if v != current_version and not is_active(r)]
    if not candidates:
        return None
    if current is not None:
        started = [
            str(r.get("deployed_at")) for r in current.data.get("deployments") or [] if is_active(r)
        ]
        replaced = [
            (v, r) for v, r in candidates if started and r.get("undeployed_at") == started[-1]
        ]
        if replaced:
            return replaced[-1][0]
    return candidates[-1][0]


def rollback(
    registry: Registry,
    name: str,
    *,
    env: str = DEFAULT_ENV,
    to: str | None = None,
    by: str | None = None,
    at: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Redeploy the version deployed before in ``env`` (or version ``to``).

    The version deployed now is undeployed. Promotion states stay as they
    are: rolling back is an operational step, not a verdict on a version.
    """
    model, version_in_name = parse_name_or_ref(name)
    env = _check_env(env)
    if version_in_name is not None and to is not None and version_in_name != to:
        raise AfsregError(f"rollback {name} --to {to}: name two different target versions")
    to = to or version_in_name
    if not registry.versions(model):
        raise NotFoundError(f"no model named {model!r} in the registry")
    current = deployed_in(registry, model, env)
    if to is None:
        if current is None:
            raise AfsregError(f"no version of {model} is deployed in {env}; nothing to roll back")
        to = previous_deployment(registry, model, env)
        if to is None:
            raise AfsregError(
                f"{current.ref} is the only version of {model} ever deployed in {env}; "
                "there is nothing to roll back to (name one with --to)"
            )
    target = version_to_edit(registry, Ref(model, to))
    if current is not None and current.ref == target.ref:
        raise AfsregError(f"{target.ref} is already the version deployed in {env}")
    if target.promotion_state == "rejected":
        raise AfsregError(f"{target.ref} was rejected; it cannot be deployed again")
    if target.status in RETIRED_STATUSES:
        raise AfsregError(f"{target.ref} is {target.status}; a retired version cannot be deployed")
    by, at = actor_and_time(registry, by, at)
    why = reason or (f"rollback from {current.version}" if current is not None else "rollback")
    files, details = _deploy_files(registry, target, env, by, at, why)
    suffix = "" if env == DEFAULT_ENV else f" in {env}"
    change = Change(
        "rollback",
        str(target.ref),
        files,
        f"afsreg: rollback {model} to {target.version}{suffix}",
        details,
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


# -- lifecycle ----------------------------------------------------------------


def _set_status(
    registry: Registry,
    ref: str | Ref,
    verb: str,
    status: str,
    dry_run: bool,
    commit: bool,
    message: str | None,
) -> Change:
    version = version_to_edit(registry, ref)
    if version.status == status:
        raise AfsregError(f"{version.ref} is already {status}")
    envs = set(active_envs(version.data))
    if envs:
        raise AfsregError(
            f"{version.ref} is deployed in {', '.join(sorted(envs))}; deploy another version "
            f"or roll back first, then {verb} it"
        )
    if status == "deprecated" and version.status == "archived":
        raise AfsregError(f"{version.ref} is archived already (past deprecated)")
    data = copy.deepcopy(version.data)
    before = data.get("status")
    data["status"] = status
    change = Change(
        verb,
        str(version.ref),
        {version.path: edited(version, data)},
        f"afsreg: {verb} {version.ref}",
        [f"{version.ref}: status {before} -> {status}"],
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


def deprecate(
    registry: Registry,
    ref: str | Ref,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Mark a version deprecated: kept, but not to be used for anything new."""
    return _set_status(registry, ref, "deprecate", "deprecated", dry_run, commit, message)


def archive(
    registry: Registry,
    ref: str | Ref,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Mark a version archived: kept for the record only."""
    return _set_status(registry, ref, "archive", "archived", dry_run, commit, message)
