"""A read-only PostgreSQL query through libpq itself, for the no-op sync: no psycopg import.

``import psycopg`` costs ~0.1 s of imports (its package imports every
adapter, asyncio, logging and importlib.metadata; no part of it can be
imported alone), as much as the whole no-op sync's own work. The no-op check
is one query of text values, so it talks to the libpq psycopg itself uses (the
copy bundled with psycopg-binary, else the system's ``libpq.so.5``) through
ctypes, which loads in a few milliseconds.

    reader = open_reader("postgresql://postgres@127.0.0.1:5432/models")
    rows = reader.query("SELECT commit_sha FROM afsreg_sync_state") if reader else None

Anything this cannot do (no libpq found, a query that fails) is None or a
DatabaseError, and the caller takes the ordinary psycopg path, which decides
with the full checks; a connection that fails raises at once, with libpq's
own message (as psycopg would report it), so an unreachable server is not
waited on twice. Nothing here writes.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

from afsreg.db.connect import DatabaseError, Dialect, mask_url, postgres_conninfo, scrub

CONNECTION_OK = 0  # ConnStatusType
PGRES_TUPLES_OK = 2  # ExecStatusType
CONNECT_TIMEOUT = "10"  # seconds, as afsreg.db.connect gives psycopg


def _load() -> Any | None:
    """The libpq psycopg loads: psycopg-binary's bundled copy, else the system's; None if neither."""
    import importlib.util

    candidates: list[str] = []
    try:
        spec = importlib.util.find_spec("psycopg_binary")  # finds it, runs nothing
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        libs = Path(next(iter(spec.submodule_search_locations))).parent / "psycopg_binary.libs"
        candidates += sorted(str(p) for p in libs.glob("libpq-*.so*"))
    candidates.append("libpq.so.5")
    for candidate in candidates:
        try:
            lib = ctypes.CDLL(candidate)
        except OSError:
            continue
        _declare(lib)
        return lib
    return None


def _declare(lib: Any) -> None:
    """Argument and result types of the functions used (pointers must not be truncated to int)."""
    p, s, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    strings = ctypes.POINTER(ctypes.c_char_p)
    for name, args, result in (
        ("PQconnectdbParams", [strings, strings, i], p),
        ("PQstatus", [p], i),
        ("PQerrorMessage", [p], s),
        ("PQexec", [p, s], p),
        ("PQresultStatus", [p], i),
        ("PQntuples", [p], i),
        ("PQnfields", [p], i),
        ("PQgetvalue", [p, i, i], s),
        ("PQgetisnull", [p, i, i], i),
        ("PQclear", [p], None),
        ("PQfinish", [p], None),
    ):
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result


class Reader:
    """One libpq connection that answers queries with text values (None for NULL)."""

    dialect: Dialect = "postgresql"

    def __init__(self, lib: Any, conn: int, url: str) -> None:
        self.lib = lib
        self.conn: int | None = conn
        self.url = mask_url(url)

    def query(self, sql: str) -> list[tuple[str | None, ...]]:
        """The rows of ``sql`` (no parameters), as text; DatabaseError when it fails."""
        lib = self.lib
        result = lib.PQexec(self.conn, sql.encode())
        try:
            if not result or lib.PQresultStatus(result) != PGRES_TUPLES_OK:
                raise DatabaseError(f"{self.url}: query failed")
            fields = range(lib.PQnfields(result))
            return [
                tuple(
                    None
                    if lib.PQgetisnull(result, row, col)
                    else lib.PQgetvalue(result, row, col).decode("utf-8", "replace")
                    for col in fields
                )
                for row in range(lib.PQntuples(result))
            ]
        finally:
            if result:
                lib.PQclear(result)

    def close(self) -> None:
        if self.conn is not None:
            self.lib.PQfinish(self.conn)
            self.conn = None


def open_reader(url: str) -> Reader | None:
    """A connection to ``url`` through libpq; None when no libpq can be loaded.

    DatabaseError when the server refuses or cannot be reached (the message
    scrubbed of the URL's passwords, as afsreg.db.connect reports it).
    """
    lib = _load()
    if lib is None:
        return None
    params = {
        "dbname": postgres_conninfo(url),  # expanded: a URL in dbname is the whole conninfo
        "connect_timeout": CONNECT_TIMEOUT,
        "client_encoding": "UTF8",
    }
    keys = (ctypes.c_char_p * (len(params) + 1))(*(k.encode() for k in params), None)
    values = (ctypes.c_char_p * (len(params) + 1))(*(v.encode() for v in params.values()), None)
    conn = lib.PQconnectdbParams(keys, values, 1)
    if not conn:
        return None  # out of memory: let psycopg try
    if lib.PQstatus(conn) != CONNECTION_OK:
        message = (lib.PQerrorMessage(conn) or b"").decode("utf-8", "replace").strip()
        lib.PQfinish(conn)
        raise DatabaseError(f"{mask_url(url)}: cannot connect: {scrub(message, url)}")
    return Reader(lib, conn, url)
