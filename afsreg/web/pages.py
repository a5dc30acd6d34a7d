"""The catalogue's HTML pages: an index, a page per model, a page per version.

The same pages are written by ``afsreg site`` and served by ``afsreg serve``:
each page's links are relative (``../../models/majora/v2.html``), so the
site works from any folder, under any URL prefix, and from ``file://``.

Layout of the site (paths relative to its root):

    index.html                          every model, with search and filters
    models/<name>/index.html            versions, metric charts, deployments
    models/<name>/<version>.html        every field, lineage, history, card
    models/<name>/<version>.card.md     the Hugging Face model card
    static/site.css, static/site.js
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from afsreg.errors import NotFoundError
from afsreg.format.document import MODEL_FIELDS
from afsreg.format.fields import flatten, format_value, metrics
from afsreg.format.record import ModelVersion
from afsreg.read import views
from afsreg.read.card import metric_name
from afsreg.read.lineage import Node
from afsreg.web.snapshot import Snapshot
from afsreg.web.svg import Point, Span, lineage_svg, metric_chart_svg, timeline_svg

STATIC_FILES = ("site.css", "site.js")
HUB = "https://huggingface.co/"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("afsreg.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["value"] = display_value
    return env


def display_value(value: Any) -> str:
    """A field value for a page: a list of plain values as ``a, b``, anything else as the CLI shows it."""
    if isinstance(value, list) and all(isinstance(x, str | int | float) for x in value):
        return ", ".join(str(x) for x in value)
    return format_value(value)


def static_file(name: str) -> bytes:
    """One of the site's own assets (CSS, JS), as shipped in the package."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return (resources.files("afsreg.web") / "static" / name).read_bytes()


def model_path(name: str) -> str:
    return f"models/{name}/index.html"


def version_path(name: str, version: str) -> str:
    return f"models/{name}/{version}.html"


def card_path(name: str, version: str) -> str:
    return f"models/{name}/{version}.card.md"


def _render(template: str, root: str, snapshot: Snapshot, **context: Any) -> str:
    return (
        _environment()
        .get_template(template)
        .render(root=root, commit=snapshot.commit, commit_time=snapshot.commit_time, **context)
    )


# -- index ------------------------------------------------------------------


def index_entries(snapshot: Snapshot) -> list[dict[str, Any]]:
    """A row per model with what the index shows and filters on."""
    registry = snapshot.registry
    entries = []
    for row in views.model_rows(registry):
        versions = registry.versions(row["name"])
        latest = registry.latest(row["name"]) or versions[-1]
        data = latest.data
        tags = sorted({t for v in versions for t in (v.data.get("tags") or [])})
        states = sorted(
            {v.promotion_state for v in versions} | {v.status for v in versions if v.status}
        )
        entries.append(
            {
                **row,
                "title": latest.title,
                "description": data.get("description") or "",
                "owner": data.get("owner"),
                "model_family": data.get("model_family"),
                "is_external": bool(data.get("is_external")),
                "tags": tags,
                "states": states,
                "metrics": {metric_name(k): v for k, v in metrics(data).items()},
                "href": model_path(row["name"]),
            }
        )
    return entries


