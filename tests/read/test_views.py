"""Listing rows carry the metrics read through the field store: the same cold, warm and after an edit."""

from __future__ import annotations

import shutil

from conftest import GitRegistry

from afsreg.read.views import model_rows, version_rows
from afsreg.registry import Registry


def test_metrics_in_rows_follow_the_files(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("m", "v1", evaluation_metrics={"accuracy": 0.5, "rouge": {"rouge1": 0.25}})
    g.write_model("m", "v2", evaluation_metrics={"accuracy": 0.75, "note": "text is not a metric"})
    g.commit("two versions")
    expected = [{"accuracy": 0.5, "rouge.rouge1": 0.25}, {"accuracy": 0.75}]
    for _ in range(2):  # cold, then from the store
        registry = Registry.open(g.root)
        assert [r["metrics"] for r in version_rows(registry, "m", with_metrics=True)] == expected
        assert model_rows(registry, with_metrics=True)[0]["metrics"] == expected[1]
    shutil.rmtree(g.root / ".git" / "afsreg")
    registry = Registry.open(g.root)
    assert [r["metrics"] for r in version_rows(registry, "m", with_metrics=True)] == expected

    g.write_model("m", "v2", evaluation_metrics={"accuracy": 0.9})
    assert model_rows(Registry.open(g.root), with_metrics=True)[0]["metrics"] == {"accuracy": 0.9}
    assert "metrics" not in model_rows(Registry.open(g.root))[0]
