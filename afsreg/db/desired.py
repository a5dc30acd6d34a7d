"""The desired state: what the tables should hold at one commit.

``desired_full`` is every row a full sync writes; ``afsreg sync`` applies it
(afsreg.db.sync) and ``afsreg status`` compares the database with it
(afsreg.db.status).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pygit2

from afsreg.db import events as events_mod
from afsreg.db.project import NO_HISTORY, History, Lookup, Row, histories, project_version
from afsreg.db.sync_report import Progress
from afsreg.format.record import ModelVersion
from afsreg.registry import Registry


def registry_lookup(registry: Registry) -> Lookup:
    """What projecting a version needs to know of the others (ids, latest versions)."""
    versions = list(registry)
    return Lookup(versions, latest_versions(versions))


def latest_versions(versions: Iterable[ModelVersion]) -> dict[str, str]:
    """Per model, the highest release (a pre-release only when there is no release); as Registry.latest."""
    latest: dict[str, str] = {}
    release_seen: set[str] = set()
    for version in versions:  # (name, numeric version) order
        is_release = "-" not in version.version
        if is_release or version.name not in release_seen:
            latest[version.name] = version.version
        if is_release:
            release_seen.add(version.name)
    return latest


def project_rows(
    versions: Iterable[ModelVersion],
    lookup: Lookup,
    history: Mapping[str, History],
    progress: Progress | None = None,
) -> tuple[dict[str, Row], dict[str, Row]]:
    """(artifacts rows, model_versions rows) by artifact id."""
    artifacts: dict[str, Row] = {}
    model_versions: dict[str, Row] = {}
    for count, version in enumerate(versions, start=1):
        artifact, model_version = project_version(
            version, lookup, history.get(version.artifact_id, NO_HISTORY)
        )
        artifacts[version.artifact_id] = artifact
        model_versions[version.artifact_id] = model_version
        if progress is not None and count % 250 == 0:
            progress.advance(250)
    return artifacts, model_versions


def _reuse_parsed(versions: Iterable[ModelVersion], blobs: events_mod.BlobCache) -> None:
    """Hand parsed contents (from the history walk or the parsed cache) to the versions.

    Parsing is the slow part of a sync; afsreg.git.parsed caches it by blob id.
    """
    versions = list(versions)
    blobs.prefetch(v.blob_id for v in versions)
    blobs.store.flush()
    for version in versions:
        parsed = blobs.parsed.get(version.blob_id)
        if parsed is not None and "data" not in version.__dict__:
            version.__dict__["data"] = parsed  # ModelVersion.data is a cached_property


@dataclass
class Desired:
    """What the tables should hold at one commit (all of it, or the part a sync touches)."""

    events: list[Row]
    artifacts: dict[str, Row]
    model_versions: dict[str, Row]


def desired_full(
    repo: pygit2.Repository, registry: Registry, commit_id: str, progress: Progress | None = None
) -> Desired:
    """Every row a full sync of ``registry`` at ``commit_id`` writes: history events and versions."""
    changes = events_mod.new_changes(repo, commit_id, None)
    if progress is not None:
        progress.start("reading history", len(changes))
    blobs = events_mod.BlobCache(repo)
    event_rows = events_mod.event_rows(repo, changes, progress.advance if progress else None, blobs)
    versions = list(registry)
    _reuse_parsed(versions, blobs)
    if progress is not None:
        progress.finish()
        progress.start("projecting versions", len(versions))
    artifacts, model_versions = project_rows(
        versions, registry_lookup(registry), histories(event_rows), progress
    )
    if progress is not None:
        progress.finish()
    return Desired(event_rows, artifacts, model_versions)
