"""The lineage graph: versions linked by parent pointers and base-model pointers.

Edges point from a version to what it was derived from: ``lineage.parent`` (a
version of the same model) and ``lineage.base_models`` (``model: name@version``
inside the registry, or ``external: id`` outside it).  Traversals are iterative
with a visited set, so a 1,000-deep chain or a (invalid) cycle cannot exhaust
the recursion limit or loop forever.

Why ~460 lines in one module: ancestors, descendants, trees and graphs are
four walks over the same edge index (built once per registry); they stay
beside it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from afsreg.errors import NotFoundError
from afsreg.format.document import promotion_state
from afsreg.format.record import VersionLike
from afsreg.format.refs import external_ref, parse_external
from afsreg.format.versions import version_key

MISSING: Any = object()


@dataclass
class Node:
    """A registry version, an external base model, or a version referenced but missing.

    ``source`` is the model version; its file is parsed only when a traversal
    needs more than the registry's summary (training data, code commit).
    """

    id: str
    name: str
    version: str | None = None
    kind: str = "version"  # "version" | "external" | "missing"
    source: Any = None

    @property
    def data(self) -> Mapping[str, Any]:
        data = getattr(self.source, "data", None)
        return data if isinstance(data, Mapping) else {}

    def _summary(self, key: str) -> Any:
        summary = getattr(self.source, "summary", None)
        return summary.get(key) if isinstance(summary, Mapping) else MISSING

    @property
    def promotion_state(self) -> str | None:
        state = self._summary("promotion_state")
        if state is MISSING:
            state = promotion_state(self.data)
        return state if isinstance(state, str) else None

    @property
    def status(self) -> str | None:
        status = self._summary("status")
        if status is MISSING:
            status = self.data.get("status")
        return status if isinstance(status, str) else None

    @property
    def training_data(self) -> list[Any]:
        value = self.data.get("training_data")
        return list(value) if isinstance(value, list) else []

    @property
    def code_commit(self) -> str | None:
        code = self.data.get("code")
        sha = code.get("commit_sha") if isinstance(code, Mapping) else None
        return sha if isinstance(sha, str) else None

    @property
    def state_label(self) -> str:
        parts = [p for p in (self.promotion_state, self.status) if p]
        if self.kind == "external":
            parts = ["external"]
        elif self.kind == "missing":
            parts = ["not in registry"]
        return ", ".join(parts)


@dataclass(frozen=True)
class Edge:
    """``child`` was derived from ``parent``; ``kinds`` says through which pointers."""

    child: str
    parent: str
    kinds: tuple[str, ...]  # subset of ("parent", "base_model")
    relation: str | None = None
    revision: str | None = None  # of an outside base model, when the file names one


@dataclass(frozen=True)
class Step:
    """One node reached in a traversal, with how it was reached and what it added."""

    depth: int
    node: Node
    via: Edge | None
    training_data_added: list[str]
    base_models: list[str]
    code_commit: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "ref": self.node.id,
            "kind": self.node.kind,
            "promotion_state": self.node.promotion_state,
            "status": self.node.status,
            "via": None
            if self.via is None
            else {
                "child": self.via.child,
                "parent": self.via.parent,
                "pointers": list(self.via.kinds),
                "relation": self.via.relation,
                "revision": self.via.revision,
            },
            "training_data_added": self.training_data_added,
            "base_models": self.base_models,
            "code_commit": self.code_commit,
        }


def _lineage(version: VersionLike) -> Mapping[str, Any]:
    """The lineage section, without parsing the file when the registry's summary suffices."""
    summary = getattr(version, "summary", None)
    if isinstance(summary, Mapping) and isinstance(summary.get("base_models"), list):
        parent, bases = summary.get("parent"), summary["base_models"]
        found: dict[str, Any] = {"parent": parent} if isinstance(parent, str) else {}
        if bases:
            found["base_models"] = bases
        return found
    lineage = version.data.get("lineage")
    return lineage if isinstance(lineage, Mapping) else {}


