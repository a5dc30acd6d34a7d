"""A shallow clone deepened after a sync (`git fetch --unshallow`): the next sync brings in the history."""

from __future__ import annotations

from pathlib import Path

from conftest import GitRegistry, git

from afsreg.db.connect import connect
from afsreg.db.status import status
from afsreg.db.sync import sync


def event_count(url: str) -> int:
    with connect(url) as db:
        return int(db.query("SELECT COUNT(*) FROM model_version_events")[0][0])


def test_sync_after_unshallow_is_not_already_synced(
    git_registry: GitRegistry, db_url: str, tmp_path: Path
) -> None:
    reg = git_registry
    reg.write_model("m", "v1")
    reg.commit("m v1")
    reg.write_model("m", "v1", title="m v1, renamed")
    reg.commit("m v1 title")
    reg.write_model("m", "v2")
    reg.commit("m v2")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{reg.root}", str(clone))

    first = sync(clone, db_url)
    assert first.mode == "full"
    shallow_events = event_count(db_url)
    assert sync(clone, db_url).mode == "noop"

    git(clone, "fetch", "-q", "--unshallow")
    deepened = sync(clone, db_url)
    assert deepened.mode == "full"
    assert "deepened" in deepened.reason
    # Three commits touched model files: each now has its audit rows.
    assert event_count(db_url) > shallow_events
    assert not status(clone, db_url).drift
    assert sync(clone, db_url).mode == "noop"