def render_index(snapshot: Snapshot) -> str:
    entries = index_entries(snapshot)
    facets = {
        "tag": sorted({t for e in entries for t in e["tags"]}),
        "state": sorted({s for e in entries for s in e["states"]}),
        "framework": sorted({e["framework"] for e in entries if e["framework"]}),
        "metric": sorted({m for e in entries for m in e["metrics"]}),
    }
    # The filter script reads this; < > & are escaped so no text from a file can end
    # the script element or start markup inside it.
    data = (
        json.dumps(entries, ensure_ascii=False, default=str)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return _render(
        "index.html",
        "",
        snapshot,
        entries=entries,
        facets=facets,
        data=Markup(data),
        versions=len(snapshot.registry),
    )


# -- model ------------------------------------------------------------------


def _linker(snapshot: Snapshot) -> Callable[[Node], str | None]:
    """Where a lineage node's link goes, from a model or version page (two folders deep).

    A registry version links to its page. An external base links to the
    registry's own record of that model when there is one (an external version
    whose source URL is the base's Hub page), else to its Hub page.
    """
    recorded = snapshot.by_source_url

    def href(node: Node) -> str | None:
        if node.kind == "version" and node.version:
            return f"../../{version_path(node.name, node.version)}"
        if node.kind == "external" and node.id.startswith("huggingface:"):
            record = recorded.get(f"{HUB}{node.name}")
            if record is not None:
                return f"../../{version_path(record.name, record.version)}"
            return f"{HUB}{node.name}"
        return None

    return href


def render_model(snapshot: Snapshot, name: str) -> str:
    registry = snapshot.registry
    versions = registry.versions(name)
    if not versions:
        raise NotFoundError(f"{name}: no such model in the registry")
    rows = []
    per_metric: dict[str, list[Point]] = {}
    all_metrics = sorted({m for v in versions for m in metrics(v.data)})
    spans: list[Span] = []
    for v in versions:
        found = metrics(v.data)
        href = f"{v.version}.html"
        rows.append(
            {
                **views.version_row(v),
                "href": href,
                "created_at": v.data.get("created_at"),
                "metrics": [found.get(m) for m in all_metrics],
            }
        )
        for m in all_metrics:
            per_metric.setdefault(m, []).append(Point(v.version, found.get(m), href))
        for d in v.data.get("deployments") or []:
            if isinstance(d, dict) and d.get("env") and d.get("deployed_at"):
                spans.append(
                    Span(d["env"], v.version, str(d["deployed_at"]), d.get("undeployed_at"), href)
                )
    charts = [
        Markup(svg) for m in all_metrics if (svg := metric_chart_svg(metric_name(m), per_metric[m]))
    ]
    latest = registry.latest(name) or versions[-1]
    return _render(
        "model.html",
        "../../",
        snapshot,
        name=name,
        latest=latest,
        promoted=registry.promoted(name),
        title=latest.title or name,
        description=latest.data.get("description"),
        rows=rows,
        metric_names=[metric_name(m) for m in all_metrics],
        charts=charts,
        timeline=Markup(timeline_svg(spans, snapshot.commit_time)),
        deployments=_deployment_rows(versions),
        history=snapshot.model_log(name)[:30],
        lineage=Markup(lineage_svg(snapshot.graph, latest.ref_text, _linker(snapshot))),
    )


def _deployment_rows(versions: list[ModelVersion]) -> list[dict[str, Any]]:
    rows = [
        {"version": v.version, **d}
        for v in versions
        for d in v.data.get("deployments") or []
        if isinstance(d, dict)
    ]
    return sorted(rows, key=lambda r: str(r.get("deployed_at")), reverse=True)


# -- version ----------------------------------------------------------------

SECTION_ORDER = (
    ("Identity", ("name", "version", "artifact_id", "title", "owner", "tags", "created_at")),
    ("Model card", ("license", "library_name", "pipeline_tag", "language")),
    ("Model", (*MODEL_FIELDS, "benchmark_id")),
)


def render_version(snapshot: Snapshot, v: ModelVersion) -> str:
    data = v.data
    graph = snapshot.graph
    files = []
    for kind, ref in (data.get("files") or {}).items():
        if isinstance(ref, dict):
            files.append({"kind": kind, **ref})
    found = metrics(data)
    href = _linker(snapshot)
    parents = []
    for step in graph.ancestors(v.ref_text)[1:]:
        parents.append({"ref": step.node.id, "href": href(step.node), "step": step})
    children = []
    for step in graph.descendants(v.ref_text)[1:]:
        children.append({"ref": step.node.id, "href": href(step.node), "step": step})
    sections = [
        (title, [(k, data[k]) for k in keys if k in data and k not in ("description",)])
        for title, keys in SECTION_ORDER
    ]
    card = snapshot.card(v)
    return _render(
        "version.html",
        "../../",
        snapshot,
        v=v,
        data=data,
        title=data.get("title") or v.ref_text,
        sections=[s for s in sections if s[1]],
        metrics=[(metric_name(k), value) for k, value in found.items()],
        files=files,
        lineage=Markup(lineage_svg(graph, v.ref_text, href)),
        ancestors=parents,
        descendants=children,
        history=snapshot.version_log(v),
        review=data.get("review") or [],
        all_fields=list(flatten(data).items()),
        card_text=card.text(),
        card_href=f"{v.version}.card.md",
        siblings=[s.version for s in snapshot.registry.versions(v.name)],
    )
