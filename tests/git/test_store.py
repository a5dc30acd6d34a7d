"""afsreg.git.store: the .git/afsreg/ folder and the atomic write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from afsreg.git.store import cache_file, store_dir, write_atomically


def test_store_dir_is_afsreg_inside_the_git_directory(tmp_path: Path) -> None:
    assert store_dir(tmp_path / ".git") == tmp_path / ".git" / "afsreg"
    assert store_dir(str(tmp_path / ".git")) == tmp_path / ".git" / "afsreg"


def test_write_atomically_makes_the_folder_and_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "cache.json"
    write_atomically(path, "first")
    write_atomically(path, "ßecond")
    assert path.read_text(encoding="utf-8") == "ßecond"
    write_atomically(path, b"\x00bytes", mode=0o644)
    assert path.read_bytes() == b"\x00bytes"
    assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["cache.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    path.write_text("old")

    class Boom(str):
        def encode(self, *args: object, **kwargs: object) -> bytes:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomically(path, Boom("new"))
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["cache.json"]


# -- Store: (kind, key) -> JSON value in one SQLite file ----------------------

_WRITER = """
import sys
from pathlib import Path
from afsreg.git.store import Store

store = Store.at(Path(sys.argv[1]))
for i in range(200):
    store.put("test", f"{sys.argv[2]}-{i}", {"i": i, "who": sys.argv[2]})
    if i % 20 == 19:
        store.commit()
store.close()
"""


def test_store_reads_by_key_and_writes_on_commit(tmp_path: Path) -> None:
    from afsreg.git.store import Store

    store = Store.at(tmp_path)
    store.put("file", "a", {"x": [1, 2]})
    assert store.get("file", "a") == {"x": [1, 2]}  # pending writes are read back
    assert Store.at(tmp_path).get("file", "a") is None  # not written before commit()
    store.commit()
    again = Store.at(tmp_path)
    assert again.get("file", "a") == {"x": [1, 2]}
    assert again.get("model", "a") is None  # kinds are separate
    assert again.get_many("file", ["a", "b"]) == {"a": {"x": [1, 2]}}
    assert cache_file(tmp_path).is_file()


def test_an_in_memory_store_keeps_nothing(tmp_path: Path) -> None:
    from afsreg.git.store import Store

    store = Store.at(None)
    store.put("file", "a", 1)
    store.commit()
    assert store.get("file", "a") is None
    assert list(tmp_path.iterdir()) == []


def test_a_broken_store_file_is_a_miss_not_an_error(tmp_path: Path) -> None:
    from afsreg.git.store import Store

    store_dir(tmp_path).mkdir()
    cache_file(tmp_path).write_bytes(b"not a database" * 100)
    store = Store.at(tmp_path)
    assert store.get("file", "a") is None
    store.put("file", "a", 1)
    store.commit()  # ignored, never raised


def test_bounded_kinds_keep_only_the_latest_entries(tmp_path: Path) -> None:
    from afsreg.git.store import BOUNDED_KINDS, Store

    limit = BOUNDED_KINDS["registry"]
    for i in range(limit + 5):
        store = Store.at(tmp_path)
        store.put("registry", f"k{i}", i)
        store.put("file", f"k{i}", i)
        store.close()
    store = Store.at(tmp_path)
    kept = store.get_many("registry", [f"k{i}" for i in range(limit + 5)])
    assert sorted(kept.values()) == list(range(5, limit + 5))
    assert len(store.get_many("file", [f"k{i}" for i in range(limit + 5)])) == limit + 5


def test_two_processes_write_the_same_store_at_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    from afsreg.git.store import Store

    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), who])
        for who in ("one", "two")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    store = Store.at(tmp_path)
    for who in ("one", "two"):
        found = store.get_many("test", [f"{who}-{i}" for i in range(200)])
        assert found == {f"{who}-{i}": {"i": i, "who": who} for i in range(200)}


_OPENER = """
import sys
from pathlib import Path
from afsreg.git.store import open_sqlite

db = open_sqlite(Path(sys.argv[1]), ["CREATE TABLE IF NOT EXISTS t (who TEXT PRIMARY KEY)"])
if db is None:
    sys.exit(3)
db.execute("INSERT INTO t VALUES (?)", (sys.argv[2],))
"""


def test_processes_opening_a_new_cache_file_together_all_get_it(tmp_path: Path) -> None:
    # Switching a shared file to WAL fails at once (no busy wait) when another
    # process has it open; every cache file under .git/afsreg/ opens through
    # open_sqlite, which makes a new file whole before anyone can see it.
    import sqlite3
    import subprocess
    import sys

    for round_ in range(8):
        path = tmp_path / f"round{round_}" / "cache.sqlite3"
        openers = [
            subprocess.Popen([sys.executable, "-c", _OPENER, str(path), f"p{i}"]) for i in range(4)
        ]
        assert [p.wait(timeout=60) for p in openers] == [0, 0, 0, 0]
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert sorted(r[0] for r in db.execute("SELECT who FROM t")) == ["p0", "p1", "p2", "p3"]
        db.close()
        assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_a_cache_file_from_an_older_afsreg_is_opened_and_gains_its_tables(tmp_path: Path) -> None:
    import sqlite3

    from afsreg.git.store import open_sqlite

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)  # rollback journal, one table
    old.execute("CREATE TABLE a (x)")
    old.commit()
    old.close()
    db = open_sqlite(path, ["CREATE TABLE IF NOT EXISTS a (x)", "CREATE TABLE IF NOT EXISTS b (y)"])
    assert db is not None
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == {"a", "b"}


def test_a_cache_folder_that_cannot_be_written_is_not_used(tmp_path: Path) -> None:
    from afsreg.git.store import open_sqlite

    (tmp_path / "file").write_text("a file where the folder should be")
    assert open_sqlite(tmp_path / "file" / "cache.sqlite3", ["CREATE TABLE t (x)"]) is None


def test_one_cache_file_holds_every_cache_and_replaces_older_ones(tmp_path: Path) -> None:
    from afsreg.git import history, parsed, projections
    from afsreg.git.store import open_cache

    folder = store_dir(tmp_path)
    folder.mkdir()
    older = [
        "store-v1.sqlite3",
        "history-0.0.9.sqlite3",
        "parsed-0.0.9.sqlite3-wal",
        "fields-0.0.9.sqlite3",
        "cache-0.0.9-1.sqlite3",
        "cache-0.0.9-1.sqlite3-shm",
    ]
    for name in older:
        (folder / name).write_bytes(b"old")
    (folder / "notes.txt").write_text("not a cache")  # nothing else is touched

    for schema in (history._SCHEMA, parsed._SCHEMA, projections._SCHEMA):
        db = open_cache(tmp_path, schema)
        assert db is not None
        db.close()
    db = open_cache(tmp_path, ["CREATE TABLE IF NOT EXISTS probe (x)"])
    assert db is not None
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()

    assert {"lines", "tips", "commits", "changes", "parsed", "events", "field_values"} <= tables
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        cache_file(tmp_path).name,
        "notes.txt",
    ]