def _dataset_name(item: Any) -> str:
    if isinstance(item, Mapping):
        for key in ("name", "id", "path", "uri"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return item if isinstance(item, str) else repr(item)


def external_id(entry: Mapping[str, Any]) -> str:
    """The node of an outside model: its canonical id (afsreg.format.refs.external_ref).

    One node per outside model whatever revision each version names; the
    revision is kept on the edge.
    """
    source = entry.get("source")
    return external_ref(source if isinstance(source, str) else None, str(entry.get("external")))


class LineageGraph:
    """Versions and their derivation edges; build with ``from_versions``."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.up: dict[str, list[Edge]] = {}
        self.down: dict[str, list[Edge]] = {}

    @classmethod
    def from_versions(cls, versions: Iterable[VersionLike]) -> LineageGraph:
        graph = cls()
        pending: list[tuple[str, str, str, str | None, str | None]] = []
        # (child, parent, kind, relation, revision)
        for v in versions:
            node_id = f"{v.name}@{v.version}"
            graph.nodes[node_id] = Node(node_id, v.name, v.version, "version", v)
            lineage = _lineage(v)
            parent = lineage.get("parent")
            if isinstance(parent, str):
                pending.append((node_id, f"{v.name}@{parent}", "parent", None, None))
            base_models = lineage.get("base_models")
            for entry in base_models if isinstance(base_models, list) else []:
                if not isinstance(entry, Mapping):
                    continue
                relation = entry.get("relation") if isinstance(entry.get("relation"), str) else None
                if isinstance(entry.get("model"), str):
                    pending.append((node_id, entry["model"], "base_model", relation, None))
                elif isinstance(entry.get("external"), str):
                    ext = external_id(entry)
                    graph.nodes.setdefault(ext, Node(ext, str(entry["external"]), None, "external"))
                    revision = entry.get("revision")
                    revision = str(revision) if revision is not None else None
                    pending.append((node_id, ext, "base_model", relation, revision))
        merged: dict[tuple[str, str], tuple[set[str], str | None, str | None]] = {}
        for child, parent, kind, relation, revision in pending:
            kinds, rel, rev = merged.setdefault((child, parent), (set(), None, None))
            merged[(child, parent)] = (kinds | {kind}, rel or relation, rev or revision)
            if parent not in graph.nodes:
                name, _, version = parent.partition("@")
                graph.nodes[parent] = Node(parent, name, version or None, "missing")
        for (child, parent), (kinds, relation, revision) in merged.items():
            pointers = tuple(k for k in ("parent", "base_model") if k in kinds)
            edge = Edge(child, parent, pointers, relation, revision)
            graph.up.setdefault(child, []).append(edge)
            graph.down.setdefault(parent, []).append(edge)
        for edges in graph.down.values():
            edges.sort(key=lambda e: _node_sort_key(graph.nodes[e.child]))
        return graph

    def node(self, node_id: str) -> Node:
        if node_id not in self.nodes or self.nodes[node_id].kind == "missing":
            same = _same_version_node(self, node_id)
            if same is not None:
                return same
            raise NotFoundError(f"{node_id}: no such version in the registry")
        return self.nodes[node_id]

    def find_external(self, text: str) -> list[Node]:
        """The outside-model nodes ``text`` names: ``Qwen/X`` (any source), ``hf:Qwen/X``, a URL."""
        source, ident = parse_external(text)
        if source is not None:
            wanted = external_ref(source, ident)
            return [n for n in self.nodes.values() if n.kind == "external" and n.id == wanted]
        found = [n for n in self.nodes.values() if n.kind == "external" and n.name == ident]
        return sorted(found, key=lambda n: n.id)

    def parent_of(self, node_id: str) -> Node | None:
        """The node this one is chiefly derived from: its parent pointer, else its first in-registry base model."""
        edges = self.up.get(node_id, [])
        for edge in edges:
            if "parent" in edge.kinds:
                return self.nodes[edge.parent]
        for edge in edges:
            if self.nodes[edge.parent].kind == "version":
                return self.nodes[edge.parent]
        return None

    def step(self, depth: int, node: Node, via: Edge | None) -> Step:
        parent = self.parent_of(node.id)
        inherited = {_dataset_name(d) for d in parent.training_data} if parent else set()
        added = [n for n in (_dataset_name(d) for d in node.training_data) if n not in inherited]
        base = [
            f"{e.parent} ({e.relation})" if e.relation else e.parent
            for e in self.up.get(node.id, [])
            if "base_model" in e.kinds
        ]
        return Step(depth, node, via, added, base, node.code_commit)

    def ancestors(self, node_id: str) -> list[Step]:
        """Everything ``node_id`` derives from, breadth first (nearest first), the node itself at depth 0."""
        return self._walk(node_id, self.up, lambda e: e.parent)

    def descendants(self, node_id: str) -> list[Step]:
        """Everything derived from ``node_id``, breadth first, the node itself at depth 0."""
        return self._walk(node_id, self.down, lambda e: e.child)

    def _walk(self, start: str, edges: Mapping[str, list[Edge]], other: Any) -> list[Step]:
        self.node(start)
        steps = [self.step(0, self.nodes[start], None)]
        seen = {start}
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        while queue:
            current, depth = queue.popleft()
            for edge in edges.get(current, []):
                target = other(edge)
                if target in seen:
                    continue
                seen.add(target)
                steps.append(self.step(depth + 1, self.nodes[target], edge))
                queue.append((target, depth + 1))
        return steps

    def component(self, node_ids: Iterable[str]) -> set[str]:
        """The given nodes plus all their ancestors and descendants."""
        start = list(node_ids)
        result: set[str] = set(start)
        for edges, other in ((self.up, "parent"), (self.down, "child")):
            seen = set(start)
            queue = deque(start)
            while queue:
                for edge in edges.get(queue.popleft(), []):
                    target = getattr(edge, other)
                    if target not in seen:
                        seen.add(target)
                        queue.append(target)
            result |= seen
        return result

    def model_nodes(self, name: str) -> list[Node]:
        found = [n for n in self.nodes.values() if n.name == name and n.kind == "version"]
        if not found:
            raise NotFoundError(f"{name}: no such model in the registry")
        return sorted(found, key=_node_sort_key)


def _same_version_node(graph: LineageGraph, node_id: str) -> Node | None:
    """``m@v1.0`` finds ``m@v1``: missing version parts count as 0 (docs/format.md)."""
    from afsreg.format.versions import version_key

    name, _, version = node_id.partition("@")
    try:
        wanted = version_key(version)
    except ValueError:
        return None
    for other_id, node in graph.nodes.items():
        other_name, _, other_version = other_id.partition("@")
        if other_name != name or node.kind == "missing":
            continue
        try:
            if version_key(other_version) == wanted:
                return node
        except ValueError:
            continue
    return None


def _node_sort_key(node: Node) -> tuple[Any, ...]:
    key: Any = ()
    if node.version and node.kind != "external":
        try:
            key = version_key(node.version)
        except ValueError:
            key = ((-1, 0, 0), 0, ((1, node.version),))
    return (node.name, node.kind == "external", key)


@dataclass(frozen=True)
class TreeRow:
    """One line of a model's version tree."""

    depth: int
    prefix: str
    node: Node
    parent: str | None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.node.id,
            "version": self.node.version,
            "parent": self.parent,
            "depth": self.depth,
            "promotion_state": self.node.promotion_state,
            "status": self.node.status,
            "note": self.note,
        }


