"""The JSON API's answers, as plain data: the same views the CLI prints.

Each function takes a Snapshot and returns JSON-able data, or raises
NotFoundError / RefError (the server turns them into 404 / 400).
"""

from __future__ import annotations

from typing import Any

from afsreg.errors import NotFoundError
from afsreg.format.refs import parse_name_or_ref
from afsreg.read import views
from afsreg.web.resolve import resolve, search
from afsreg.web.snapshot import Snapshot


def models(snapshot: Snapshot) -> list[dict[str, Any]]:
    return views.model_rows(snapshot.registry)


def model(snapshot: Snapshot, name: str) -> dict[str, Any]:
    parse_name_or_ref(name)  # a malformed name is a RefError, not "not found"
    row = next((r for r in views.model_rows(snapshot.registry) if r["name"] == name), None)
    if row is None:
        raise NotFoundError(f"{name}: no such model in the registry")
    return {**row, "version_rows": views.version_rows(snapshot.registry, name)}


def version(snapshot: Snapshot, ref: str) -> dict[str, Any]:
    return views.show(resolve(snapshot.registry, ref))


def resolved(snapshot: Snapshot, ref: str) -> dict[str, Any]:
    v = resolve(snapshot.registry, ref)
    return {"ref": ref, "resolved": v.ref_text, "path": v.path, "commit": snapshot.commit}


def search_rows(snapshot: Snapshot, query: str) -> list[dict[str, Any]]:
    return [{"ref": v.ref_text, **views.version_row(v)} for v in search(snapshot.registry, query)]


def lineage(snapshot: Snapshot, ref: str, direction: str) -> list[dict[str, Any]]:
    v = resolve(snapshot.registry, ref)
    graph = snapshot.graph
    steps = graph.ancestors(v.ref_text) if direction == "up" else graph.descendants(v.ref_text)
    return [s.as_dict() for s in steps]


def history(snapshot: Snapshot, ref: str) -> list[dict[str, Any]]:
    v = resolve(snapshot.registry, ref)
    return [e.as_dict() for e in snapshot.version_log(v)]
