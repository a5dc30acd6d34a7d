"""The JSON API's answers, as plain data: the same views the CLI prints.

Each function takes a Snapshot and returns JSON-able data, or raises
NotFoundError / RefError (the server turns them into 404 / 400).
"""

from __future__ import annotations

from typing import Any

from afsreg.errors import NotFoundError
from afsreg.format.refs import parse_name_or_ref
from afsreg.read import views
from afsreg.read.resolve import resolve
from afsreg.read.search import search
from afsreg.web.snapshot import Snapshot


def models(snapshot: Snapshot) -> list[dict[str, Any]]:
    return views.model_rows(snapshot.registry, with_metrics=True)


def model(snapshot: Snapshot, name: str) -> dict[str, Any]:
    parse_name_or_ref(name)  # a malformed name is a RefError, not "not found"
    row = next((r for r in models(snapshot) if r["name"] == name), None)
    if row is None:
        raise NotFoundError(f"{name}: no such model in the registry")
    return {**row, "version_rows": views.version_rows(snapshot.registry, name, with_metrics=True)}


def version(snapshot: Snapshot, ref: str) -> dict[str, Any]:
    return views.show(resolve(snapshot.registry, ref).version)


def resolved(snapshot: Snapshot, ref: str) -> dict[str, Any]:
    v = resolve(snapshot.registry, ref).version
    return {"ref": ref, "resolved": v.ref_text, "path": v.path, "commit": snapshot.commit}


def search_rows(snapshot: Snapshot, expr: str) -> list[dict[str, Any]]:
    """Versions matching an ``afsreg search`` expression (every version when it is empty)."""
    found = search(snapshot.registry, expr or None)
    return [{"ref": v.ref_text, **views.version_row(v, with_metrics=True)} for v in found]


def lineage(snapshot: Snapshot, ref: str, direction: str) -> list[dict[str, Any]]:
    v = resolve(snapshot.registry, ref).version
    graph = snapshot.graph
    steps = graph.ancestors(v.ref_text) if direction == "up" else graph.descendants(v.ref_text)
    return [s.as_dict() for s in steps]


def history(snapshot: Snapshot, ref: str) -> list[dict[str, Any]]:
    v = resolve(snapshot.registry, ref).version
    return [e.as_dict() for e in snapshot.version_log(v)]
