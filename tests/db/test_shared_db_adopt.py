"""``afsreg adopt``: seed 000's backfill done the git-native way, against a seed-shaped host database.

Done when: on a copy of a seed-shaped database, adopt -> review -> commit -> sync
gives the 8 seed artifacts their model_versions rows (none rejected, at least 6
promoted) attached to their own artifact rows, with every host row, column and
foreign key unchanged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, GitRegistry, run_afsreg
from seed_host import SEED_MODELS, assert_host_unchanged, build_host, dump

from afsreg import Registry
from afsreg.db.adopt import adopt
from afsreg.db.connect import connect
from afsreg.db.status import status
from afsreg.db.sync import sync


@pytest.fixture(params=["sqlite", "postgresql"])
def host_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = (
        f"sqlite:///{tmp_path}/host.sqlite3"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    build_host(url)
    return url


def seed_repo(reg: GitRegistry) -> None:
    """This repository's own models/ (the 8 seed-000 files and majora), committed."""
    shutil.copytree(REPO_ROOT / "models", reg.root / "models", dirs_exist_ok=True)
    reg.commit("The seed files")


def test_adopt_review_commit_sync(git_registry: GitRegistry, host_url: str) -> None:
    reg = git_registry
    seed_repo(reg)
    before = dump(host_url)

    report = adopt(reg.root, host_url)
    assert len(report.written) == 8, report.summary()
    registry = Registry.open(reg.root)
    assert registry.errors == []
    for ident in SEED_MODELS:
        version = next(v for v in registry if v.artifact_id == ident)
        assert not any(f["field"] == "artifact_id" for f in version.review)
    # The host's values are taken where the file had none, and flagged for a person;
    # where they contradict the file, the file stays and a flag names the database's value.
    cell = registry.get("cell-type-classifier@v1")
    assert cell.data["promotion"]["state"] == "promoted"
    assert any(
        f["field"] == "promotion.state" and f.get("known") == "candidate" for f in cell.review
    )
    assert dump(host_url) == before  # adopt only reads the database

    # Running it twice changes nothing.
    assert adopt(reg.root, host_url).written == []

    reg.commit("Adopt the seed rows (reviewed)")
    sync(reg.root, host_url)
    with connect(host_url) as db:
        rows = dict(
            db.query(
                "SELECT artifact_id, promotion_state FROM model_versions WHERE artifact_id IN ("
                + ", ".join("?" for _ in SEED_MODELS)
                + ")",
                list(SEED_MODELS),
            )
        )
        duplicates = db.query(
            "SELECT id FROM artifacts WHERE id LIKE '%@v1' AND id NOT LIKE 'majora%'"
        )
    assert set(rows) == set(SEED_MODELS)
    assert "rejected" not in rows.values()
    assert list(rows.values()).count("promoted") >= 6
    assert duplicates == []  # no name@v1 row beside the seed's own
    assert_host_unchanged(host_url, before)
    assert not status(reg.root, host_url).drift

    # The report now counts the 8 as backfilled.
    out = reg.root / "report.md"
    result = run_afsreg(
        ["report", "ws1", "--database-url", host_url, "--output", str(out)], cwd=reg.root
    )
    assert result.returncode == 0, result.stderr
    assert "attached to the seed's own artifacts row): 8 of 8" in out.read_text()


def test_adopt_brings_outside_writes_into_the_files(
    git_registry: GitRegistry, host_url: str
) -> None:
    """WS3 inserts a version, WS4 promotes one afsreg wrote: adopt writes both into the files."""
    reg = git_registry
    reg.write_model("fresh", "v1", promotion={"state": "candidate"})
    reg.commit("v1")
    sync(reg.root, host_url)
    with connect(host_url) as db, db.transaction():
        db.execute(
            "UPDATE model_versions SET promotion_state = 'promoted' WHERE artifact_id = 'fresh@v1'"
        )
        db.execute(
            "INSERT INTO artifacts (id, artifact_type, title, version_tag, metadata) VALUES (?, 'model', ?, 'v2', ?)",
            (
                "model-ws3-0002",
                "WS3 run 2",
                json.dumps({"model_family": "transformer", "framework": "pytorch"}),
            ),
        )
        db.execute(
            "INSERT INTO model_versions (artifact_id, trained_by, promotion_state, eval_metrics_json) "
            "VALUES ('model-ws3-0002', 'ws3-agent', 'candidate', ?)",
            (json.dumps({"accuracy": 0.91}),),
        )
    result = run_afsreg(
        ["adopt", "--database-url", host_url, "--commit", "-m", "Adopt WS3/WS4"], cwd=reg.root
    )
    assert result.returncode == 0, result.stdout + result.stderr
    registry = Registry.open(reg.root)
    assert registry.get("fresh@v1").promotion_state == "promoted"
    ws3 = registry.get("ws3-run-2@v2")
    assert ws3.artifact_id == "model-ws3-0002"
    assert ws3.data["evaluation_metrics"] == {"accuracy": 0.91}
    assert ws3.data["owner"] == "ws3-agent"
    assert {f["field"] for f in ws3.review} >= {"parameter_count", "training_data", "status"}
    # Now the files agree with the database: sync adopts the WS3 row, stops on nothing.
    sync(reg.root, host_url)
    assert not status(reg.root, host_url).drift
    assert adopt(reg.root, host_url).written == []
