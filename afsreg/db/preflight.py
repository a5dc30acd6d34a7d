"""Preflight: read the host database's schema before the first write, then adapt to it or refuse.

afsreg projects into tables that may be a host's own (seed 000: ``artifacts``
already exists, other tables point at it, and ``model_versions`` may have been
created by another migration runner). Before anything is written, sync reads
the catalogue:

- column types, NOT NULL and defaults of ``artifacts`` and ``model_versions``;
- CHECK constraints that restrict a column afsreg writes to a list of values;
- foreign keys that point at either table (self-references included);
- tables afsreg's pending migrations would create that already exist.

It adapts where the meaning is the same (BOOLEAN ``is_latest``, TEXT or jsonb
metadata, TEXT or timestamp times, omitting a NULL so a NOT NULL column's
default applies, inserting a self-referencing row's pointers after every row
exists) and refuses, listing every incompatibility at once, where it is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from afsreg.db.connect import Database, quote_ident
from afsreg.db.project import ARTIFACT_COLUMNS, MODEL_VERSION_COLUMNS, Kind
from afsreg.errors import AfsregError

# A table a migration creates without IF NOT EXISTS is afsreg's own: a host table of that name collides.
OWN_TABLE_RE = re.compile(r"CREATE\s+TABLE\s+(?!IF\s+NOT\s+EXISTS)([A-Za-z_][A-Za-z0-9_]*)", re.I)
# Columns afsreg always gives a value on insert; any other may be NULL.
ALWAYS_SET = {
    "artifacts": {"id", "artifact_type", "name", "is_latest"},
    "model_versions": {"artifact_id", "is_external", "promotion_state"},
}
TYPE_FAMILIES: dict[Kind, tuple[str, ...]] = {
    "text": ("text", "char", "clob", "string", ""),
    "int": ("int", "numeric", "decimal", "number", ""),
    "bool": ("bool",),
    "json": ("json", "text", "char", "clob", ""),
    "ts": ("timestamp", "datetime", "text", "char", ""),
}


class PreflightError(AfsregError):
    """The host schema cannot take afsreg's rows; the message lists every reason."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # lower case, as the catalogue spells it ('' for an untyped SQLite column)
    not_null: bool
    has_default: bool


@dataclass(frozen=True)
class ForeignKey:
    table: str  # the referencing table
    column: str
    target: str  # the referenced table
    on_delete: str  # 'cascade', 'no action', ...


@dataclass
class HostSchema:
    """What sync needs to know of the tables it writes into."""

    columns: dict[str, dict[str, Column]] = field(default_factory=dict)  # table -> column -> info
    allowed: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # CHECK ... IN lists
    foreign_keys: list[ForeignKey] = field(default_factory=list)  # pointing at afsreg's tables

    def kind(self, table: str, column: str, kind: Kind) -> Kind:
        """The value kind to use for ``column``: a BOOLEAN host column gets True/False."""
        info = self.columns.get(table, {}).get(column)
        if kind == "int" and info is not None and info.type.startswith("bool"):
            return "bool"
        return kind

    def defaulted(self, table: str) -> set[str]:
        """NOT NULL columns with a default: a NULL afsreg would write is left out so the default applies."""
        return {
            c.name for c in self.columns.get(table, {}).values() if c.not_null and c.has_default
        }

    def self_references(self) -> set[str]:
        """artifacts columns with a foreign key to artifacts itself (parent_version_id, superseded_by)."""
        return {
            fk.column
            for fk in self.foreign_keys
            if fk.table == "artifacts" and fk.target == "artifacts"
        }

    def references_to(self, target: str) -> list[ForeignKey]:
        return [fk for fk in self.foreign_keys if fk.target == target]


# -- catalogue ---------------------------------------------------------------------


