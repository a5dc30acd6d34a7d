"""Each question has one command, one Python call and one SQL query (docs/database.md): all three agree.

Over a generated history of deployments and rollbacks (tests/history_builder.py),
synced into SQLite and PostgreSQL, incrementally and fully. The queries are
read from docs/database.md, so the documented SQL is the SQL that is tested.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, GitRegistry, run_afsreg
from history_builder import ENVS, MODELS, History, build_history, deployed_per_files, files_at

from afsreg.db.connect import Database, connect
from afsreg.db.details import snapshot
from afsreg.db.project import canonical_ts
from afsreg.db.sync import sync
from afsreg.format.refs import VersionRef
from afsreg.read import deployments
from afsreg.read.resolve import resolve
from afsreg.read.search import search
from afsreg.registry import Registry

QWEN_ID = "huggingface:Qwen/Qwen2.5-Coder-7B"


def documented_queries() -> dict[str, str]:
    text = (REPO_ROOT / "docs" / "database.md").read_text()
    found = {}
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        match = re.match(r"-- query: ([a-z-]+)\n", block)
        if match:
            found[match.group(1)] = block
    return found


QUERIES = documented_queries()


def ask(db: Database, name: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run a documented query with named parameters (``:name`` -> the driver's placeholder)."""
    order: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        order.append(match.group(1))
        return "?"

    sql = re.sub(r"(?<![:\w]):([a-z_]+)\b", placeholder, QUERIES[name])
    return db.query(sql, [params[p] for p in order])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    repo = GitRegistry(tmp_path_factory.mktemp("db-answers") / "registry")
    return build_history(repo, seed=7, steps=30)


def test_every_documented_question_has_its_query() -> None:
    assert set(QUERIES) >= {
        "deployed-now",
        "resolve-env",
        "deployed-at",
        "deployment-history",
        "promoted-by-accuracy",
        "derived-from",
        "promotion-decisions",
    }


