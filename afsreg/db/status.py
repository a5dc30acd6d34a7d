"""``afsreg status``: does the database still project the files at REV?

Computes what a full sync would write and compares it with what is there,
without writing or locking anything. Rows are reported as missing (in the
files, not in the database), extra (in the database, not in the files) or
different (same key, other values: not synced yet, or edited by hand).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from afsreg.db import details
from afsreg.db.connect import connect, resolve_url
from afsreg.db.desired import desired_full, registry_lookup
from afsreg.db.migrate import pending
from afsreg.db.project import (
    Row,
    differing_columns,
    external_row,
    is_owned_external,
    referenced_ids,
)
from afsreg.db.tables import Table, fetch, read_state, tables
from afsreg.git.repo import open_repo, resolve_commit, resolve_root
from afsreg.registry import Registry


@dataclass
class StatusReport:
    database: str
    rev: str
    commit: str
    synced_commit: str | None
    pending_migrations: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(self.missing or self.extra or self.different or self.pending_migrations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "rev": self.rev,
            "commit": self.commit,
            "synced_commit": self.synced_commit,
            "in_sync": not self.drift,
            "pending_migrations": self.pending_migrations,
            "missing": self.missing,
            "extra": self.extra,
            "different": self.different,
        }

    def summary(self) -> str:
        synced = self.synced_commit[:12] if self.synced_commit else "never"
        head = (
            f"{self.database} against {self.rev} ({self.commit[:12]}); last synced commit: {synced}"
        )
        if not self.drift:
            return head + "\nin sync: the database matches the files"
        lines = [head]
        if self.pending_migrations:
            lines.append(f"pending migrations: {', '.join(self.pending_migrations)}")
        for label, items in (
            ("missing", self.missing),
            ("extra", self.extra),
            ("different", self.different),
        ):
            lines.extend(f"{label}: {item}" for item in items)
        lines.append(
            f"drift: {len(self.missing)} missing, {len(self.extra)} extra, {len(self.different)} different "
            "(run `afsreg sync --full` to repair)"
        )
        return "\n".join(lines)


def _compare(
    table: Table, desired: dict[Any, Row], actual: dict[Any, Row], report: StatusReport
) -> None:
    def label(key: Any) -> str:
        return f"{table.name} {key if isinstance(key, str) else ' '.join(map(str, key))}"

    for key in sorted(desired.keys() - actual.keys()):
        report.missing.append(label(key))
    for key in sorted(actual.keys() - desired.keys()):
        report.extra.append(label(key))
    for key in sorted(desired.keys() & actual.keys()):
        columns = differing_columns(desired[key], actual[key], table.columns)
        if columns:
            report.different.append(f"{label(key)}: {', '.join(columns)}")


def status(
    root: str | os.PathLike[str] | None, database_url: str | None = None, rev: str = "HEAD"
) -> StatusReport:
    """Compare the database with the registry at ``rev``."""
    root_path = resolve_root(root)
    repo = open_repo(root_path)
    commit = resolve_commit(repo, rev)
    commit_id = str(commit.id)
    registry = Registry.at_commit(root_path, repo, commit, rev)
    registry.check()
    desired = desired_full(repo, registry, commit_id)
    with connect(resolve_url(database_url, root_path), create=False) as db:
        state = read_state(db)
        report = StatusReport(db.url, rev, commit_id, state.commit_sha if state else None)
        report.pending_migrations = [m.label for m in pending(db)]
        if report.pending_migrations:
            return report  # the tables are not all there yet: everything else is noise
        artifacts_t, versions_t, events_t = tables(db)
        actual_versions = fetch(db, versions_t)
        version_ids = set(desired.model_versions)
        externals = {
            i
            for row in desired.model_versions.values()
            for i in referenced_ids(row)
            if i not in version_ids
        }
        actual_artifacts = fetch(db, artifacts_t, version_ids | set(actual_versions) | externals)
        owned = {
            k: r
            for k, r in fetch(db, artifacts_t, where="origin_type = 'external'").items()
            if is_owned_external(r)
        }
        desired_artifacts = dict(desired.artifacts)
        for ident in externals:
            present = actual_artifacts.get(ident)
            if present is None or is_owned_external(present):
                desired_artifacts[ident] = external_row(ident)
            else:
                desired_artifacts[ident] = present  # a row of the host database: reused as it is
        actual_scope = {
            k: r
            for k, r in actual_artifacts.items()
            if k in desired_artifacts or k in actual_versions
        }
        actual_scope.update(owned)
        _compare(artifacts_t, desired_artifacts, actual_scope, report)
        _compare(versions_t, desired.model_versions, actual_versions, report)
        events = {(e["commit_sha"], e["path"]): e for e in desired.events}
        _compare(events_t, events, fetch(db, events_t), report)
        wanted = details.desired_details(registry, list(registry), registry_lookup(registry), repo)
        for table in details.DETAIL_TABLES:
            _compare(table, wanted[table.name], fetch(db, table), report)
    return report
