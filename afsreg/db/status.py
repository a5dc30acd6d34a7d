"""``afsreg status``: does the database still project the files at REV?

Plans what a full sync would write (afsreg.db.apply.make_plan) without
writing or locking anything, and sorts it: rows **behind the files** (missing,
extra, different: the next sync writes them), rows **changed in the database**
since afsreg wrote them (the next sync stops on them), what the next sync would
**refuse**, and model_versions rows **written outside git** (not afsreg's; not
drift).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from afsreg.db import details
from afsreg.db.apply import Options, Plan, make_plan
from afsreg.db.connect import connect, resolve_url
from afsreg.db.desired import desired_full, registry_lookup
from afsreg.db.migrate import pending
from afsreg.db.ownership import read_owned
from afsreg.db.preflight import inspect
from afsreg.db.project import Row, differing_columns
from afsreg.db.sync_report import SyncReport
from afsreg.db.tables import Table, fetch, read_state, tables
from afsreg.format.fields import same
from afsreg.git.repo import open_repo, resolve_commit, resolve_root
from afsreg.registry import Registry


@dataclass
class StatusReport:
    database: str
    rev: str
    commit: str
    synced_commit: str | None
    pending_migrations: list[str] = field(default_factory=list)
    # Behind the files: what the next sync writes.
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    # Changed in the database since afsreg wrote it: the next sync stops on these.
    changed_in_database: list[str] = field(default_factory=list)
    # What the next sync would refuse (an id that is a host row of another type, ...).
    refused: list[str] = field(default_factory=list)
    # model_versions rows afsreg neither created nor adopted (a training pipeline's): not drift.
    outside: list[str] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(
            self.missing
            or self.extra
            or self.different
            or self.pending_migrations
            or self.changed_in_database
            or self.refused
        )

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
            "changed_in_database": self.changed_in_database,
            "refused": self.refused,
            "outside": self.outside,
        }

    def summary(self) -> str:
        synced = self.synced_commit[:12] if self.synced_commit else "never"
        head = (
            f"{self.database} against {self.rev} ({self.commit[:12]}); last synced commit: {synced}"
        )
        lines = [head]
        if not self.drift:
            lines.append("in sync: the database matches the files")
        if self.pending_migrations:
            lines.append(f"pending migrations: {', '.join(self.pending_migrations)}")
        for label, items in (
            ("missing", self.missing),
            ("extra", self.extra),
            ("different", self.different),
            ("changed in the database", self.changed_in_database),
            ("refused", self.refused),
            ("written outside git", self.outside),
        ):
            lines.extend(f"{label}: {item}" for item in items)
        behind = len(self.missing) + len(self.extra) + len(self.different)
        if behind:
            lines.append(
                f"behind the files: {len(self.missing)} missing, {len(self.extra)} extra, "
                f"{len(self.different)} different (run `afsreg sync`)"
            )
        if self.changed_in_database:
            lines.append(
                f"changed in the database: {len(self.changed_in_database)} row(s) afsreg wrote were "
                "changed since by another writer; sync will stop on them. Bring the values into the "
                "files with `afsreg adopt`, or overwrite them with `afsreg sync --overwrite-db-changes`"
            )
        if self.outside:
            lines.append(
                f"{len(self.outside)} model_versions row(s) were written outside git and are not "
                "afsreg's; sync leaves them alone (`afsreg adopt` writes version files for them)"
            )
        return "\n".join(lines)


def _label(table: str, key: Any) -> str:
    return f"{table} {key if isinstance(key, str) else ' '.join(map(str, key))}"


def _compare(
    table: Table, desired: dict[Any, Row], actual: dict[Any, Row], report: StatusReport
) -> None:
    def label(key: Any) -> str:
        return _label(table.name, key)

    for key in sorted(desired.keys() - actual.keys()):
        report.missing.append(label(key))
    for key in sorted(actual.keys() - desired.keys()):
        report.extra.append(label(key))
    for key in sorted(desired.keys() & actual.keys()):
        columns = differing_columns(desired[key], actual[key], table.columns)
        if columns:
            report.different.append(f"{label(key)}: {', '.join(columns)}")


def _plan_status(plan: Plan, report: StatusReport) -> None:
    """The rows the next sync would write, sorted into the report's lists."""
    removed = set(plan.removed)
    for table in ("artifacts", "model_versions"):
        key = "id" if table == "artifacts" else "artifact_id"
        report.missing += sorted(f"{table} {r[key]}" for r in plan.inserts[table])
        for ident, values in sorted(plan.updates[table]):
            if ident in removed:
                report.extra.append(f"{table} {ident}: adopted; its file is gone")
                continue
            row = plan.current[table].get(ident, {})
            columns = [c for c, v in values.items() if not same(v, row.get(c))]
            report.different.append(f"{table} {ident}: {', '.join(columns)}")
        report.extra += sorted(f"{table} {i}" for i in plan.deletes[table])
    report.changed_in_database += [c.describe() for c in plan.changes]
    report.refused += plan.problems


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
            if state is None:
                # Never synced: every row the files call for is missing (the
                # count says how much a first sync will write).
                for name, rows in (
                    ("artifacts", desired.artifacts),
                    ("model_versions", desired.model_versions),
                    (
                        "model_version_events",
                        {(e["commit_sha"], e["path"]) for e in desired.events},
                    ),
                ):
                    report.missing += [_label(name, key) for key in sorted(rows)]
            return report  # the tables are not all there yet: comparing them would be noise
        artifacts_t, versions_t, events_t = tables(db)
        versions = list(registry)
        plan = make_plan(
            db,
            (artifacts_t, versions_t),
            desired.artifacts,
            desired.model_versions,
            versions,
            None,
            SyncReport(db.url, report.rev, report.commit, "status", dry_run=True),  # counts only
            inspect(db),
            Options(),
        )
        _plan_status(plan, report)
        owned = {k[1] for k in read_owned(db) if k[0] == "model_versions"}
        report.outside = sorted(
            f"model_versions {r[0]}"
            for r in db.query(f"SELECT artifact_id FROM {versions_t.name}")
            if str(r[0]) not in owned and str(r[0]) not in desired.model_versions
        )
        events = {(e["commit_sha"], e["path"]): e for e in desired.events}
        _compare(events_t, events, fetch(db, events_t), report)
        wanted = details.desired_details(registry, list(registry), registry_lookup(registry), repo)
        for table in details.DETAIL_TABLES:
            _compare(table, wanted[table.name], fetch(db, table), report)
    return report
