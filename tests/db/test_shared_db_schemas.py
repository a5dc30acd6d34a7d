"""Host schema variants: preflight adapts to each, or refuses with every reason and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import GitRegistry
from seed_host import artifacts_ddl, build_host, dump

from afsreg.db.connect import connect
from afsreg.db.migrate import load_migrations
from afsreg.db.preflight import PreflightError
from afsreg.db.status import status
from afsreg.db.sync import sync


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/host.sqlite3"
    return str(request.getfixturevalue("pg_url"))


def dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def chain(reg: GitRegistry) -> None:
    """v1 .. v10, each the parent of the next, v9 superseded by v10; an external base model."""
    for n in range(1, 11):
        lineage: dict[str, object] = (
            {"parent": f"v{n - 1}"}
            if n > 1
            else {
                "base_models": [
                    {"external": "org/base", "source": "huggingface", "relation": "fine-tune"}
                ]
            }
        )
        promotion = {"state": "candidate"}
        if n == 9:
            promotion = {"state": "superseded", "superseded_by": "v10"}
        if n == 10:
            promotion = {"state": "promoted"}
        reg.write_model("chain", f"v{n}", lineage=lineage, promotion=promotion)
    reg.commit("chain")


def adapted(reg: GitRegistry, url: str) -> None:
    """Every sync path works and status agrees afterwards."""
    assert len(sync(reg.root, url).added) == 10
    reg.write_model(
        "chain", "v10", lineage={"parent": "v9"}, title="again", promotion={"state": "promoted"}
    )
    reg.commit("edit")
    assert sync(reg.root, url).updated
    sync(reg.root, url, full=True)
    assert not status(reg.root, url).drift


def refused(reg: GitRegistry, url: str, *fragments: str) -> str:
    before = dump(url)
    with pytest.raises(PreflightError) as caught:
        sync(reg.root, url)
    for fragment in fragments:
        assert fragment in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert dump(url) == before
    return str(caught.value)


def test_boolean_is_latest_is_adapted(git_registry: GitRegistry, empty_url: str) -> None:
    build_host(
        empty_url,
        artifacts=artifacts_ddl(dialect(empty_url), is_latest="BOOLEAN NOT NULL DEFAULT FALSE"),
    )
    chain(git_registry)
    adapted(git_registry, empty_url)
    with connect(empty_url) as db:
        rows = db.query(
            "SELECT id FROM artifacts WHERE is_latest = ? AND artifact_type = 'model' AND id LIKE 'chain%'",
            (True,),
        )
    assert rows == [("chain@v10",)]


def test_created_at_not_null_with_a_default_is_adapted(
    git_registry: GitRegistry, empty_url: str
) -> None:
    now = "(datetime('now'))" if dialect(empty_url) == "sqlite" else "(now()::text)"
    build_host(
        empty_url,
        artifacts=artifacts_ddl(dialect(empty_url), created_at=f"TEXT NOT NULL DEFAULT {now}"),
    )
    chain(git_registry)
    adapted(git_registry, empty_url)
    with connect(empty_url) as db:  # the external reference got the host's default, not NULL
        (created,) = db.query(
            "SELECT created_at FROM artifacts WHERE id = 'external:huggingface:org/base'"
        )[0]
    assert created


def test_self_foreign_keys_are_adapted(git_registry: GitRegistry, empty_url: str) -> None:
    extra = ",\n        FOREIGN KEY (parent_version_id) REFERENCES artifacts(id),\n        FOREIGN KEY (superseded_by) REFERENCES artifacts(id)"
    build_host(empty_url, artifacts=artifacts_ddl(dialect(empty_url), extra=extra))
    chain(git_registry)
    adapted(git_registry, empty_url)
    with connect(empty_url) as db:
        assert db.query(
            "SELECT parent_version_id, superseded_by FROM artifacts WHERE id = 'chain@v9'"
        ) == [("chain@v8", "chain@v10")]
    git_registry.remove("models/chain/v10.yaml")
    git_registry.write_model(
        "chain", "v9", lineage={"parent": "v8"}, promotion={"state": "promoted"}
    )
    git_registry.commit("drop v10")
    sync(git_registry.root, empty_url)
    assert not status(git_registry.root, empty_url).drift


def test_a_check_on_lifecycle_state_is_checked_and_refused(
    git_registry: GitRegistry, empty_url: str
) -> None:
    extra = ",\n        CHECK (lifecycle_state IN ('active','retired'))"
    build_host(empty_url, artifacts=artifacts_ddl(dialect(empty_url), extra=extra))
    chain(git_registry)
    message = refused(
        git_registry,
        empty_url,
        "models/chain/v1.yaml: artifacts.lifecycle_state = 'completed'",
        "allowed: active, retired",
    )
    assert "models/chain/v10.yaml" in message  # every row listed, not only the first


def test_a_host_not_null_column_without_default_is_refused(
    git_registry: GitRegistry, empty_url: str
) -> None:
    extra = ",\n        steward TEXT NOT NULL DEFAULT 'atlas',\n        licence TEXT NOT NULL"
    ddl = artifacts_ddl(dialect(empty_url), extra=extra)
    with connect(empty_url) as db, db.transaction():
        db.execute(ddl)
        db.execute(
            "CREATE TABLE model_version_events (id TEXT)"
        )  # the host's own table of that name
    chain(git_registry)
    message = refused(
        git_registry,
        empty_url,
        "artifacts.licence is NOT NULL without a default",
        "table model_version_events already exists",
    )
    assert "steward" not in message  # a default applies: adapted, not refused


@pytest.mark.postgres
def test_jsonb_metadata_and_timestamps_are_adapted(git_registry: GitRegistry, pg_url: str) -> None:
    """jsonb and timestamptz are PostgreSQL types; the TEXT spelling runs in every other test."""
    ddl = (
        artifacts_ddl("postgresql")
        .replace("metadata TEXT", "metadata JSONB")
        .replace("updated_at TEXT", "updated_at TIMESTAMPTZ")
    )
    build_host(pg_url, artifacts=ddl)
    chain(git_registry)
    adapted(git_registry, pg_url)


def test_a_host_schema_migrations_table_is_left_alone(
    git_registry: GitRegistry, empty_url: str
) -> None:
    build_host(empty_url)
    chain(git_registry)
    sync(git_registry.root, empty_url)
    with connect(empty_url) as db:
        assert db.query("SELECT filename FROM schema_migrations") == [("099_model_versions.py",)]
        assert len(db.query("SELECT version FROM afsreg_schema_migrations")) == len(
            load_migrations(db.dialect)
        )


def test_a_database_synced_before_ownership_is_claimed(
    git_registry: GitRegistry, empty_url: str
) -> None:
    """An afsreg database from before 0005: its bookkeeping moves over and its rows become owned."""

    chain(git_registry)
    sync(git_registry.root, empty_url)
    with connect(empty_url) as db, db.transaction():  # back to how an older afsreg left it
        db.execute("DROP TABLE afsreg_owned_rows")
        db.execute("ALTER TABLE afsreg_schema_migrations RENAME TO schema_migrations")
        db.execute("DELETE FROM schema_migrations WHERE version = '0005'")
        db.execute(
            "INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('paper-1', 'paper', ?)",
            (json.dumps({"x": 1}),),
        )
    git_registry.remove("models/chain/v10.yaml")
    git_registry.write_model(
        "chain", "v9", lineage={"parent": "v8"}, promotion={"state": "promoted"}
    )
    git_registry.commit("drop v10")
    report = sync(git_registry.root, empty_url)
    assert report.removed == ["chain@v10"] and "0005_afsreg_owned_rows" in report.migrations
    with connect(empty_url) as db:
        assert not db.table_exists("schema_migrations")
        assert len(db.query("SELECT * FROM afsreg_schema_migrations")) == len(
            load_migrations(db.dialect)
        )
        assert db.query("SELECT id FROM artifacts WHERE id = 'paper-1'") == [("paper-1",)]
    assert not status(git_registry.root, empty_url).drift
