"""Deployment listings read each file's records from the field store: the same answer as the files."""

from __future__ import annotations

import shutil

from conftest import GitRegistry

from afsreg.git.store import cache_file
from afsreg.read.deployments import active, attach_commits, history
from afsreg.registry import Registry


def _deployment(env: str, at: str, until: str | None = None) -> dict[str, str]:
    record = {"env": env, "deployed_at": at, "deployed_by": "alice"}
    if until:
        record.update(undeployed_at=until, undeployed_by="bob", reason="rollback")
    return record


def _rows(registry: Registry) -> list[tuple[str, str, str, str | None, str | None]]:
    found = attach_commits(registry, history(registry))
    return [
        (
            f"{d.model}@{d.version}",
            d.env,
            str(d.deployed_at),
            d.undeployed_by,
            (d.deployed_commit or {}).get("commit"),
        )
        for d in found
    ]


def test_history_is_the_same_cold_warm_without_the_store_and_after_an_edit(
    git_registry: GitRegistry,
) -> None:
    g = git_registry
    g.write_model(
        "m",
        "v1",
        deployments=[_deployment("production", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")],
    )
    g.write_model("m", "v2", deployments=[_deployment("production", "2026-01-02T00:00:00Z")])
    g.write_model("n", "v1")
    first = g.commit("deploy")
    expected = [
        ("m@v1", "production", "2026-01-01T00:00:00Z", "bob", first),
        ("m@v2", "production", "2026-01-02T00:00:00Z", None, first),
    ]
    assert _rows(Registry.open(g.root)) == expected
    assert (cache_file(g.root / ".git")).exists()
    assert _rows(Registry.open(g.root)) == expected
    shutil.rmtree(g.root / ".git" / "afsreg")
    assert _rows(Registry.open(g.root)) == expected

    g.write_model("n", "v1", deployments=[_deployment("staging", "2026-01-03T00:00:00Z")])
    second = g.commit("deploy n")
    rows = _rows(Registry.open(g.root))
    assert rows == [*expected, ("n@v1", "staging", "2026-01-03T00:00:00Z", None, second)]
    assert [(d.model, d.env) for d in active(Registry.open(g.root))] == [
        ("m", "production"),
        ("n", "staging"),
    ]
    assert _rows(Registry.open(g.root, rev=first)) == expected