def version_tree(graph: LineageGraph, name: str) -> list[TreeRow]:
    """The versions of ``name`` arranged by ``lineage.parent``, roots first, children in version order."""
    nodes = graph.model_nodes(name)
    ids = {n.id for n in nodes}
    children: dict[str, list[Node]] = {}
    roots: list[tuple[Node, str | None]] = []
    for node in nodes:
        parent_edges = [e for e in graph.up.get(node.id, []) if "parent" in e.kinds]
        parent = parent_edges[0].parent if parent_edges else None
        if parent in ids:
            children.setdefault(parent, []).append(node)
        else:
            note = f"parent {parent} is not in the registry" if parent else None
            roots.append((node, note))
    rows: list[TreeRow] = []
    seen: set[str] = set()
    # Stack items: node, indent for it, connector, depth, note.
    stack: list[tuple[Node, str, str, int, str | None]] = [
        (node, "", "", 0, note) for node, note in reversed(roots)
    ]
    while stack:
        node, indent, connector, depth, note = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        parent_edges = [e for e in graph.up.get(node.id, []) if "parent" in e.kinds]
        parent = parent_edges[0].parent if parent_edges else None
        rows.append(TreeRow(depth, indent + connector, node, parent, note))
        kids = children.get(node.id, [])
        child_indent = indent + _continue(connector)
        for i, kid in reversed(list(enumerate(kids))):
            last = i == len(kids) - 1
            stack.append((kid, child_indent, "└─ " if last else "├─ ", depth + 1, None))
    # Versions on a parent cycle are reachable from no root: show them, flagged.
    for node in nodes:
        if node.id not in seen:
            cycle_parent = graph.parent_of(node.id)
            rows.append(
                TreeRow(0, "", node, cycle_parent.id if cycle_parent else None, "on a parent cycle")
            )
    return rows


