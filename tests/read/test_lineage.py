"""The lineage graph: traversal across models, version trees, mermaid and dot export."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import GitRegistry

from afsreg.errors import NotFoundError
from afsreg.read.lineage import LineageGraph, to_dot, to_mermaid, version_tree
from afsreg.registry import Registry


@dataclass
class V:
    name: str
    version: str
    data: dict[str, Any] = field(default_factory=dict)


def v(
    ref: str, parent: str | None = None, bases: list[dict[str, Any]] | None = None, **data: Any
) -> V:
    name, _, version = ref.partition("@")
    lineage: dict[str, Any] = {}
    if parent:
        lineage["parent"] = parent
    if bases:
        lineage["base_models"] = bases
    doc = {
        "promotion": {"state": data.pop("state", "candidate")},
        "status": data.pop("status", "completed"),
        **data,
    }
    if lineage:
        doc["lineage"] = lineage
    return V(name, version, doc)


QWEN = {"external": "Qwen/Qwen2.5-Coder-7B", "source": "huggingface", "relation": "fine-tune"}


def majora_family() -> LineageGraph:
    return LineageGraph.from_versions(
        [
            v(
                "majora@v1",
                bases=[QWEN],
                state="promoted",
                status="deployed",
                training_data=[{"name": "majora-train"}],
                code={"commit_sha": "abc123def456"},
            ),
            v(
                "majora@v2",
                parent="v1",
                bases=[{"model": "majora@v1", "relation": "fine-tune"}],
                training_data=[{"name": "majora-train"}, {"name": "majora-extra"}],
            ),
            v(
                "majora@v2.1",
                parent="v2",
                training_data=[{"name": "majora-train"}, {"name": "majora-extra"}],
            ),
            v("majora@v3", parent="v2"),
            v("majora-q4@v1", bases=[{"model": "majora@v2", "relation": "quantized"}]),
        ]
    )


def test_ancestors_follow_parents_and_base_models_across_models() -> None:
    graph = majora_family()
    steps = graph.ancestors("majora-q4@v1")
    assert [(s.depth, s.node.id) for s in steps] == [
        (0, "majora-q4@v1"),
        (1, "majora@v2"),
        (2, "majora@v1"),
        (3, "huggingface:Qwen/Qwen2.5-Coder-7B"),
    ]
    assert steps[1].via is not None and steps[1].via.relation == "quantized"
    # majora@v2 -> majora@v1 is both a parent pointer and a base model: one edge.
    assert steps[2].via is not None and steps[2].via.kinds == ("parent", "base_model")
    assert steps[3].node.kind == "external"


def test_each_step_says_what_it_added() -> None:
    graph = majora_family()
    steps = {s.node.id: s for s in graph.ancestors("majora@v2")}
    assert steps["majora@v2"].training_data_added == ["majora-extra"]
    assert steps["majora@v2"].base_models == ["majora@v1 (fine-tune)"]
    assert steps["majora@v1"].training_data_added == ["majora-train"]
    assert steps["majora@v1"].code_commit == "abc123def456"
    assert steps["majora@v1"].base_models == ["huggingface:Qwen/Qwen2.5-Coder-7B (fine-tune)"]
    assert graph.step(0, graph.nodes["majora@v2.1"], None).training_data_added == []


def test_descendants_include_other_models() -> None:
    graph = majora_family()
    assert [(s.depth, s.node.id) for s in graph.descendants("majora@v1")] == [
        (0, "majora@v1"),
        (1, "majora@v2"),
        (2, "majora@v2.1"),
        (2, "majora@v3"),
        (2, "majora-q4@v1"),
    ]


def test_unknown_and_dangling_references() -> None:
    graph = LineageGraph.from_versions([v("a@v2", parent="v1")])
    with pytest.raises(NotFoundError, match="a@v1"):
        graph.ancestors("a@v1")  # referenced but not in the registry
    assert graph.nodes["a@v1"].kind == "missing"
    rows = version_tree(graph, "a")
    assert [(r.node.id, r.note) for r in rows] == [("a@v2", "parent a@v1 is not in the registry")]
    with pytest.raises(NotFoundError, match="nope"):
        version_tree(graph, "nope")


def test_a_thousand_deep_chain_needs_no_recursion() -> None:
    depth = max(1000, sys.getrecursionlimit() + 10)
    versions = [v("deep@v1")] + [v(f"deep@v{i}", parent=f"v{i - 1}") for i in range(2, depth + 1)]
    graph = LineageGraph.from_versions(versions)
    up = graph.ancestors(f"deep@v{depth}")
    assert len(up) == depth and up[-1].node.id == "deep@v1" and up[-1].depth == depth - 1
    assert len(graph.descendants("deep@v1")) == depth
    rows = version_tree(graph, "deep")
    assert len(rows) == depth and rows[-1].depth == depth - 1
    assert to_mermaid(graph, "deep").count("-->") == depth - 1


def test_cycles_terminate_and_are_flagged() -> None:
    graph = LineageGraph.from_versions([v("c@v1", parent="v2"), v("c@v2", parent="v1")])
    assert {s.node.id for s in graph.ancestors("c@v1")} == {"c@v1", "c@v2"}
    rows = version_tree(graph, "c")
    assert {r.note for r in rows} == {"on a parent cycle"}


def test_version_tree_draws_branches_with_state() -> None:
    rows = version_tree(majora_family(), "majora")
    drawn = [f"{r.prefix}{r.node.version} [{r.node.state_label}]" for r in rows]
    assert drawn == [
        "v1 [promoted, deployed]",
        "└─ v2 [candidate, completed]",
        "   ├─ v2.1 [candidate, completed]",
        "   └─ v3 [candidate, completed]",
    ]
    assert rows[2].as_dict()["parent"] == "majora@v2"


def test_mermaid_output() -> None:
    text = to_mermaid(majora_family(), "majora-q4")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '    n0(["huggingface:Qwen/Qwen2.5-Coder-7B<br/>external"])' in lines
    assert '    n1["majora@v1<br/>promoted, deployed"]' in lines
    assert "    n1 -->|fine-tune| n2" in lines
    assert "    n2 -->|quantized| n3" in lines
    assert "    class n1 promoted" in lines


def test_mermaid_and_dot_escape_quotes() -> None:
    odd = {"external": 'evil"model|x', "source": "other", "relation": "merge"}
    graph = LineageGraph.from_versions([v("a@v1", bases=[odd])])
    assert "evil#quot;model#124;x" in to_mermaid(graph)
    assert '"other:evil\\"model|x"' in to_dot(graph)


def test_dot_output() -> None:
    text = to_dot(majora_family())
    assert text.startswith("digraph lineage {\n    rankdir=LR;")
    assert '    "majora@v1" -> "majora@v2" [label="fine-tune"];' in text
    assert '    "majora@v2" -> "majora@v3" [label="parent"];' in text
    assert (
        '"majora@v1" [label="majora@v1\\npromoted, deployed", style=filled, fillcolor="#d4edda"];'
        in text
    )
    assert text.rstrip().endswith("}")


def test_graph_from_a_real_registry(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("base", "v1", promotion={"state": "promoted"})
    g.write_model(
        "base",
        "v2",
        lineage={"parent": "v1", "base_models": [{"model": "base@v1", "relation": "fine-tune"}]},
        training_data=[{"name": "train-set", "samples": 100}, {"name": "more"}],
    )
    g.write_model(
        "small", "v1", lineage={"base_models": [{"model": "base@v2", "relation": "quantized"}]}
    )
    g.commit("registry")
    registry = Registry.open(g.root)
    assert registry.errors == []

    graph = LineageGraph.from_versions(registry)

    assert [s.node.id for s in graph.ancestors("small@v1")] == ["small@v1", "base@v2", "base@v1"]
    assert graph.ancestors("base@v2")[0].training_data_added == ["more"]
