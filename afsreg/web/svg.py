"""Inline SVG drawings for the pages: the lineage graph, metric charts, deployment timelines.

Plain SVG text with CSS classes (colours come from the page's stylesheet, so
light and dark both work), no script and nothing loaded from outside. Every
text from a model file is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from afsreg.read.lineage import Edge, LineageGraph, Node

NODE_W, NODE_H, COL_GAP, ROW_GAP = 190, 46, 90, 18


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def lineage_layers(graph: LineageGraph, keep: set[str]) -> dict[str, int]:
    """Column of each node: the longest derivation path from a root (ancestors to the left).

    Bounded by the number of nodes, so an (invalid) cycle cannot loop forever.
    """
    layer = dict.fromkeys(keep, 0)
    for _ in range(len(keep)):
        changed = False
        for node_id in keep:
            for edge in graph.up.get(node_id, []):
                if edge.parent in keep and layer[node_id] < layer[edge.parent] + 1:
                    layer[node_id] = layer[edge.parent] + 1
                    changed = True
        if not changed:
            break
    return layer


def lineage_svg(
    graph: LineageGraph, focus: str, href: Callable[[Node], str | None], limit: int = 60
) -> str:
    """The lineage component around ``focus``: everything it derives from and everything derived from it."""
    keep = {s.node.id for s in graph.ancestors(focus)} | {
        s.node.id for s in graph.descendants(focus)
    }
    if len(keep) > limit:  # a huge family: the nearest ones only
        steps = graph.ancestors(focus)[: limit // 2] + graph.descendants(focus)[: limit // 2]
        keep = {s.node.id for s in steps}
    layer = lineage_layers(graph, keep)
    columns: dict[int, list[Node]] = {}
    for node_id in sorted(keep, key=lambda i: (graph.nodes[i].name, i)):
        columns.setdefault(layer[node_id], []).append(graph.nodes[node_id])
    pos: dict[str, tuple[int, int]] = {}
    rows = max(len(c) for c in columns.values())
    height = rows * (NODE_H + ROW_GAP) + ROW_GAP
    for col, nodes in columns.items():
        top = (height - len(nodes) * (NODE_H + ROW_GAP) + ROW_GAP) // 2
        for i, node in enumerate(nodes):
            pos[node.id] = (10 + col * (NODE_W + COL_GAP), top + i * (NODE_H + ROW_GAP))
    width = 20 + len(columns) * (NODE_W + COL_GAP) - COL_GAP
    parts = [
        f'<svg class="lineage" role="img" aria-label="lineage of {_text(focus)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    edges: list[Edge] = [e for i in sorted(keep) for e in graph.up.get(i, []) if e.parent in keep]
    for edge in edges:
        (x1, y1), (x2, y2) = pos[edge.parent], pos[edge.child]
        sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H // 2, x2, y2 + NODE_H // 2
        mid = (sx + ex) // 2
        label = edge.relation or ("parent" if "parent" in edge.kinds else "base")
        parts.append(
            f'<path class="edge" d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" '
            'marker-end="url(#arrow)"/>'
            f'<text class="edge-label" x="{mid}" y="{(sy + ey) // 2 - 4}" '
            f'text-anchor="middle">{_text(label)}</text>'
        )
    for node_id, (x, y) in sorted(pos.items()):
        node = graph.nodes[node_id]
        # An external node's id is source:name@revision; its name reads better.
        shown = node.name if node.kind == "external" else node.id
        state = (
            f"external · {node.id.split(':', 1)[0]}"
            if node.kind == "external"
            else node.state_label
        )
        classes = ["node", node.kind]
        if node.promotion_state:
            classes.append(node.promotion_state)
        if node_id == focus:
            classes.append("focus")
        box = (
            f'<g class="{" ".join(classes)}"><title>{_text(node.id)}</title>'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="8"/>'
            f'<text class="node-id" x="{x + 10}" y="{y + 19}">{_text(_clip(shown, 24))}</text>'
            f'<text class="node-state" x="{x + 10}" y="{y + 36}">'
            f"{_text(_clip(state, 30))}</text></g>"
        )
        link = href(node)
        parts.append(f'<a href="{_text(link)}">{box}</a>' if link else box)
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    href: str | None = None


def metric_chart_svg(metric: str, points: Sequence[Point]) -> str:
    """A small line chart of one metric across versions (versions without it are gaps)."""
    width, height, left, right, top, bottom = 320, 150, 44, 12, 22, 28
    values = [p.value for p in points if p.value is not None]
    if not values:
        return ""
    low, high = min(values), max(values)
    if low == high:
        low, high = low - (abs(low) * 0.1 or 1), high + (abs(high) * 0.1 or 1)
    span_x = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + (width - left - right) * (i / span_x if len(points) > 1 else 0.5)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low) / (high - low))

    parts = [
        f'<svg class="chart" role="img" aria-label="{_text(metric)} by version" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text class="chart-title" x="{left}" y="14">{_text(metric)}</text>',
        f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}"/>',
        f'<text class="tick" x="{left - 6}" y="{y(high) + 4:.1f}" text-anchor="end">{_num(high)}</text>',
        f'<text class="tick" x="{left - 6}" y="{y(low) + 4:.1f}" text-anchor="end">{_num(low)}</text>',
    ]
    segment: list[str] = []
    for i, p in enumerate(points):
        if p.value is None:
            if len(segment) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(p.value):.1f}")
    if len(segment) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
    step = max(1, len(points) // 8)  # at most ~8 labels under the axis
    for i, p in enumerate(points):
        if i % step == 0 or i == len(points) - 1:
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{height - 10}" text-anchor="middle">'
                f"{_text(_clip(p.label, 10))}</text>"
            )
        if p.value is not None:
            dot = (
                f'<circle class="dot" cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="4">'
                f"<title>{_text(p.label)}: {_num(p.value)}</title></circle>"
            )
            parts.append(f'<a href="{_text(p.href)}">{dot}</a>' if p.href else dot)
    parts.append("</svg>")
    return "".join(parts)


def _num(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class Span:
    env: str
    version: str
    start: str
    end: str | None
    href: str | None = None


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def timeline_svg(spans: Sequence[Span], now: str) -> str:
    """Deployments per environment over time: a row per env, a bar per version deployed there."""
    good = []
    for span in spans:
        try:
            start = _time(span.start)
            end = _time(span.end or now)
        except ValueError:
            continue
        good.append((span, start, max(end, start)))
    if not good:
        return ""
    envs = sorted({s.env for s, _, _ in good})
    first, last = min(t for _, t, _ in good), max(t for _, _, t in good)
    last = max(last, first + 3600)
    label_w, width, row_h = 110, 900, 30
    height = 24 + row_h * len(envs) + 20

    def x(t: float) -> float:
        return label_w + (width - label_w - 10) * (t - first) / (last - first)

    parts = [
        f'<svg class="timeline" role="img" aria-label="deployments over time" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for row, env in enumerate(envs):
        top = 14 + row * row_h
        parts.append(f'<text class="env" x="4" y="{top + 17}">{_text(_clip(env, 14))}</text>')
        for span, start, end in (g for g in good if g[0].env == env):
            x1, x2 = x(start), max(x(end), x(start) + 4)
            bar = (
                f'<g class="span{" active" if span.end is None else ""}">'
                f"<title>{_text(span.version)} in {_text(env)}: {_text(span.start)} → "
                f"{_text(span.end or 'now')}</title>"
                f'<rect x="{x1:.1f}" y="{top + 2}" width="{x2 - x1:.1f}" height="{row_h - 8}" rx="4"/>'
                f'<text x="{x1 + 4:.1f}" y="{top + 17}">{_text(_clip(span.version, 12))}</text></g>'
            )
            parts.append(f'<a href="{_text(span.href)}">{bar}</a>' if span.href else bar)
    parts.append(
        f'<text class="tick" x="{label_w}" y="{height - 4}">{_text(_day(first))}</text>'
        f'<text class="tick" x="{width - 10}" y="{height - 4}" text-anchor="end">{_text(_day(last))}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")
