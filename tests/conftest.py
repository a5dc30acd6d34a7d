"""Shared fixtures: real git repositories in tmp_path, and throwaway PostgreSQL databases."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BIN_DIR = str(Path(sys.executable).parent)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``cwd``; fail the test with git's output when it fails."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=full_env)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def model_doc(name: str, version: str, **overrides: Any) -> dict[str, Any]:
    """A valid internal model version as data; override any top-level field."""
    doc: dict[str, Any] = {
        "schema_version": 1,
        "name": name,
        "version": version,
        "title": f"{name} {version}",
        "owner": "alice",
        "model_family": "transformer",
        "framework": "pytorch",
        "parameter_count": 1000,
        "is_external": False,
        "training_data": [{"name": "train-set", "samples": 100}],
        "training_config": {"epochs": 1},
        "evaluation_dataset": "eval-set",
        "evaluation_metrics": {"accuracy": 0.5},
        "promotion": {"state": "candidate"},
        "status": "completed",
    }
    doc.update(overrides)
    return doc


def dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


class GitRegistry:
    """A registry in a real git repository, with helpers to write and commit files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "user.name", "Alice Example")
        git(root, "config", "user.email", "alice@example.com")
        git(root, "config", "commit.gpgsign", "false")
        (root / "models").mkdir(exist_ok=True)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, content: str | bytes) -> Path:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
        return target

    def write_model(self, name: str, version: str, **overrides: Any) -> Path:
        return self.write(
            f"models/{name}/{version}.yaml", dump(model_doc(name, version, **overrides))
        )

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def commit(
        self,
        message: str,
        author: str = "Alice Example <alice@example.com>",
        date: str | None = None,
    ) -> str:
        """Stage everything and commit as ``author``; returns the commit id."""
        name, _, email = author.partition(" <")
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email.rstrip(">"),
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email.rstrip(">"),
        }
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--no-verify", "--allow-empty", "-m", message, env=env)
        return self.git("rev-parse", "HEAD").strip()

    def git(self, *args: str) -> str:
        return git(self.root, *args)


@pytest.fixture
def git_registry(tmp_path: Path) -> GitRegistry:
    """An empty registry repository (git init, models/) in tmp_path."""
    return GitRegistry(tmp_path / "registry")


@pytest.fixture
def afsreg_env() -> dict[str, str]:
    """Environment for running the afsreg command (and pre-commit) as a subprocess."""
    env = dict(os.environ)
    env["PATH"] = BIN_DIR + os.pathsep + env.get("PATH", "")
    env.pop("AFSREG_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    return env


def run_afsreg(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real ``afsreg`` console script in a subprocess."""
    if env is None:  # an outside DATABASE_URL must not redirect a test's sync
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full_env = dict(env)
    full_env["PATH"] = BIN_DIR + os.pathsep + full_env.get("PATH", "")
    return subprocess.run(
        [str(Path(BIN_DIR) / "afsreg"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=120,
    )


# -- PostgreSQL ---------------------------------------------------------------


def _pg_admin_url() -> str:
    return os.environ.get("AFSREG_TEST_DATABASE_URL", DEFAULT_PG_URL)


def _with_database(url: str, dbname: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test.

    Outside CI a missing server skips the test; with CI=true it fails.
    """
    psycopg = pytest.importorskip("psycopg") if not os.environ.get("CI") else __import__("psycopg")
    admin = _pg_admin_url()
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    name = f"afsreg_test_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each dialect: an embedded SQLite file, then PostgreSQL (pg_url)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/projection.sqlite3"
    return str(request.getfixturevalue("pg_url"))
