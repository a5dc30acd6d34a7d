"""Opening the database a registry is projected into: an embedded SQLite file or PostgreSQL.

``connect(url)`` returns a Database: a small wrapper that hides the two
drivers' differences (placeholders, transactions, locking, catalog queries).
SQL is written with ``?`` placeholders and rewritten to ``%s`` for psycopg.

Every message names the database with its password masked (``mask_url``).

Why ~450 lines in one module: URL parsing, masking and both drivers' connections
and locks belong together, so that no message can print a URL unmasked.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

from afsreg.errors import AfsregError

Dialect = Literal["sqlite", "postgresql"]
ENV_VAR = "AFSREG_DATABASE_URL"
# The name most hosting platforms and tools use; read when afsreg's own is not set.
FALLBACK_ENV_VAR = "DATABASE_URL"
SQLITE_DIR = ".afsreg"
SQLITE_FILE = "registry.sqlite3"
# Seconds a second writer waits for the first one's lock before giving up.
LOCK_TIMEOUT = 60.0
# pg_advisory_xact_lock key shared by every afsreg process writing to one database.
ADVISORY_LOCK_KEY = zlib.crc32(b"afsreg sync")
IN_BATCH = 500  # values bound per SQLite IN list (Database.where_in)


class DatabaseError(AfsregError):
    """A database operation failed; the message names the database (password masked)."""


_SCHEME = re.compile(r"(?i)^([a-z][a-z0-9+.-]*://)(.*)$", re.DOTALL)


def _split_userinfo(url: str) -> tuple[str, str | None, str | None, str]:
    """``scheme://user:password@rest`` -> (scheme://, user, password, @rest...).

    A password may hold ``@``, ``:`` or ``/`` unencoded: the user part ends at
    the last ``@`` before any ``?``, and the password starts at the first ``:``.
    """
    match = _SCHEME.match(url)
    if match is None:
        return "", None, None, url
    scheme, rest = match.groups()
    authority = rest.split("?", 1)[0]
    at = authority.rfind("@")
    if at < 0:
        return scheme, None, None, rest
    user, colon, password = authority[:at].partition(":")
    return scheme, user, password if colon else None, rest[at:]


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (also ``password=`` parameters)."""
    masked = re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)
    scheme, user, password, rest = _split_userinfo(masked)
    if password is None:
        return masked
    return f"{scheme}{user}:***{rest}"


def _passwords(url: str) -> list[str]:
    found = [_split_userinfo(url)[2] or "", *re.findall(r"(?i)password=([^&\s]+)", url)]
    return [secret for secret in found if secret]


def scrub(message: str, url: str) -> str:
    """``message`` with the URL's passwords removed wherever a driver repeated them."""
    for secret in _passwords(url):
        for form in sorted({secret, unquote(secret), quote(unquote(secret), safe="")}, key=len)[
            ::-1
        ]:
            message = message.replace(form, "***")
    return message


def postgres_conninfo(url: str) -> str:
    """What libpq is given: ``postgresql://`` with user and password percent-encoded.

    Accepts ``postgres://`` and SQLAlchemy's ``postgresql+psycopg://`` (any
    ``+driver``), and a password holding ``@``, ``:`` or ``/`` as typed.
    """
    scheme, user, password, rest = _split_userinfo(url)
    if not scheme:
        return url
    if user is None:
        return "postgresql://" + rest
    userinfo = quote(unquote(user), safe="")
    if password is not None:
        userinfo += ":" + quote(unquote(password), safe="")
    return f"postgresql://{userinfo}{rest}"


def default_sqlite_path(root: Path) -> Path:
    return root / SQLITE_DIR / SQLITE_FILE


def named_url(url: str | None) -> str | None:
    """The database named by the caller or the environment (not the embedded default)."""
    if url:
        return url
    for name in (ENV_VAR, FALLBACK_ENV_VAR):
        env = os.environ.get(name, "").strip()
        if env:
            return env
    return None


def resolve_url(url: str | None, root: Path) -> str:
    """The database to use: ``url``, else $AFSREG_DATABASE_URL, else $DATABASE_URL, else the embedded SQLite file."""
    return named_url(url) or f"sqlite:///{default_sqlite_path(root)}"


