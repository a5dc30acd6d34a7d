"""Lineage queries from an outside model: everything derived from it, across models and generations."""

from __future__ import annotations

import json

from conftest import GitRegistry, run_afsreg

from afsreg.read.search import search
from afsreg.registry import Registry

QWEN = {"external": "Qwen/Qwen2.5-Coder-7B", "source": "huggingface", "relation": "fine-tune"}


def build(repo: GitRegistry) -> None:
    repo.write_model("majora", "v1", lineage={"base_models": [{**QWEN, "revision": "aaa111"}]})
    repo.write_model("majora", "v2", lineage={"parent": "v1"})
    repo.write_model(
        "majora-q4",
        "v1",
        lineage={"base_models": [{"model": "majora@v2", "relation": "quantized"}]},
    )
    # Another version names another revision of the same outside model: still one node.
    repo.write_model("coder", "v1", lineage={"base_models": [{**QWEN, "revision": "bbb222"}]})
    repo.write_model("other", "v1")
    repo.commit("lineage")


def test_down_from_an_outside_model(git_registry: GitRegistry) -> None:
    build(git_registry)
    for spelling in (
        "Qwen/Qwen2.5-Coder-7B",
        "huggingface:Qwen/Qwen2.5-Coder-7B",
        "hf:Qwen/Qwen2.5-Coder-7B",
        "https://huggingface.co/Qwen/Qwen2.5-Coder-7B",
    ):
        result = run_afsreg(["lineage", spelling, "--down", "--format", "json"], git_registry.root)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["nodes"] == ["huggingface:Qwen/Qwen2.5-Coder-7B"]
        got = {
            (s["ref"], s["depth"], s["via"]["relation"] or "/".join(s["via"]["pointers"]))
            for s in data["descendants"]
        }
        assert got == {
            ("majora@v1", 1, "fine-tune"),
            ("coder@v1", 1, "fine-tune"),
            ("majora@v2", 2, "parent"),
            ("majora-q4@v1", 3, "quantized"),
        }
        revisions = {s["ref"]: s["via"]["revision"] for s in data["descendants"]}
        assert revisions["majora@v1"] == "aaa111" and revisions["coder@v1"] == "bbb222"
    table = run_afsreg(["lineage", "Qwen/Qwen2.5-Coder-7B", "--down"], git_registry.root)
    assert "majora-q4@v1" in table.stdout and "quantized" in table.stdout


def test_search_derived_from_uses_the_same_id(git_registry: GitRegistry) -> None:
    build(git_registry)
    registry = Registry.open(git_registry.root)
    found = search(registry, "derived_from = 'huggingface:Qwen/Qwen2.5-Coder-7B'", "name, version")
    assert [v.ref_text for v in found] == ["coder@v1", "majora@v1", "majora@v2", "majora-q4@v1"]
    direct = search(registry, "base_models = 'huggingface:Qwen/Qwen2.5-Coder-7B'")
    assert [v.ref_text for v in direct] == ["coder@v1", "majora@v1"]


def test_an_unknown_outside_model_is_a_clear_error(git_registry: GitRegistry) -> None:
    build(git_registry)
    result = run_afsreg(["lineage", "Qwen/Nope", "--down"], git_registry.root)
    assert result.returncode == 1
    assert "huggingface:Qwen/Qwen2.5-Coder-7B" in result.stderr  # names what there is
    assert "Traceback" not in result.stderr
