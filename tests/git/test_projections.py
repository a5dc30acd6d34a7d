"""Stored field values by (field, blob id): computed once per blob, the same answer cold, warm and without the store."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import yaml
from conftest import GitRegistry

from afsreg.format.record import ModelVersion, summarize
from afsreg.git import projections
from afsreg.git.projections import project
from afsreg.git.sources import SourceFile, git_blob_id
from afsreg.git.store import cache_file

VALUES: list[Any] = [
    None,
    "text",
    "",
    0,
    7,
    2**70,  # beyond SQLite's integers: kept as JSON
    0.85,
    -1.5e-9,
    True,
    False,
    ["a", 1, None],
    {"nested": {"x": [1.5]}},
    [],
]


def _version(n: int, value: Any) -> ModelVersion:
    data = {"name": "m", "version": f"v{n}", "value": value}
    content = yaml.safe_dump(data).encode()
    source = SourceFile(f"models/m/v{n}.yaml", content, git_blob_id(content))
    return ModelVersion(source, summarize(data, "m", f"v{n}"))


def _counting(calls: list[str]) -> Any:
    def compute(version: ModelVersion) -> Any:
        calls.append(version.blob_id)
        return version.data.get("value")

    return compute


def test_values_are_computed_once_and_read_back_unchanged(git_registry: GitRegistry) -> None:
    git_dir = Path(git_registry.root) / ".git"
    versions = [_version(n, value) for n, value in enumerate(VALUES)]
    calls: list[str] = []
    cold = project(versions, {"value": _counting(calls)}, git_dir)["value"]
    assert sorted(calls) == sorted(v.blob_id for v in versions)
    assert [cold[v.blob_id] for v in versions] == VALUES
    assert type(cold[versions[VALUES.index(True)].blob_id]) is bool

    calls.clear()
    warm = project(versions, {"value": _counting(calls)}, git_dir)["value"]
    assert calls == []  # every value came from the store
    assert warm == cold
    assert [type(warm[v.blob_id]) for v in versions] == [type(x) for x in VALUES]


def test_a_new_blob_is_computed_and_the_others_are_not(git_registry: GitRegistry) -> None:
    git_dir = Path(git_registry.root) / ".git"
    first = [_version(1, 0.5), _version(2, 0.6)]
    project(first, {"value": _counting([])}, git_dir)
    edited = [first[0], _version(2, 0.9)]
    calls: list[str] = []
    found = project(edited, {"value": _counting(calls)}, git_dir)["value"]
    assert calls == [edited[1].blob_id]
    assert found == {edited[0].blob_id: 0.5, edited[1].blob_id: 0.9}


def test_no_store_and_a_deleted_store_give_the_same_answer(git_registry: GitRegistry) -> None:
    git_dir = Path(git_registry.root) / ".git"
    versions = [_version(1, {"a": 1}), _version(2, math.inf)]
    stored = project(versions, {"value": _counting([])}, git_dir)
    shutil.rmtree(git_dir / "afsreg")
    assert project(versions, {"value": _counting([])}, git_dir) == stored
    assert project(versions, {"value": _counting([])}, None) == stored


def test_a_corrupt_store_is_ignored(git_registry: GitRegistry) -> None:
    git_dir = Path(git_registry.root) / ".git"
    (git_dir / "afsreg").mkdir(parents=True, exist_ok=True)
    cache_file(git_dir).write_bytes(b"not a database" * 100)
    versions = [_version(1, "x")]
    assert project(versions, {"value": _counting([])}, git_dir) == {
        "value": {versions[0].blob_id: "x"}
    }


def test_values_of_blobs_gone_are_dropped_once_they_outnumber_the_live_ones(
    git_registry: GitRegistry,
) -> None:
    git_dir = Path(git_registry.root) / ".git"
    old = [_version(n, n) for n in range(1200)]
    project(old, {"value": _counting([])}, git_dir)
    live = [_version(5000, "live")]
    project(live, {"value": _counting([])}, git_dir)
    db = projections._connect(git_dir)
    assert db is not None
    assert db.execute("SELECT COUNT(*) FROM field_values").fetchone()[0] == 1
