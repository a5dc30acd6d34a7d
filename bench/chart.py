"""A log-log line chart of time against registry size, as a standalone SVG, in plain code.

One line per case (floors dashed), decade grid lines, a legend on the right.
No plotting library: the chart is a few dozen elements and the bench extra
stays small; the output is deterministic for the same figures, so a re-run
with the same numbers leaves docs/performance-scale.svg unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

# Colour-blind-safe palette (Okabe-Ito, then Tol's muted), cycled with dash patterns.
COLOURS = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#882255", "#117733", "#999933", "#AA4499", "#44AA99", "#332288", "#DDCC77",
]  # fmt: skip
WIDTH, HEIGHT = 980, 560
LEFT, TOP, PLOT_W, PLOT_H = 70, 40, 480, 460
LEGEND_ROW = 17  # px; a label of ~50 characters fits to the right of the plot


def decades(low: float, high: float) -> list[float]:
    """Powers of ten from the one at or below low to the one at or above high."""
    first = math.floor(math.log10(low))
    last = math.ceil(math.log10(high))
    if last == first:
        last += 1
    return [10.0**e for e in range(first, last + 1)]


def _label(value: float, unit: str) -> str:
    if unit == "versions":
        return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"
    return f"{value:g} s" if value >= 0.001 else f"{value * 1000:g} ms"


def svg_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]], bool]],
    title: str,
) -> str:
    """series: (label, [(versions, seconds), ...], dashed). Points with a value <= 0 are dropped."""
    cleaned = [
        (label, sorted((x, y) for x, y in points if x > 0 and y > 0), dashed)
        for label, points, dashed in series
    ]
    cleaned = [s for s in cleaned if s[1]]
    xs = [x for _, pts, _ in cleaned for x, _ in pts] or [1000.0, 100000.0]
    ys = [y for _, pts, _ in cleaned for _, y in pts] or [0.01, 1.0]
    x_ticks, y_ticks = decades(min(xs), max(xs)), decades(min(ys), max(ys))
    lx0, lx1 = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    ly0, ly1 = math.log10(y_ticks[0]), math.log10(y_ticks[-1])

    def px(x: float) -> float:
        return LEFT + (math.log10(x) - lx0) / (lx1 - lx0) * PLOT_W

    def py(y: float) -> float:
        return TOP + PLOT_H - (math.log10(y) - ly0) / (ly1 - ly0) * PLOT_H

    height = max(HEIGHT, TOP + 8 + len(cleaned) * LEGEND_ROW) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for x in x_ticks:
        out.append(
            f'<line x1="{px(x):.1f}" y1="{TOP}" x2="{px(x):.1f}" y2="{TOP + PLOT_H}" stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{px(x):.1f}" y="{TOP + PLOT_H + 18}" text-anchor="middle">'
            f"{_label(x, 'versions')}</text>"
        )
    for y in y_ticks:
        out.append(
            f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{LEFT + PLOT_W}" y2="{py(y):.1f}" stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{_label(y, "s")}</text>'
        )
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#444"/>'
    )
    out.append(
        f'<text x="{LEFT + PLOT_W / 2}" y="{TOP + PLOT_H + 38}" text-anchor="middle">'
        "versions in the registry (log)</text>"
    )
    out.append(
        f'<text x="16" y="{TOP + PLOT_H / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + PLOT_H / 2})">wall time, median (log)</text>'
    )
    legend_x, row = LEFT + PLOT_W + 24, LEGEND_ROW
    for i, (label, pts, dashed) in enumerate(cleaned):
        colour = COLOURS[i % len(COLOURS)]
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}>'
            f"<title>{escape(label)}</title></polyline>"
        )
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>')
        ly = TOP + 8 + i * row
        out.append(
            f'<line x1="{legend_x}" y1="{ly}" x2="{legend_x + 24}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{legend_x + 30}" y="{ly + 4}" font-size="11">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
