"""Faults and odd repositories: full disks, denied writes, killed processes, dropped connections.

Whatever happens midway, the files and the database are left as they were
(or, for a sync that completed, as they should be), and afsreg says what
went wrong in one line, never with a traceback.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BIN_DIR, GitRegistry, dump, git, model_doc, run_afsreg

AFSREG = str(Path(BIN_DIR) / "afsreg")


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of the working tree but .git: path -> bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def assert_clear_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.stderr.startswith("error: "), output
    for word in words:
        assert word in output, output


# -- writing a version file: disk full, permission denied --------------------------------


def small_registry(reg: GitRegistry) -> GitRegistry:
    reg.write_model("m", "v1")
    reg.commit("base")
    return reg


def run_with_file_size_limit(
    args: list[str], cwd: Path, limit: int
) -> subprocess.CompletedProcess[str]:
    """Run afsreg with RLIMIT_FSIZE: any write past ``limit`` bytes fails with EFBIG (as on a full disk)."""

    def limit_writes() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    env = {**os.environ, "PATH": BIN_DIR + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(
        [AFSREG, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit_writes,
        timeout=60,
    )


WRITE_COMMANDS = [
    ["score", "m@v1", "accuracy=0.9"],
    ["promote", "m@v1", "--notes", "best so far"],
    ["add", "m", "--parent", "v1"],
]


@pytest.mark.parametrize("args", WRITE_COMMANDS, ids=lambda a: a[0])
def test_a_write_that_cannot_finish_leaves_the_old_files(
    git_registry: GitRegistry, args: list[str]
) -> None:
    reg = small_registry(git_registry)
    before = files_of(reg.root)
    result = run_with_file_size_limit(args, reg.root, limit=64)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    assert files_of(reg.root) == before  # the old file whole, no temporary file left behind
    assert reg.git("status", "--porcelain") == ""


def test_a_full_disk_is_a_clear_error(git_registry: GitRegistry) -> None:
    reg = small_registry(git_registry)
    result = run_with_file_size_limit(["score", "m@v1", "accuracy=0.9"], reg.root, limit=64)
    assert_clear_failure(result, "models/m/v1.yaml")


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str = "256k") -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_really_full_disk_leaves_the_old_file(tmp_path: Path, afsreg_env: dict[str, str]) -> None:
    """A real ENOSPC, on a tmpfs filled to the last byte."""
    with tiny_filesystem(tmp_path / "disk") as disk:
        reg = small_registry(GitRegistry(disk / "registry"))
        before = files_of(reg.root)
        with open(disk / "filler", "wb", buffering=0) as filler, contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 4096)
        result = run_afsreg(["score", "m@v1", "accuracy=0.9"], reg.root, env=afsreg_env)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert files_of(reg.root) == before
        # Reading still works on a full disk (the check cache just is not saved).
        listed = run_afsreg(["validate"], reg.root, env=afsreg_env)
        assert listed.returncode == 0, listed.stderr


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """chattr +i: even root cannot create, rename or delete in ``path``."""
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i not supported here: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_permission_denied_leaves_the_old_file(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = small_registry(git_registry)
    before = files_of(reg.root)
    with immutable(reg.root / "models" / "m"):
        result = run_afsreg(["score", "m@v1", "accuracy=0.9"], reg.root, env=afsreg_env)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert files_of(reg.root) == before


def test_permission_denied_is_a_clear_error(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = small_registry(git_registry)
    with immutable(reg.root / "models" / "m"):
        result = run_afsreg(["score", "m@v1", "accuracy=0.9"], reg.root, env=afsreg_env)
    assert_clear_failure(result, "models/m/v1.yaml")


# -- git in odd states ------------------------------------------------------------------


READ_ARGS = [
    ["validate"],
    ["list"],
    ["list", "--rev", "HEAD"],
    ["show", "m@v1", "--rev", "HEAD"],
    ["versions", "m"],
    ["log", "m"],
    ["blame", "m@v1"],
    ["tree", "m"],
]


def history_registry(reg: GitRegistry) -> GitRegistry:
    reg.write_model("m", "v1")
    reg.commit("v1")
    reg.write_model("m", "v2", lineage={"parent": "v1"})
    reg.commit("v2")
    reg.write_model("m", "v3", lineage={"parent": "v2"})
    reg.commit("v3")
    return reg


def assert_reads_work(root: Path, env: dict[str, str]) -> None:
    """Every read command works (in-process: the same code as the console script, faster)."""
    from click.testing import CliRunner

    from afsreg.cli import cli

    for args in READ_ARGS:
        result = CliRunner().invoke(cli, [*args, "--root", str(root)])
        assert result.exit_code == 0, (args, result.output, result.exception)


@pytest.mark.parametrize("lock", ["index.lock", "HEAD.lock", "refs/heads/main.lock"])
def test_a_lock_left_by_a_killed_git(
    git_registry: GitRegistry, afsreg_env: dict[str, str], lock: str
) -> None:
    from afsreg.db.sync import sync

    reg = history_registry(git_registry)
    (reg.root / ".git" / lock).write_bytes(b"")
    assert_reads_work(reg.root, afsreg_env)
    assert sync(reg.root, f"sqlite:///{reg.root / 'db.sqlite3'}").added
    head = reg.git("rev-parse", "HEAD")
    result = run_afsreg(["score", "m@v3", "accuracy=0.9", "--commit"], reg.root, env=afsreg_env)
    assert_clear_failure(result, ".lock")
    assert reg.git("rev-parse", "HEAD") == head


def test_an_interrupted_index_write(git_registry: GitRegistry, afsreg_env: dict[str, str]) -> None:
    """A truncated .git/index (a git killed without its lock protocol): reads from the tree still work."""
    reg = history_registry(git_registry)
    index = reg.root / ".git" / "index"
    index.write_bytes(index.read_bytes()[:40])
    assert_reads_work(reg.root, afsreg_env)
    staged = run_afsreg(["validate", "--staged"], reg.root, env=afsreg_env)
    assert staged.returncode == 1, staged.stdout
    assert "Traceback" not in staged.stderr and "internal error" not in staged.stderr, staged.stderr


def test_a_shallow_clone(
    git_registry: GitRegistry, tmp_path: Path, afsreg_env: dict[str, str]
) -> None:
    reg = history_registry(git_registry)
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{reg.root}", str(clone))
    assert (clone / ".git" / "shallow").exists()
    assert_reads_work(clone, afsreg_env)
    url = f"sqlite:///{clone / 'db.sqlite3'}"
    synced = run_afsreg(["sync", "--database-url", url], clone, env=afsreg_env)
    assert synced.returncode == 0, synced.stderr
    with sqlite3.connect(clone / "db.sqlite3") as conn:
        count = conn.execute("SELECT COUNT(*) FROM model_versions").fetchone()[0]
    conn.close()
    assert count == 3
    # What is not in the clone is named as missing, not crashed on.
    missing = run_afsreg(["diff", "HEAD~1", "HEAD"], clone, env=afsreg_env)
    assert_clear_failure(missing, "HEAD~1")


def test_a_detached_head(git_registry: GitRegistry, afsreg_env: dict[str, str]) -> None:
    reg = history_registry(git_registry)
    reg.git("checkout", "-q", "--detach", "HEAD~1")
    assert_reads_work(reg.root, afsreg_env)
    listed = run_afsreg(
        ["versions", "m", "--rev", "HEAD", "--format", "json"], reg.root, env=afsreg_env
    )
    assert '"v3"' not in listed.stdout and '"v2"' in listed.stdout
    url = f"sqlite:///{reg.root / 'db.sqlite3'}"
    synced = run_afsreg(["sync", "--database-url", url], reg.root, env=afsreg_env)
    assert synced.returncode == 0, synced.stderr


def test_a_repository_with_no_commits(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = git_registry
    reg.write_model("m", "v1")
    root = reg.root
    for args in (["validate"], ["validate", "--against", "HEAD"], ["list"], ["versions", "m"]):
        result = run_afsreg(args, root, env=afsreg_env)
        assert result.returncode == 0, (args, result.stderr)
    for args in (
        ["list", "--rev", "HEAD"],
        ["show", "m@v1", "--rev", "HEAD"],
        ["sync", "--database-url", f"sqlite:///{root / 'db.sqlite3'}"],
    ):
        result = run_afsreg(args, root, env=afsreg_env)
        assert_clear_failure(result, "no commits")
    assert_clear_failure(run_afsreg(["diff", "HEAD~1", "HEAD"], root, env=afsreg_env), "HEAD~1")
    assert not (root / "db.sqlite3").exists()
    for args in (["log", "m"], ["blame", "m@v1"]):
        result = run_afsreg(args, root, env=afsreg_env)
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# -- sync: killed, dropped, raced, too new ---------------------------------------------------


def table_dump_sqlite(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        dump_ = {
            n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names
        }
    conn.close()
    return dump_


def many_versions(reg: GitRegistry, models: int, start: int = 0) -> None:
    for i in range(start, start + models):
        reg.write(
            f"models/bulk{i:04d}/v1.yaml",
            dump(model_doc(f"bulk{i:04d}", "v1", description="x" * 200)),
        )


def test_sqlite_sync_killed_midway_then_rerun(
    git_registry: GitRegistry, tmp_path: Path, afsreg_env: dict[str, str]
) -> None:
    """SIGKILL at several moments: the database is the old state or the new one, never between."""
    from afsreg.db.sync import sync

    reg = git_registry
    many_versions(reg, 20)
    reg.commit("first 20")
    db_path = tmp_path / "db.sqlite3"
    url = f"sqlite:///{db_path}"
    sync(reg.root, url)
    old = table_dump_sqlite(db_path)
    many_versions(reg, 300, start=20)
    reg.commit("300 more")
    reference = tmp_path / "reference.sqlite3"
    sync(reg.root, f"sqlite:///{reference}")
    new_counts = {k: len(v) for k, v in table_dump_sqlite(reference).items()}
    seen_states = set()
    for delay in (0.2, 0.5, 0.8, 1.2):
        proc = subprocess.Popen(
            [AFSREG, "sync", "--database-url", url],
            cwd=reg.root,
            env=afsreg_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = table_dump_sqlite(db_path)  # opening it rolls a hot journal back
        counts = {k: len(v) for k, v in state.items()}
        if state == old:
            seen_states.add("old")
        else:
            assert counts == new_counts, f"half-applied sync after {delay}s: {counts}"
            seen_states.add("new")
            break
    result = run_afsreg(["sync", "--database-url", url], reg.root, env=afsreg_env)
    assert result.returncode == 0, result.stderr
    status = run_afsreg(["status", "--database-url", url], reg.root, env=afsreg_env)
    assert status.returncode == 0, status.stdout + status.stderr
    assert {k: len(v) for k, v in table_dump_sqlite(db_path).items()} == new_counts
    assert seen_states  # at least one kill landed


# PostgreSQL: a trigger that sleeps holds the sync inside its transaction, on purpose.
SLOW_TRIGGER = """
CREATE FUNCTION afsreg_test_slow() RETURNS trigger AS $$
BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER afsreg_test_slow BEFORE INSERT ON model_versions
FOR EACH STATEMENT EXECUTE FUNCTION afsreg_test_slow();
"""
DROP_TRIGGER = "DROP TRIGGER afsreg_test_slow ON model_versions; DROP FUNCTION afsreg_test_slow();"


def pg_dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    import psycopg

    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
            )
        ]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


def pg_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def sleeping_sync_backend(url: str, timeout: float = 20.0) -> int:
    """The pid of the backend that runs the sync, once it is inside the slow trigger."""
    import psycopg

    dbname = url.rsplit("/", 1)[1].split("?")[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event = 'PgSleep'",
                (dbname,),
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.05)
    raise AssertionError("the sync never reached the slow trigger")


def pg_registry_with_pending_change(reg: GitRegistry, url: str) -> None:
    from afsreg.db.sync import sync

    reg.write_model("m", "v1")
    reg.commit("v1")
    sync(reg.root, url)
    reg.write_model("m", "v2", lineage={"parent": "v1"})
    reg.write_model("n", "v1")
    reg.commit("v2 and n")


@pytest.mark.postgres
def test_postgresql_connection_dropped_midway(
    git_registry: GitRegistry, pg_url: str, afsreg_env: dict[str, str]
) -> None:
    reg = git_registry
    pg_registry_with_pending_change(reg, pg_url)
    before = pg_dump(pg_url)
    pg_execute(pg_url, SLOW_TRIGGER.format(seconds=30))
    proc = subprocess.Popen(
        [AFSREG, "sync", "--database-url", pg_url],
        cwd=reg.root,
        env=afsreg_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid = sleeping_sync_backend(pg_url)
    pg_execute(pg_url, f"SELECT pg_terminate_backend({pid})")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stdout + stderr
    assert stderr.startswith("error: ") and "Traceback" not in stderr, stderr
    assert "internal error" not in stderr, stderr
    pg_execute(pg_url, DROP_TRIGGER)
    assert pg_dump(pg_url) == before
    rerun = run_afsreg(["sync", "--database-url", pg_url], reg.root, env=afsreg_env)
    assert rerun.returncode == 0, rerun.stderr
    status = run_afsreg(["status", "--database-url", pg_url], reg.root, env=afsreg_env)
    assert status.returncode == 0, status.stdout + status.stderr


@pytest.mark.postgres
def test_postgresql_sync_killed_midway_then_rerun(
    git_registry: GitRegistry, pg_url: str, afsreg_env: dict[str, str]
) -> None:
    reg = git_registry
    pg_registry_with_pending_change(reg, pg_url)
    before = pg_dump(pg_url)
    pg_execute(pg_url, SLOW_TRIGGER.format(seconds=1))
    proc = subprocess.Popen(
        [AFSREG, "sync", "--database-url", pg_url],
        cwd=reg.root,
        env=afsreg_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sleeping_sync_backend(pg_url)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The orphaned backend finishes its sleep, finds the client gone and rolls back;
    # dropping the trigger waits for it, and so would the rerun (the sync lock).
    pg_execute(pg_url, DROP_TRIGGER)
    assert pg_dump(pg_url) == before
    rerun = run_afsreg(["sync", "--database-url", pg_url], reg.root, env=afsreg_env)
    assert rerun.returncode == 0, rerun.stderr
    after = pg_dump(pg_url)
    assert after != before
    status = run_afsreg(["status", "--database-url", pg_url], reg.root, env=afsreg_env)
    assert status.returncode == 0, status.stdout + status.stderr
    assert len(after["model_versions"]) == 3


@pytest.mark.postgres
def test_two_syncs_and_a_migrate_at_once(
    git_registry: GitRegistry, pg_url: str, afsreg_env: dict[str, str]
) -> None:
    reg = git_registry
    many_versions(reg, 30)
    reg.commit("30 models")
    procs = [
        subprocess.Popen(
            [AFSREG, *args, "--database-url", pg_url],
            cwd=reg.root,
            env=afsreg_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (["sync"], ["migrate"], ["sync"])
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out + err
    state = pg_dump(pg_url)
    versions = [r[0] for r in state["afsreg_schema_migrations"]]
    assert len(versions) == len(set(versions))
    assert len(state["model_versions"]) == 30
    status = run_afsreg(["status", "--database-url", pg_url], reg.root, env=afsreg_env)
    assert status.returncode == 0, status.stdout + status.stderr


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_database_from_a_newer_afsreg_is_refused_by_every_command(
    git_registry: GitRegistry,
    tmp_path: Path,
    afsreg_env: dict[str, str],
    dialect: str,
    request: pytest.FixtureRequest,
) -> None:
    from afsreg.db.connect import connect
    from afsreg.db.sync import sync

    url = (
        request.getfixturevalue("pg_url")
        if dialect == "postgresql"
        else f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    reg = git_registry
    reg.write_model("m", "v1")
    reg.commit("v1")
    sync(reg.root, url)
    with connect(url) as db, db.transaction():
        db.execute(
            "INSERT INTO afsreg_schema_migrations VALUES ('0099', 'from_the_future', 'x', '2030-01-01')"
        )
    reg.write_model("m", "v2", lineage={"parent": "v1"})
    reg.commit("v2")
    snapshot = (
        pg_dump(url) if dialect == "postgresql" else table_dump_sqlite(tmp_path / "db.sqlite3")
    )
    for args in (["sync"], ["sync", "--full"], ["migrate"], ["status"]):
        result = run_afsreg([*args, "--database-url", url], reg.root, env=afsreg_env)
        assert_clear_failure(result, "newer", "0099_from_the_future")
    after = pg_dump(url) if dialect == "postgresql" else table_dump_sqlite(tmp_path / "db.sqlite3")
    assert after == snapshot


def test_fault_helpers_clean_up(tmp_path: Path) -> None:
    """The tmpfs helper unmounts even when the test body fails (no mount left behind)."""
    target = tmp_path / "disk"
    with contextlib.suppress(RuntimeError), tiny_filesystem(target):
        raise RuntimeError("boom")
    assert str(target) not in Path("/proc/mounts").read_text()
