"""``resolve``: what a reference names, with everything a deploy script needs.

    >>> from afsreg import Registry
    >>> from afsreg.read.resolve import resolve
    >>> resolve(Registry.open("."), "majora@production").as_dict()["files"]
    [{'role': 'lora', 'path': '/models/majora-v2-lora', 'uri': None, ...}, ...]

A pure function over a Registry: the registry decides *when* (the working
tree, a commit, a branch, a time: ``Registry.open(root, at="2026-01-15T00:00Z")``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afsreg.errors import NotFoundError
from afsreg.format.record import ModelVersion
from afsreg.format.refs import Ref, VersionRef, parse_version_ref
from afsreg.git.asof import AsOf, read_at
from afsreg.registry import Registry

FILE_ROLES = ("lora", "gguf", "checkpoint", "config")


@dataclass
class Resolution:
    """A reference resolved in one registry."""

    ref: VersionRef
    version: ModelVersion
    rev: str | None
    commit: str | None
    as_of: AsOf | None = None

    @property
    def files(self) -> list[dict[str, Any]]:
        return version_files(self.version)

    def as_dict(self) -> dict[str, Any]:
        from afsreg.format.fields import metrics  # imports the YAML loader: only when asked

        v = self.version
        return {
            "ref": str(self.ref),
            "selector": {"kind": self.ref.kind, "value": self.ref.value},
            "name": v.name,
            "version": v.version,
            "artifact_id": v.artifact_id,
            "path": v.path,
            "blob": v.blob_id,
            "promotion_state": v.promotion_state,
            "status": v.status,
            "deployed": v.active_envs,
            "read_at": read_at(self.rev, self.commit, self.as_of),
            "metrics": metrics(v.data),
            "files": self.files,
        }

    def files_of(self, role: str) -> list[dict[str, Any]]:
        """The files of one role (lora, gguf, ...); NotFoundError when the version has none."""
        found = [f for f in self.files if f["role"] == role]
        if not found:
            raise NotFoundError(f"{self.version.ref} has no {role} file")
        return found


def version_files(version: ModelVersion) -> list[dict[str, Any]]:
    """Every file of a version (``files.*``): role, path, uri, location (uri else path), sha256, size."""
    found = version.data.get("files")
    rows = []
    if isinstance(found, dict):
        roles = [r for r in FILE_ROLES if r in found] + [r for r in found if r not in FILE_ROLES]
        for role in roles:
            entry = found[role]
            if not isinstance(entry, dict):
                continue
            path, uri = entry.get("path"), entry.get("uri")
            rows.append(
                {
                    "role": role,
                    "path": path,
                    "uri": uri,
                    "location": uri if uri is not None else path,
                    "sha256": entry.get("sha256"),
                    "size_bytes": entry.get("size_bytes"),
                }
            )
    return rows


def resolve(registry: Registry, ref: str | Ref | VersionRef) -> Resolution:
    """The version ``ref`` names in ``registry``; NotFoundError (a clear message) when none.

    When the registry was opened ``at`` a time or commit, the message says so:
    "nothing deployed there then" is a different answer from "now".
    """
    if isinstance(ref, Ref):
        ref = VersionRef(ref.name, "version", ref.version)
    parsed = parse_version_ref(ref) if isinstance(ref, str) else ref
    as_of = registry.as_of
    try:
        version = registry.get(parsed)
    except NotFoundError as exc:
        if as_of is None:
            raise
        raise NotFoundError(f"{exc} {as_of.describe()}") from None
    registry.prime([version])  # its data from the parsed cache by blob id, when it is there
    return Resolution(parsed, version, registry.rev, registry.commit_id, as_of)


def registry_for(
    ref: VersionRef, root: Path, rev: str | None = None, at: str | None = None
) -> Registry:
    """The registry that answers ``ref``: its model's folder alone, which is all resolving
    needs; the whole tree only when the model is not there, so the error can say "did you
    mean"."""
    registry = Registry.open_model(ref.name, root, rev=rev, at=at)
    if registry.versions(ref.name):
        return registry
    whole = Registry.open(root, rev=registry.commit_id or rev)
    whole.as_of = registry.as_of
    return whole
