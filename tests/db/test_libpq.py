"""The no-op sync's libpq reader (afsreg.db.libpq): the same answers as psycopg, errors as DatabaseError."""

from __future__ import annotations

import pytest

from afsreg.db.connect import DatabaseError, connect
from afsreg.db.libpq import open_reader


@pytest.mark.postgres
def test_reader_answers_what_psycopg_answers_as_text(pg_url: str) -> None:
    sql = "SELECT 1, NULL, 'é''x', 2.5 UNION ALL SELECT 2, 'b', '', 0"
    reader = open_reader(pg_url)
    assert reader is not None  # psycopg-binary's libpq (or the system's) is there
    try:
        got = reader.query(sql)
    finally:
        reader.close()
    with connect(pg_url) as db:
        expected = db.query(sql)
    assert got == [tuple(None if v is None else str(v) for v in row) for row in expected]


@pytest.mark.postgres
def test_a_failing_query_is_a_database_error(pg_url: str) -> None:
    reader = open_reader(pg_url)
    assert reader is not None
    try:
        with pytest.raises(DatabaseError):
            reader.query("SELECT * FROM afsreg_no_such_table")
        assert reader.query("SELECT 'still usable'") == [("still usable",)]
    finally:
        reader.close()


def test_an_unreachable_server_is_a_database_error_without_the_password() -> None:
    url = "postgresql://postgres:Qz7secret@127.0.0.1:1/postgres?connect_timeout=2"
    with pytest.raises(DatabaseError) as raised:
        open_reader(url)
    assert "Qz7secret" not in str(raised.value)
    assert "127.0.0.1:1" in str(raised.value)  # the masked URL names the server
