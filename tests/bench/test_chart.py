"""bench.chart: the log-log SVG of time against registry size."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# bench/ is not part of the installed package: import it from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import chart

NS = "{http://www.w3.org/2000/svg}"


def points(polyline: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(x), float(y)) for x, y in (p.split(",") for p in polyline.attrib["points"].split())
    ]


def test_one_polyline_per_series_floors_dashed_and_valid_xml() -> None:
    svg = chart.svg_chart(
        [
            ("validate warm", [(1_000, 0.1), (10_000, 0.5), (100_000, 4.0)], False),
            ("interpreter start-up", [(1_000, 0.02), (100_000, 0.02)], True),
        ],
        "title & more",
    )
    root = ET.fromstring(svg)
    lines = root.findall(f"{NS}polyline")
    assert [line.find(f"{NS}title").text for line in lines] == [  # type: ignore[union-attr]
        "validate warm",
        "interpreter start-up",
    ]
    assert "stroke-dasharray" not in lines[0].attrib
    assert "stroke-dasharray" in lines[1].attrib
    assert len(root.findall(f"{NS}circle")) == 5


def test_axes_are_logarithmic_and_larger_values_sit_right_and_higher() -> None:
    svg = chart.svg_chart([("c", [(1_000, 0.01), (10_000, 0.1), (100_000, 1.0)], False)], "t")
    (x1, y1), (x2, y2), (x3, y3) = points(ET.fromstring(svg).find(f"{NS}polyline"))  # type: ignore[arg-type]
    assert x1 < x2 < x3 and y1 > y2 > y3  # SVG's y grows downwards
    # Each decade is the same distance on a log axis.
    assert abs((x2 - x1) - (x3 - x2)) < 0.2 and abs((y1 - y2) - (y2 - y3)) < 0.2


def test_points_without_a_positive_time_are_dropped_and_empty_series_left_out() -> None:
    svg = chart.svg_chart(
        [("a", [(1_000, 0.0), (10_000, 0.2)], False), ("b", [(1_000, -1.0)], False)], "t"
    )
    lines = ET.fromstring(svg).findall(f"{NS}polyline")
    assert len(lines) == 1 and len(points(lines[0])) == 1


def test_no_series_still_draws_a_valid_chart() -> None:
    assert ET.fromstring(chart.svg_chart([], "nothing measured")).tag == f"{NS}svg"


def test_decades_cover_the_range() -> None:
    assert chart.decades(1_000, 100_000) == [1_000, 10_000, 100_000]
    assert chart.decades(0.004, 0.5) == [0.001, 0.01, 0.1, 1.0]
    assert chart.decades(2.0, 3.0) == [1.0, 10.0]


def test_the_same_figures_give_the_same_bytes() -> None:
    series = [("c", [(1_000, 0.1), (10_000, 0.3)], False)]
    assert chart.svg_chart(series, "t") == chart.svg_chart(series, "t")
