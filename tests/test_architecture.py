"""The shape of the package: layers, no circles, and docs/architecture.md true of the code.

The layer order is defined here, once; docs/architecture.md describes it and
this test holds the two together. A module may import its own layer and any
layer below; an import up (lazy imports inside functions included) fails.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "afsreg"

# Lowest first. An entry is a module or a package (which covers what is in it).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("afsreg.problems", "afsreg.errors", "afsreg.parallel", "afsreg.version", "afsreg.text"),
    ("afsreg.format",),
    ("afsreg.git",),
    ("afsreg.checks",),
    ("afsreg.registry",),
    ("afsreg.read",),
    ("afsreg.write",),
    ("afsreg",),  # the package face: names the library API (registry, read model, writes)
    ("afsreg.db",),
    ("afsreg.seeds",),
    ("afsreg.web",),
    ("afsreg.cli",),
    ("afsreg.__main__",),
)

# Imports that run up a layer today, each with why it is still there. The
# test fails when one is added, and when one of these goes away (drop it here).
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The afsreg modules ``name`` imports, anywhere in the file (lazy imports too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.add(target)
            # `from afsreg.db import events` imports the module afsreg.db.events.
            found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def layer_of(module: str) -> int:
    best: tuple[int, int] | None = None  # (length of the matching entry, layer)
    for index, entries in enumerate(LAYERS):
        for entry in entries:
            matches = module == entry or module.startswith(entry + ".")
            if matches and (best is None or len(entry) > best[0]):
                best = (len(entry), index)
    assert best is not None, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return best[1]


def test_every_module_has_a_layer() -> None:
    for module in modules():
        layer_of(module)


def test_no_import_runs_up_a_layer() -> None:
    upward = {
        (module, target): f"{module} (layer {layer_of(module)}) imports {target} "
        f"(layer {layer_of(target)})"
        for module, targets in graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    }
    assert sorted(set(upward) - set(KNOWN_UPWARD)) == [], "\n".join(
        upward[k] for k in sorted(set(upward) - set(KNOWN_UPWARD))
    )
    assert sorted(set(KNOWN_UPWARD) - set(upward)) == [], "gone: drop it from KNOWN_UPWARD"


def _cycles(edges: dict[str, set[str]]) -> Iterator[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(edges):
        if node not in index:
            yield from visit(node)


def test_the_import_graph_has_no_circle() -> None:
    edges = graph()
    # A package's __init__ that hands on names of its own modules is not a
    # circle with them; only afsreg/__init__.py does that, and nothing imports it.
    assert all("afsreg" not in targets for targets in edges.values()), (
        "a module imports the package face afsreg; import the module that defines the name"
    )
    assert list(_cycles(edges)) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert list(_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == [["a", "b", "c"]]


def _architecture_doc() -> str:
    return (REPO_ROOT / "docs" / "architecture.md").read_text()


def test_architecture_doc_lists_every_module_and_only_real_ones() -> None:
    listed = set(re.findall(r"`(afsreg/[\w/]+\.py)`", _architecture_doc()))
    actual = {
        str(path.relative_to(REPO_ROOT))
        for path in PACKAGE.rglob("*.py")
        # An __init__.py that is only a docstring describes its folder; the Layers table has it.
        if path.name != "__init__.py" or len(ast.parse(path.read_text()).body) > 1
    }
    assert sorted(actual - listed) == [], "modules docs/architecture.md does not describe"
    assert sorted(listed - actual) == [], "modules docs/architecture.md names that do not exist"


def _doc_name(entry: str) -> str:
    """How docs/architecture.md writes a layer entry: a file, the face, or a folder."""
    if entry == "afsreg":
        return "afsreg/__init__.py"
    path = entry.replace(".", "/")
    return f"{path}.py" if (REPO_ROOT / f"{path}.py").exists() else f"{path}/"


def test_architecture_doc_gives_the_layers_in_this_order() -> None:
    section = _architecture_doc().split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
    documented = [tuple(re.findall(r"`(afsreg/[\w/.]*)`", row)) for row in rows]
    assert documented == [tuple(_doc_name(e) for e in entries) for entries in LAYERS]


def test_a_module_over_400_lines_says_why_at_its_top() -> None:
    long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        if text.count("\n") > 400:
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if "Why ~" not in docstring:
                long[str(path.relative_to(REPO_ROOT))] = text.count("\n")
    assert long == {}, "say why at the top ('Why ~N lines in one module: ...'), or split it"
