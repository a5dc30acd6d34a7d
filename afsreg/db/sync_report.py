"""What a sync did (SyncReport), and where long runs report progress (Progress)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class Progress(Protocol):
    """Where long runs report progress (the CLI shows a bar on a terminal)."""

    def start(self, label: str, total: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...


@dataclass
class SyncReport:
    database: str  # password masked
    rev: str
    commit: str
    mode: str  # full | incremental | noop
    reason: str | None = None
    dry_run: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    events: int = 0
    externals_added: list[str] = field(default_factory=list)
    externals_removed: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: int = 0  # rows written to the detail tables (afsreg.db.details)
    # Shared-database bookkeeping (afsreg.db.ownership): "table id" labels.
    adopted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "rev": self.rev,
            "commit": self.commit,
            "mode": self.mode,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "events": self.events,
            "detail_rows": self.details,
            "externals_added": self.externals_added,
            "externals_removed": self.externals_removed,
            "migrations": self.migrations,
            "warnings": self.warnings,
            "adopted": self.adopted,
            "restored": self.restored,
            "kept": self.kept,
            "overwritten": self.overwritten,
        }

    def summary(self) -> str:
        verb = "would sync" if self.dry_run else "synced"
        head = f"{verb} {self.rev} ({self.commit[:12]}) into {self.database}: {self.mode}"
        if self.reason:
            head += f" ({self.reason})"
        lines = [head]
        if self.migrations:
            lines.append(f"  migrations applied: {', '.join(self.migrations)}")
        lines.append(
            f"  {len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged; {self.events} events written"
        )
        if self.externals_added or self.externals_removed:
            lines.append(
                f"  external references: {len(self.externals_added)} added, {len(self.externals_removed)} removed"
            )
        for label, ids in (
            ("added", self.added),
            ("updated", self.updated),
            ("removed", self.removed),
            ("adopted", self.adopted),
            ("restored to its state before adoption", self.restored),
            ("kept", self.kept),
            ("overwrote a change made in the database", self.overwritten),
        ):
            shown = ids[:20]
            for ident in shown:
                lines.append(f"  {label}: {ident}")
            if len(ids) > len(shown):
                lines.append(f"  ... and {len(ids) - len(shown)} more {label}")
        return "\n".join(lines)