def read_columns(db: Database, table: str) -> dict[str, Column]:
    if db.dialect == "sqlite":
        rows = db.query(f"PRAGMA table_info({quote_ident(table)})")
        return {
            str(r[1]): Column(str(r[1]), str(r[2] or "").lower(), bool(r[3]), r[4] is not None)
            for r in rows
        }
    rows = db.query(
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    return {
        str(r[0]): Column(str(r[0]), str(r[1]).lower(), r[2] == "NO", r[3] is not None)
        for r in rows
    }


def _checks(db: Database, table: str) -> list[str]:
    """The text of every CHECK constraint of ``table``."""
    if db.dialect == "postgresql":
        rows = db.query(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE c.contype = 'c' AND t.relname = ? AND n.nspname = current_schema()",
            (table,),
        )
        return [str(r[0]) for r in rows]
    rows = db.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    sql = str(rows[0][0]) if rows and rows[0][0] else ""
    found = []
    for match in re.finditer(r"\bCHECK\s*\(", sql, flags=re.I):
        depth, start = 0, match.end() - 1
        for end in range(start, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                found.append(sql[start : end + 1])
                break
    return found


# A column's allowed values in a CHECK: ``col IN ('a', 'b')`` (SQLite) or
# ``(col)::text = ANY ((ARRAY['a'::text, ...]))`` (PostgreSQL). Compiled once for
# every column: a pattern per column cost ~30 ms of compiling per sync.
_IN_LIST = re.compile(r"\(?\b(\w+)\b\)?(?:::text)?\s+IN\s*\(([^)]*)\)", re.I)
_ANY_ARRAY = re.compile(r"\(?\b(\w+)\b\)?(?:::text)?\s*=\s*ANY\s*\(\s*\(?ARRAY\[([^\]]*)\]", re.I)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def _allowed_lists(check: str) -> dict[str, set[str]]:
    """The values ``check`` allows each column it lists: the IN list first, else the = ANY array."""
    found: dict[str, set[str]] = {}
    for pattern in (_IN_LIST, _ANY_ARRAY):  # a column's first match of the first pattern
        for match in pattern.finditer(check):
            if match.group(1).lower() not in found:
                found[match.group(1).lower()] = set(_QUOTED.findall(match.group(2)))
    return found


def _foreign_keys(db: Database, targets: Iterable[str]) -> list[ForeignKey]:
    wanted = set(targets)
    if db.dialect == "postgresql":
        rows = db.query(
            "SELECT t.relname, a.attname, r.relname, c.confdeltype FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND n.nspname = current_schema()"
        )
        actions = {
            "a": "no action",
            "r": "restrict",
            "c": "cascade",
            "n": "set null",
            "d": "set default",
        }
        return [
            ForeignKey(str(t), str(col), str(r), actions.get(str(d), str(d)))
            for t, col, r, d in rows
            if str(r) in wanted
        ]
    found = []
    for (table,) in db.query("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in db.query(f"PRAGMA foreign_key_list({quote_ident(str(table))})"):
            if str(row[2]) in wanted:
                found.append(ForeignKey(str(table), str(row[3]), str(row[2]), str(row[6]).lower()))
    return found


def inspect(db: Database) -> HostSchema:
    """Read what sync needs of the host schema (no writes)."""
    schema = HostSchema()
    for table, afsreg_columns in (
        ("artifacts", ARTIFACT_COLUMNS),
        ("model_versions", MODEL_VERSION_COLUMNS),
    ):
        schema.columns[table] = read_columns(db, table)
        if not schema.columns[table]:
            continue
        lists = [_allowed_lists(check) for check in _checks(db, table)]
        for column in afsreg_columns:
            for allowed in lists:
                values = allowed.get(column.lower())
                if values is not None:
                    schema.allowed.setdefault((table, column), set()).update(values)
    schema.foreign_keys = _foreign_keys(db, ("artifacts", "model_versions"))
    return schema


# -- checks ------------------------------------------------------------------------


def incompatibilities(db: Database, schema: HostSchema, pending_sql: Iterable[str]) -> list[str]:
    """Everything about the host schema afsreg cannot adapt to, each with what to change.

    ``pending_sql`` is the text of the migrations still to apply.
    """
    problems: list[str] = []
    for own in (t for sql in pending_sql for t in OWN_TABLE_RE.findall(sql)):
        if db.table_columns(own):
            problems.append(
                f"table {own} already exists and is not afsreg's: rename it, or give afsreg a "
                "database (or PostgreSQL schema) of its own for its bookkeeping"
            )
    for table, afsreg_columns in (
        ("artifacts", ARTIFACT_COLUMNS),
        ("model_versions", MODEL_VERSION_COLUMNS),
    ):
        present = schema.columns.get(table) or {}
        if not present:
            continue  # afsreg's migration creates it
        if table == "model_versions":
            missing = [c for c in afsreg_columns if c not in present]
        else:
            missing = [c for c in ("id", "artifact_type", "metadata") if c not in present]
        if missing:
            problems.append(
                f"table {table} has no column {', '.join(missing)}: add it (afsreg needs it to project "
                "model versions)"
            )
        for name, column in present.items():
            kind = afsreg_columns.get(name)
            if kind is None:
                if column.not_null and not column.has_default:
                    problems.append(
                        f"{table}.{name} is NOT NULL without a default and afsreg does not write it: "
                        "give it a default or allow NULL"
                    )
                continue
            kind = schema.kind(table, name, kind)
            families = TYPE_FAMILIES[kind]
            if db.dialect == "postgresql" and not any(
                column.type.startswith(f) or f in column.type for f in families if f
            ):
                problems.append(
                    f"{table}.{name} is {column.type}; afsreg writes {kind} values there: change its "
                    f"type to one of {', '.join(f for f in families if f)}"
                )
            if column.not_null and not column.has_default and name not in ALWAYS_SET[table]:
                problems.append(
                    f"{table}.{name} is NOT NULL without a default, and afsreg has no value for it in "
                    "some rows (an unknown value is NULL): allow NULL or give it a default"
                )
    return problems


def check_values(
    schema: HostSchema,
    table: str,
    rows: Iterable[tuple[str, Mapping[str, object]]],
    where: Mapping[str, str],
) -> list[str]:
    """Values afsreg would write (row id, values) that a host CHECK constraint does not allow."""
    problems = []
    for ident, row in rows:
        for (check_table, column), allowed in sorted(schema.allowed.items()):
            if check_table != table or column not in row:
                continue
            value = row[column]
            value = getattr(value, "value", value)  # a Verbatim restore is checked as what it is
            if value is not None and str(value) not in allowed:
                problems.append(
                    f"{where.get(ident, ident)}: {table}.{column} = {value!r} is not allowed by the "
                    f"host's CHECK constraint (allowed: {', '.join(sorted(allowed))}); change the file's "
                    "value or the constraint"
                )
    return problems


def refuse(db: Database, problems: list[str]) -> None:
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise PreflightError(
            f"{db.url}: the host schema is not compatible with afsreg ({len(problems)} "
            f"problem{'s' if len(problems) != 1 else ''}); nothing was written:\n{lines}"
        )
