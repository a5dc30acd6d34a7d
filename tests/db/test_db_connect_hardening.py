"""Database URLs and secrets (issue 11): passwords holding @ : /, SQLAlchemy-style URLs,
SQLite paths afsreg should not invent, .afsreg as a file, an interrupted first sync,
and status against a database that was never synced."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN_DIR, GitRegistry, run_afsreg

HARD_SECRETS = ["Qz7@Kx9", "Qz7:Kx9/Wv4", "Qz7@Kx9:Wv4/Jn2@", "Qz7%40Kx9"]


def fragments(secret: str) -> list[str]:
    """Every piece a broken masker could leave behind (split at the characters that confuse it)."""
    import re

    return [secret, *(piece for piece in re.split(r"[@:/%]", secret) if len(piece) >= 3)]


def assert_hidden(secret: str, *texts: str) -> None:
    for text in texts:
        for piece in fragments(secret):
            assert piece not in text, (piece, text)


def with_password(pg_url: str, secret: str) -> str:
    return pg_url.replace("postgres@", f"postgres:{secret}@", 1)


@pytest.fixture
def one_version(git_registry: GitRegistry) -> GitRegistry:
    git_registry.write_model("m", "v1")
    git_registry.commit("base")
    return git_registry


@pytest.mark.postgres
@pytest.mark.parametrize("secret", HARD_SECRETS)
def test_password_with_url_characters_works_and_is_never_printed(
    one_version: GitRegistry, pg_url: str, afsreg_env: dict[str, str], secret: str
) -> None:
    url = with_password(pg_url, secret)  # trust auth: any password connects
    outputs = []
    for args in (
        ["migrate", "--database-url", url],
        ["sync", "--database-url", url],
        ["sync", "--database-url", url, "--format", "json"],
        ["status", "--database-url", url],
        ["status", "--database-url", url, "--format", "json"],
    ):
        result = run_afsreg(args, one_version.root, env=afsreg_env)
        assert result.returncode == 0, result.stderr
        outputs += [result.stdout, result.stderr]
    assert any("***" in text for text in outputs)
    assert_hidden(secret.replace("%40", "@"), *outputs)


@pytest.mark.parametrize("secret", HARD_SECRETS)
@pytest.mark.parametrize(
    "template",
    [
        "postgresql://postgres:{}@127.0.0.1:5432/afsreg_no_such_database_x",
        "postgresql://postgres:{}@127.0.0.1:1/postgres?connect_timeout=2",
        "postgresql+psycopg://postgres:{}@127.0.0.1:1/postgres?connect_timeout=2",
        "mysql://root:{}@127.0.0.1/db",
    ],
)
def test_password_with_url_characters_is_masked_in_errors(
    one_version: GitRegistry, afsreg_env: dict[str, str], secret: str, template: str
) -> None:
    url = template.format(secret)
    for args in (["sync", "--database-url", url], ["status", "--database-url", url]):
        result = run_afsreg(args, one_version.root, env=afsreg_env)
        assert result.returncode == 1, result
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
        assert_hidden(secret.replace("%40", "@"), result.stdout, result.stderr)


@pytest.mark.postgres
def test_sqlalchemy_style_url_is_accepted(
    one_version: GitRegistry, pg_url: str, afsreg_env: dict[str, str]
) -> None:
    url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    result = run_afsreg(["sync", "--database-url", url], one_version.root, env=afsreg_env)
    assert result.returncode == 0, result.stderr
    result = run_afsreg(["status", "--database-url", url], one_version.root, env=afsreg_env)
    assert result.returncode == 0 and "in sync" in result.stdout


def test_sqlite_url_into_a_missing_folder_is_refused_and_creates_nothing(
    one_version: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    before = sorted(p.name for p in one_version.root.iterdir())
    result = run_afsreg(
        ["sync", "--database-url", "sqlite:///nonexistent/dir/x.db"],
        one_version.root,
        env=afsreg_env,
    )
    assert result.returncode == 1, result
    assert "folder nonexistent/dir does not exist" in result.stderr
    assert sorted(p.name for p in one_version.root.iterdir()) == before


def test_dot_afsreg_as_a_file_is_a_clear_error(
    one_version: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    (one_version.root / ".afsreg").write_text("not a folder\n")
    for args in (["sync"], ["migrate"]):
        result = run_afsreg(args, one_version.root, env=afsreg_env)
        assert result.returncode == 1, result
        assert ".afsreg exists and is not a folder" in result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert (one_version.root / ".afsreg").read_text() == "not a folder\n"


def test_failed_first_sqlite_sync_leaves_no_empty_database_file(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    """The first sync is interrupted (SIGINT, as Ctrl-C) as soon as the file appears."""
    for i in range(300):
        git_registry.write_model(f"m{i:03d}", "v1")
    git_registry.commit("many")
    db = git_registry.root / ".afsreg" / "registry.sqlite3"
    process = subprocess.Popen(
        [f"{BIN_DIR}/afsreg", "sync"],
        cwd=git_registry.root,
        env=afsreg_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(2000):  # bounded: at most ~20 s
        if db.exists() or process.poll() is not None:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert "Traceback" not in err
    if db.exists():  # the sync finished first: then it is a whole database
        assert db.stat().st_size > 0
        tables = sqlite3.connect(db).execute("SELECT count(*) FROM model_versions").fetchone()
        assert tables == (300,)
    # Either way the next sync works, and status is clean.
    assert run_afsreg(["sync"], git_registry.root, env=afsreg_env).returncode == 0
    assert run_afsreg(["status"], git_registry.root, env=afsreg_env).returncode == 0


def test_failed_first_sync_removes_the_file_it_created(tmp_path: Path) -> None:
    from afsreg.db.connect import connect

    path = tmp_path / "first.sqlite3"
    db = connect(f"sqlite:///{path}")
    assert path.exists()
    db.close()  # nothing was committed: no table
    assert not path.exists()
    db = connect(f"sqlite:///{path}")
    with db.transaction():
        db.execute("CREATE TABLE t (x INTEGER)")
    db.close()
    assert path.exists()


@pytest.mark.postgres
def test_status_against_a_never_synced_database_counts_every_row_missing(
    one_version: GitRegistry, pg_url: str, afsreg_env: dict[str, str]
) -> None:
    result = run_afsreg(
        ["status", "--database-url", pg_url, "--format", "json"], one_version.root, env=afsreg_env
    )
    assert result.returncode == 1
    import json

    report = json.loads(result.stdout)
    assert "model_versions m@v1" in report["missing"]
    assert any(item.startswith("model_version_events ") for item in report["missing"])
    result = run_afsreg(["status", "--database-url", pg_url], one_version.root, env=afsreg_env)
    assert "drift: 0 missing" not in result.stdout
