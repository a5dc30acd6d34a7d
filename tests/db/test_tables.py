"""Batched reads and deletes by key (afsreg.db.tables), on real SQLite and PostgreSQL."""

from __future__ import annotations

from afsreg.db import tables as tbl
from afsreg.db.connect import IN_BATCH, connect
from afsreg.db.project import Kind


def test_reads_and_deletes_by_many_keys_see_every_row_once(db_url: str) -> None:
    # More keys than one SQLite IN list binds; PostgreSQL binds them as one array.
    columns: dict[str, Kind] = {"k": "text", "n": "int"}
    table = tbl.Table("afsreg_test_keys", ("k",), columns)
    count = IN_BATCH * 2 + 7
    with connect(db_url) as db, db.transaction():
        db.execute("CREATE TABLE afsreg_test_keys (k TEXT PRIMARY KEY, n INTEGER)")
        tbl.insert(db, table, [{"k": f"id-{i}@v1", "n": i} for i in range(count)])
        wanted = [f"id-{i}@v1" for i in range(0, count, 2)] + ["absent", "id-0@v1"]

        assert set(tbl.fetch(db, table, wanted)) == set(wanted) - {"absent"}
        found = tbl.select_in(db, "SELECT k, n FROM afsreg_test_keys", "k", wanted)
        assert sorted(int(r[1]) for r in found) == list(range(0, count, 2))
        assert tbl.select_in(db, "SELECT k FROM afsreg_test_keys", "k", []) == []

        tbl.delete(db, table, wanted)
        tbl.delete_where_in(db, "afsreg_test_keys", "n", [1, 3])
        left = sorted(int(r[0]) for r in db.query("SELECT n FROM afsreg_test_keys"))
        assert left == list(range(5, count, 2))