def dialect_of(url: str) -> Dialect:
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        return "postgresql"
    if scheme == "sqlite":
        return "sqlite"
    raise DatabaseError(
        f"{mask_url(url)}: unsupported database URL; use postgresql://user@host:port/db "
        "or sqlite:///path/to/file.sqlite3 (or no URL for the embedded SQLite file)"
    )


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db`` -> relative.db, ``sqlite:////abs.db`` -> /abs.db."""
    rest = url.split(":", 1)[1]
    if rest.startswith("///"):
        return rest[3:] or ":memory:"
    if rest.startswith("//"):
        return rest[2:] or ":memory:"
    return rest or ":memory:"


@dataclass
class Database:
    """One open connection. Use ``with db.transaction():`` for every write."""

    dialect: Dialect
    url: str  # masked
    raw: Any  # sqlite3.Connection | psycopg.Connection
    secret_url: str
    in_transaction: bool = False
    created_file: Path | None = None  # a SQLite file this connection created

    # -- statements ---------------------------------------------------------

    def _sql(self, sql: str) -> str:
        if self.dialect == "postgresql":
            return sql.replace("%", "%%").replace("?", "%s")
        return sql

    def _fail(self, exc: Exception, what: str) -> DatabaseError:
        message = scrub(str(exc).strip(), self.secret_url)
        return DatabaseError(f"{self.url}: {what}: {message}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            self.raw.execute(self._sql(sql), tuple(params))
        except Exception as exc:
            if _is_driver_error(exc):
                raise self._fail(exc, _first_words(sql)) from None
            raise

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if not rows:
            return
        try:
            cur = self.raw.cursor()
            cur.executemany(self._sql(sql), rows)
        except Exception as exc:
            if _is_driver_error(exc):
                raise self._fail(exc, _first_words(sql)) from None
            raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cur = self.raw.execute(self._sql(sql), tuple(params))
            return [tuple(row) for row in cur.fetchall()]
        except Exception as exc:
            if _is_driver_error(exc):
                raise self._fail(exc, _first_words(sql)) from None
            raise

    def where_in(self, column: str, values: Iterable[Any]) -> Iterator[tuple[str, list[Any]]]:
        """``column IN values`` as (SQL condition, parameters), a batch at a time; none when empty.

        SQLite binds one parameter per value, IN_BATCH at a time (under its
        limit on bound variables). PostgreSQL binds the whole list as one
        array (``column = ANY(?)``): a short statement psycopg parses once,
        where hundreds of placeholders cost it and the server milliseconds a query.
        """
        wanted = sorted(set(values))
        if not wanted:
            return
        if self.dialect == "postgresql":
            yield f"{column} = ANY(?)", [wanted]
            return
        for start in range(0, len(wanted), IN_BATCH):
            part = wanted[start : start + IN_BATCH]
            yield f"{column} IN ({', '.join('?' for _ in part)})", part

    def script(self, sql: str) -> None:
        """Run a migration script (several statements, no parameters) inside the transaction."""
        if self.dialect == "postgresql":
            try:
                self.raw.execute(sql)
            except Exception as exc:
                if _is_driver_error(exc):
                    raise self._fail(exc, "migration") from None
                raise
            return
        # sqlite3.executescript would COMMIT first; run statement by statement instead.
        for statement in split_statements(sql):
            self.execute(statement)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        cols = ", ".join(columns)
        if self.dialect == "postgresql" and len(rows) > 20:
            try:
                with self.raw.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            except Exception as exc:
                if _is_driver_error(exc):
                    raise self._fail(exc, f"COPY into {table}") from None
                raise
            return
        marks = ", ".join("?" for _ in columns)
        self.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    # -- catalog ------------------------------------------------------------

    def table_exists(self, table: str) -> bool:
        if self.dialect == "sqlite":
            rows = self.query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            )
        else:
            rows = self.query(
                "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?",
                (table,),
            )
        return bool(rows)

    def existing_tables(self, names: Iterable[str]) -> set[str]:
        """Which of ``names`` are tables of this database: one query for all of them."""
        wanted = sorted(set(names))
        if not wanted:
            return set()
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in wanted)
            sql = f"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({marks})"
            return {str(r[0]) for r in self.query(sql, wanted)}
        sql = (
            "SELECT tablename FROM pg_catalog.pg_tables "
            "WHERE schemaname = current_schema() AND tablename = ANY(?)"
        )
        return {str(r[0]) for r in self.query(sql, (wanted,))}

    def table_columns(self, table: str) -> list[str]:
        """Column names of ``table`` in table order; [] when it does not exist."""
        if self.dialect == "sqlite":
            return [str(r[1]) for r in self.query(f"PRAGMA table_info({quote_ident(table)})")]
        rows = self.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [str(r[0]) for r in rows]

    # -- transactions -------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[Database]:
        """One transaction holding afsreg's write lock; committed unless ``rollback`` or an error.

        SQLite: BEGIN IMMEDIATE takes the database's write lock at once, so a
        second writer waits (busy timeout) instead of failing half way.
        PostgreSQL: an advisory lock held until the end of the transaction.
        """
        if self.in_transaction:
            raise DatabaseError(f"{self.url}: nested transaction")
        try:
            if self.dialect == "sqlite":
                self.raw.execute("BEGIN IMMEDIATE")
            else:
                self.raw.execute("BEGIN")
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        except Exception as exc:
            if _is_driver_error(exc):
                with contextlib.suppress(Exception):
                    self.raw.execute("ROLLBACK")
                raise self._fail(exc, "cannot take the sync lock") from None
            raise
        self.in_transaction = True
        try:
            yield self
        except BaseException:
            self._end("ROLLBACK")
            raise
        else:
            self._end("ROLLBACK" if rollback else "COMMIT")

    def _end(self, verb: str) -> None:
        self.in_transaction = False
        try:
            self.raw.execute(verb)
        except Exception as exc:
            # A failed ROLLBACK must not hide the error that caused it (SQLite may
            # already have rolled back on its own).
            if _is_driver_error(exc) and verb == "COMMIT":
                raise self._fail(exc, "commit") from None
            if not _is_driver_error(exc):
                raise

    def close(self) -> None:
        # A SQLite file created by this connection that still holds no table
        # (the first sync failed or was interrupted) is removed: a 0-byte file
        # would later read as "a database that was never synced".
        empty = False
        if self.created_file is not None:
            with contextlib.suppress(Exception):
                empty = not self.raw.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        with contextlib.suppress(Exception):
            self.raw.close()
        if empty and self.created_file is not None:
            for leftover in (self.created_file, Path(f"{self.created_file}-journal")):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(url: str, *, create: bool = True) -> Database:
    """Open ``url`` (``postgresql://...`` or ``sqlite:///path``).

    With ``create=False`` a SQLite file that does not exist yet is not
    created: a DatabaseError says so (used by read-only commands).
    """
    masked = mask_url(url)
    dialect = dialect_of(url)
    if dialect == "sqlite":
        path = sqlite_path(url)
        created = None
        if path != ":memory:":
            file = Path(path)
            if not file.exists():
                if not create:
                    raise DatabaseError(
                        f"{masked}: no such database file (run `afsreg sync` first)"
                    )
                _sqlite_folder(file, masked)
                created = file
        try:
            raw = sqlite3.connect(path, timeout=LOCK_TIMEOUT, isolation_level=None)
            raw.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise DatabaseError(f"{masked}: cannot open: {exc}") from None
        except BaseException:
            # Interrupted (Ctrl-C) between creating the file and handing it over:
            # no one else would remove the empty file.
            if created is not None:
                with contextlib.suppress(OSError):
                    created.unlink()
            raise
        return Database("sqlite", masked, raw, url, created_file=created)
    import psycopg

    conninfo = postgres_conninfo(url)
    try:
        pg = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise DatabaseError(f"{masked}: cannot connect: {scrub(str(exc).strip(), url)}") from None
    return Database("postgresql", masked, pg, url)


