"""Forward-only, numbered SQL migrations, one set per dialect.

Files are ``NNNN_<name>.sql`` under ``migrations/<dialect>/``. Each applied
migration is recorded in ``afsreg_schema_migrations`` with the sha256 of its
text (line endings normalised), so that:

- re-running applies nothing (a no-op);
- an applied migration whose file was edited since is refused;
- a database that records a migration this afsreg does not have (it was
  migrated by a newer afsreg) is refused before anything is changed.

Down-migrations are documented in each file's comments and never run.

The bookkeeping table carries afsreg's prefix so that it never collides with
a host database's own ``schema_migrations``. Databases migrated by an afsreg
that still used the unprefixed name are recognised (same columns, and the
versions and checksums it records are afsreg's) and their records moved over
in the first migrating transaction.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afsreg.db.connect import Database, DatabaseError, Dialect
from afsreg.errors import AfsregError
from afsreg.version import __version__

MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
TABLE = "afsreg_schema_migrations"
LEGACY_TABLE = "schema_migrations"  # the name before 0005; a host may have its own
TABLE_COLUMNS = ("version", "name", "checksum", "applied_at")


class MigrationError(AfsregError):
    """The migrations on disk and those recorded in the database disagree."""


@dataclass(frozen=True)
class Migration:
    version: str  # "0001"
    name: str  # "model_versions"
    sql: str
    checksum: str
    source: str  # where it was read from, for messages

    @property
    def label(self) -> str:
        return f"{self.version}_{self.name}"


def migrations_root() -> Any:
    """The migrations folder: packaged in the wheel, else the repository's registry/migrations.

    A package on disk is looked at directly: importlib.resources (~20 ms of
    imports) only for one that is not (a zip).
    """
    package = Path(__file__).resolve().parents[1]
    on_disk = package / "_data" / "migrations"
    if on_disk.is_dir():
        return on_disk
    repository = package.parent / "registry" / "migrations"
    if package.is_dir():
        return repository
    import importlib.resources

    packaged = importlib.resources.files("afsreg") / "_data" / "migrations"
    if packaged.is_dir():
        return packaged
    return repository


def checksum(sql: str) -> str:
    return hashlib.sha256(sql.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def load_migrations(dialect: Dialect, root: Any = None) -> list[Migration]:
    """The migrations for ``dialect`` in order; numbers must be unique.

    Numbers may leave gaps: work done in parallel reserves blocks of numbers
    (0005-0009 for one change, 0010- for another), and a block may not be used
    up. A gap is never filled later: a new migration takes a number above
    every existing one.
    """
    folder = (root if root is not None else migrations_root()) / dialect
    if not folder.is_dir():
        raise MigrationError(f"{folder}: migrations folder not found (broken installation?)")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = MIGRATION_RE.match(entry.name)
        if match is None:
            continue
        sql = entry.read_text(encoding="utf-8")
        found.append(
            Migration(match.group(1), match.group(2), sql, checksum(sql), f"{dialect}/{entry.name}")
        )
    found.sort(key=lambda m: m.version)
    for previous, migration in itertools.pairwise(found):
        if migration.version == previous.version:
            raise MigrationError(
                f"{migration.source}: two migrations are numbered {migration.version} "
                f"({previous.source}); each needs a number of its own"
            )
    return found


def _legacy_records(db: Database) -> dict[str, tuple[str, str]] | None:
    """What an unprefixed ``schema_migrations`` written by an older afsreg records; None when it is not afsreg's."""
    columns = db.table_columns(LEGACY_TABLE)
    if not columns or any(c not in columns for c in TABLE_COLUMNS):
        return None
    rows = db.query(f"SELECT version, name, checksum FROM {LEGACY_TABLE}")
    records = {str(v): (str(n), str(c)) for v, n, c in rows}
    first = load_migrations(db.dialect)[0]
    if records.get(first.version) != (first.name, first.checksum):
        return None  # a host's table of the same name: not afsreg's, left alone
    return records


def _ensure_table(db: Database) -> None:
    columns = db.table_columns(TABLE)
    if not columns:
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "version TEXT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
            "applied_at TEXT NOT NULL)"
        )
        if _legacy_records(db) is not None:
            db.execute(
                f"INSERT INTO {TABLE} (version, name, checksum, applied_at) "
                f"SELECT version, name, checksum, applied_at FROM {LEGACY_TABLE}"
            )
            db.execute(f"DROP TABLE {LEGACY_TABLE}")
        return
    missing = [c for c in TABLE_COLUMNS if c not in columns]
    if missing:
        raise MigrationError(
            f"{db.url}: table {TABLE} exists but is not afsreg's (no column {', '.join(missing)}); "
            f"afsreg needs its own {TABLE} table"
        )


def recorded(db: Database) -> dict[str, tuple[str, str]]:
    """version -> (name, checksum) of the migrations the database records; {} when none."""
    if not db.table_exists(TABLE):
        return _legacy_records(db) or {}
    columns = db.table_columns(TABLE)
    if any(c not in columns for c in TABLE_COLUMNS):
        _ensure_table(db)  # raises the clear error
    rows = db.query(f"SELECT version, name, checksum FROM {TABLE}")
    return {str(v): (str(n), str(c)) for v, n, c in rows}


def pending(db: Database, migrations: list[Migration] | None = None) -> list[Migration]:
    """The migrations still to apply; raises MigrationError when the database disagrees with the files."""
    migrations = migrations if migrations is not None else load_migrations(db.dialect)
    applied = recorded(db)
    known = {m.version: m for m in migrations}
    unknown = sorted(v for v in applied if v not in known)
    if unknown:
        names = ", ".join(f"{v}_{applied[v][0]}" for v in unknown)
        raise MigrationError(
            f"{db.url}: the database is at a newer schema than this afsreg {__version__} knows "
            f"(it records migration {names}); upgrade afsreg. Nothing was changed."
        )
    for version, (name, digest) in sorted(applied.items()):
        migration = known[version]
        if digest != migration.checksum:
            raise MigrationError(
                f"{db.url}: migration {version}_{name} was applied with checksum {digest[:12]}, "
                f"but {migration.source} now has {migration.checksum[:12]}: applied migrations must "
                "never be edited; add a new numbered migration instead. Nothing was changed."
            )
    return [m for m in migrations if m.version not in applied]


def apply_pending(db: Database, todo: list[Migration] | None = None) -> list[Migration]:
    """Apply what is pending, inside the caller's transaction. Returns what was applied.

    ``todo``: what ``pending`` answered earlier in this transaction (asked here when None).
    """
    if not db.in_transaction:
        raise DatabaseError(f"{db.url}: migrations must run inside a transaction")
    if todo is None:
        todo = pending(db)
    if not todo:
        return []
    _ensure_table(db)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for migration in todo:
        try:
            db.script(migration.sql)
        except DatabaseError as exc:
            raise MigrationError(f"migration {migration.source} failed: {exc}") from None
        db.execute(
            f"INSERT INTO {TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
            (migration.version, migration.name, migration.checksum, now),
        )
    return todo


def migrate(db: Database, *, dry_run: bool = False) -> list[Migration]:
    """Bring the database's schema up to date in one transaction (``afsreg migrate``)."""
    with db.transaction(rollback=dry_run):
        return apply_pending(db)