def _continue(connector: str) -> str:
    if connector == "├─ ":
        return "│  "
    if connector == "└─ ":
        return "   "
    return ""


def _subgraph(graph: LineageGraph, name: str | None) -> tuple[list[Node], list[Edge]]:
    if name is None:
        keep = set(graph.nodes)
    else:
        keep = graph.component(n.id for n in graph.model_nodes(name))
    nodes = sorted((graph.nodes[i] for i in keep), key=_node_sort_key)
    edges = [e for i in sorted(keep) for e in graph.up.get(i, []) if e.parent in keep]
    edges.sort(key=lambda e: (e.parent, e.child))
    return nodes, edges


def to_data(graph: LineageGraph, name: str | None = None) -> dict[str, Any]:
    """The graph (or one model's part of it) as plain data: what ``afsreg graph --format json`` prints."""
    nodes, edges = _subgraph(graph, name)
    return {
        "nodes": [
            {"id": n.id, "kind": n.kind, "promotion_state": n.promotion_state, "status": n.status}
            for n in nodes
        ],
        "edges": [
            {
                "parent": e.parent,
                "child": e.child,
                "pointers": list(e.kinds),
                "relation": e.relation,
            }
            for e in edges
        ],
    }


def _edge_label(edge: Edge) -> str:
    return edge.relation or ("parent" if "parent" in edge.kinds else "base model")


def to_mermaid(graph: LineageGraph, name: str | None = None) -> str:
    """A mermaid flowchart, derivation flowing left to right (parent --> child)."""
    nodes, edges = _subgraph(graph, name)
    ids = {node.id: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["flowchart LR"]
    for node in nodes:
        label = _mermaid_text(node.id)
        if node.state_label:
            label += "<br/>" + _mermaid_text(node.state_label)
        shape = ('(["', '"])') if node.kind == "external" else ('["', '"]')
        lines.append(f"    {ids[node.id]}{shape[0]}{label}{shape[1]}")
    for edge in edges:
        lines.append(
            f"    {ids[edge.parent]} -->|{_mermaid_text(_edge_label(edge))}| {ids[edge.child]}"
        )
    classes = {
        "promoted": [ids[n.id] for n in nodes if n.promotion_state == "promoted"],
        "external": [ids[n.id] for n in nodes if n.kind == "external"],
        "missing": [ids[n.id] for n in nodes if n.kind == "missing"],
    }
    styles = {
        "promoted": "fill:#d4edda,stroke:#28a745",
        "external": "fill:#eeeeee,stroke:#999999,stroke-dasharray:3 3",
        "missing": "fill:#f8d7da,stroke:#dc3545",
    }
    for cls, members in classes.items():
        if members:
            lines.append(f"    classDef {cls} {styles[cls]}")
            lines.append(f"    class {','.join(members)} {cls}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    replacements = {'"': "#quot;", "|": "#124;", "<": "#lt;", ">": "#gt;"}
    return "".join(replacements.get(ch, ch) for ch in text)


def to_dot(graph: LineageGraph, name: str | None = None) -> str:
    """A Graphviz digraph, derivation flowing left to right (parent -> child)."""
    nodes, edges = _subgraph(graph, name)
    lines = ["digraph lineage {", "    rankdir=LR;", "    node [shape=box, fontname=Helvetica];"]
    for node in nodes:
        label = node.id + (f"\\n{_dot_text(node.state_label)}" if node.state_label else "")
        attrs = [f'label="{_dot_text(node.id)}' + label[len(node.id) :] + '"']
        if node.kind == "external":
            attrs.append('style="rounded,dashed"')
        elif node.kind == "missing":
            attrs.append('style=filled, fillcolor="#f8d7da"')
        elif node.promotion_state == "promoted":
            attrs.append('style=filled, fillcolor="#d4edda"')
        lines.append(f'    "{_dot_text(node.id)}" [{", ".join(attrs)}];')
    for edge in edges:
        lines.append(
            f'    "{_dot_text(edge.parent)}" -> "{_dot_text(edge.child)}" [label="{_dot_text(_edge_label(edge))}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