def _sqlite_folder(file: Path, masked: str) -> None:
    """The folder of a new SQLite file: afsreg creates only its own ``.afsreg/``.

    Any other missing folder is a typo more often than a wish
    (``sqlite:///nonexistent/dir/x.db`` is relative to the current folder).
    """
    folder = file.parent
    if folder.exists() and not folder.is_dir():
        raise DatabaseError(
            f"{masked}: {folder} exists and is not a folder; move it away or pass --database-url"
        )
    if folder.is_dir():
        return
    if folder.name == SQLITE_DIR and folder.parent.is_dir():
        try:
            folder.mkdir()
        except OSError as exc:
            raise DatabaseError(f"{masked}: cannot create {folder}: {exc.strerror}") from None
        return
    raise DatabaseError(
        f"{masked}: folder {folder} does not exist; create it first "
        "(sqlite:///relative/path is relative to the current folder, sqlite:////abs/path is absolute)"
    )


def _is_driver_error(exc: Exception) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.Error)


def _first_words(sql: str) -> str:
    return " ".join(sql.split()[:3])


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def split_statements(sql: str) -> list[str]:
    """Split a script into statements the way the sqlite3 shell does (quotes and comments respected)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _has_code(buffer):
        statements.append(buffer.strip())
    return statements


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())