def cli(history: History, *args: str) -> Any:
    result = run_afsreg([*args, "--format", "json"], history.repo.root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def check_agreement(history: History, url: str) -> None:
    root = history.repo.root
    middle = history.commits[len(history.commits) // 2][0]
    sync(root, url, rev=middle)
    report = sync(root, url)  # incremental from the middle
    assert report.mode == "incremental"
    registry = Registry.open(root)
    with connect(url) as db:
        # What is deployed now, per environment.
        for env in ENVS:
            rows = ask(db, "deployed-now", env=env)
            python = deployments.active(registry, env=env)
            command = cli(history, "deployments", "--env", env)["active"]
            assert [(r[0], r[1]) for r in rows] == [(d.model, d.version) for d in python]
            assert [(d["model"], d["version"]) for d in command] == [(r[0], r[1]) for r in rows]
        # The artifact and files of a model's version in an environment.
        for name in MODELS:
            for env in ENVS:
                rows = ask(db, "resolve-env", model=name, env=env)
                found = registry.find(VersionRef(name, "env", env))
                if found is None:
                    assert rows == []
                    continue
                answer = resolve(registry, f"{name}@{env}").as_dict()
                assert {(r[0], r[1]) for r in rows} == {(answer["version"], answer["artifact_id"])}
                locations = sorted(f["location"] for f in answer["files"])
                assert sorted(r[3] for r in rows if r[2] is not None) == locations
        command = cli(history, "resolve", "majora@production")
        expected = registry.find(VersionRef("majora", "env", "production"))
        assert expected is not None and command["version"] == expected.version
        # As of every commit: the files then, the commit as of its time, the records' times.
        for commit, when in history.commits:
            docs = files_at(history.repo, commit)
            at_time = Registry.open(root, at=when)
            for env in ENVS:
                rows = ask(db, "deployed-at", env=env, t=canonical_ts(when))
                by_sql = {r[0]: r[1] for r in rows}
                for name in MODELS:
                    then = deployed_per_files(docs, name, env)
                    found = at_time.find(VersionRef(name, "env", env))
                    assert by_sql.get(name) == then == (found.version if found else None), (
                        when,
                        name,
                        env,
                    )
        # Every deployment with who, when, and the recording commits.
        rows = ask(db, "deployment-history", model="majora")
        command = cli(history, "deployments", "majora")["history"]
        key = lambda d: (d["deployed_at"], d["env"], d["version"])  # noqa: E731
        assert [
            (r[1], r[2], canonical_ts(r[3]), r[4], canonical_ts(r[5]) if r[5] else None, r[8], r[9])
            for r in rows
        ] == [
            (
                d["env"],
                d["version"],
                canonical_ts(d["deployed_at"]),
                d["deployed_by"],
                canonical_ts(d["undeployed_at"]) if d["undeployed_at"] else None,
                (d["deployed_commit"] or {}).get("commit"),
                (d["undeployed_commit"] or {}).get("commit"),
            )
            for d in sorted(command, key=key)
        ]
        subjects = history.repo.git("log", "--format=%s")
        assert "rollback" in subjects and "to staging" in subjects  # the history has both
        # Promoted versions above an accuracy, best first.
        for minimum in (0.5, 0.8):
            rows = ask(db, "promoted-by-accuracy", min_accuracy=minimum)
            expr = f"promotion = 'promoted' AND metrics.accuracy > {minimum}"
            python = search(registry, expr, "metrics.accuracy desc")
            command = cli(history, "search", expr, "--order-by", "metrics.accuracy desc")
            refs = [f"{r[0]}@{r[1]}" for r in rows]
            assert refs == [v.ref_text for v in python]
            assert refs == [v["ref"] for v in command["versions"]]
        # Everything derived from the outside base, through every generation.
        rows = ask(db, "derived-from", base=QWEN_ID)
        python = search(registry, f"derived_from = '{QWEN_ID}'")
        command = cli(history, "lineage", "Qwen/Qwen2.5-Coder-7B", "--down")["descendants"]
        assert {f"{r[0]}@{r[1]}" for r in rows} == {v.ref_text for v in python}
        assert {(f"{r[0]}@{r[1]}", int(r[2])) for r in rows} == {
            (s["ref"], s["depth"]) for s in command
        }
        assert {r[0] for r in rows} == set(MODELS)  # across models
        # Promotion decisions, as the files say.
        rows = ask(db, "promotion-decisions", model="majora")
        for row in rows:
            data = registry.get(f"majora@{row[1]}").data
            assert row[2] == data["owner"] and row[3] == data["promotion"]["state"]
            assert row[4] == data["promotion"].get("decided_by")
        # Incremental equals full for the detail tables.
        incremental = snapshot(db)
    fresh = f"sqlite:///{Path(str(root)).parent / 'full.sqlite3'}"
    sync(root, fresh, full=True)
    with connect(fresh) as db:
        assert snapshot(db) == incremental


def test_cli_python_and_sql_agree_on_sqlite(history: History, tmp_path: Path) -> None:
    check_agreement(history, f"sqlite:///{tmp_path / 'answers.sqlite3'}")


@pytest.mark.postgres
def test_cli_python_and_sql_agree_on_postgresql(history: History, pg_url: str) -> None:
    check_agreement(history, pg_url)


def test_status_sees_a_detail_row_edited_by_hand(history: History, tmp_path: Path) -> None:
    from afsreg.db.status import status

    url = f"sqlite:///{tmp_path / 'status.sqlite3'}"
    sync(history.repo.root, url)
    assert not status(history.repo.root, url).drift
    with connect(url) as db, db.transaction():
        db.execute("UPDATE afsreg_deployments SET deployed_by = 'mallory'")
    report = status(history.repo.root, url)
    assert report.drift and any(d.startswith("afsreg_deployments ") for d in report.different)
    sync(history.repo.root, url, full=True)
    assert not status(history.repo.root, url).drift
