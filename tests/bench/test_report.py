"""bench.report: ratios, target verdicts, growth across sizes, tables and the docs section."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ is not part of the installed package: import it from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import report
from bench.report import Result, Target

REPO = Path(__file__).resolve().parents[2]


def result(case: str, spec: str, samples: list[float], peak: float = 50.0, **kw: object) -> Result:
    versions = {"1k": 1_000, "5k": 5_000, "10k": 10_000, "100k": 100_000}[spec]
    return Result(case, spec, versions, 10_000, ["x"], samples=samples, peak_mb=peak, **kw)  # type: ignore[arg-type]


def test_ratio_is_the_tools_median_over_the_afsreg_case_on_the_same_registry() -> None:
    ours = result(report.VALIDATE_COLD, "10k", [1.0, 2.0, 3.0])
    other_size = result(report.VALIDATE_COLD, "1k", [0.1])
    tool = result(
        report.CHECK_JSONSCHEMA,
        "10k",
        [60.0],
        tool="check-jsonschema",
        compare_to=report.VALIDATE_COLD,
    )
    report.apply_ratios([other_size, ours, tool])
    assert tool.ratio == pytest.approx(30.0)
    assert ours.ratio is None


@pytest.mark.parametrize(
    ("target", "samples", "peak", "ratio", "expected"),
    [
        (Target("c", "10k", "s", 0.15), [0.1, 0.15, 0.9], 10.0, None, "met"),
        (Target("c", "10k", "s", 0.15), [0.16], 10.0, None, "MISSED"),
        (Target("c", "10k", "mb", 300.0), [9.0], 300.0, None, "met"),
        (Target("c", "10k", "mb", 300.0), [0.1], 301.0, None, "MISSED"),
        (Target("c", "10k", "x", 30.0), [1.0], 10.0, 30.0, "met"),
        (Target("c", "10k", "x", 30.0), [1.0], 10.0, 29.9, "MISSED"),
        (Target("c", "10k", "x", 30.0), [1.0], 10.0, None, "n/a"),
        (Target("c", "10k", "s", 0.15), [], None, None, "n/a"),
    ],
)
def test_verdict_compares_the_right_figure(
    target: Target, samples: list[float], peak: float | None, ratio: float | None, expected: str
) -> None:
    r = result("c", "10k", samples, peak=peak or 0.0, ratio=ratio)
    if peak is None:
        r.peak_mb = None
    assert report.verdict(target, r) == expected


def test_growth_target_judges_the_large_median_against_the_base_size() -> None:
    target = Target("c", "100k", "growth", 2.0, base="10k")
    base = result("c", "10k", [0.1])
    assert report.verdict(target, result("c", "100k", [0.2]), base) == "met"
    assert report.verdict(target, result("c", "100k", [0.21]), base) == "MISSED"
    assert report.verdict(target, result("c", "100k", [0.2]), None) == "n/a"


def test_issue_targets_are_written_on_their_results_and_the_peak_only_on_afsreg_at_100k() -> None:
    warm10 = result(report.VALIDATE_WARM, "10k", [0.1])
    warm100 = result(report.VALIDATE_WARM, "100k", [0.5], peak=200.0)
    full100 = result(report.sync_case("sqlite", "full"), "100k", [9.0], peak=900.0)
    floor100 = result(report.PARSE, "100k", [30.0], peak=900.0, tool="floor")
    results = [warm10, warm100, full100, floor100]
    report.apply_targets(results, report.issue_targets(), peak_size="100k")
    assert warm10.targets == ["<= 0.15 s: met"]
    assert warm100.targets == ["<= 2x 10k: MISSED", "<= 300 MB: met"]
    assert full100.targets == ["<= 300 MB: MISSED"]
    assert full100.missed and not warm10.missed
    assert floor100.targets == []


def test_every_incremental_path_has_a_growth_target_and_every_table_case_a_10k_one() -> None:
    targets = report.issue_targets()
    growth = {t.case for t in targets if t.kind == "growth"}
    assert growth == set(report.INCREMENTAL)
    timed = {t.case for t in targets if t.kind == "s" and t.size == "10k"}
    assert {report.HOOK_GIT, report.HOOK_FRAMEWORK, report.LIST_WARM} <= timed


def test_growth_table_gives_each_size_and_the_ratio_of_the_two_largest() -> None:
    results = [
        result(report.VALIDATE_WARM, "1k", [0.05], peak=40.0),
        result(report.VALIDATE_WARM, "10k", [0.1], peak=60.0),
        result(report.VALIDATE_WARM, "100k", [0.3], peak=250.0),
        result(report.LOG_NAME, "10k", [0.2]),  # one size only: not a growth row
    ]
    lines = report.growth_table(results, ["1k", "10k", "100k"]).splitlines()
    assert "100k/10k" in lines[0]
    assert len(lines) == 3
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells == [
        report.VALIDATE_WARM,
        "0.050 (40 MB)",
        "0.100 (60 MB)",
        "0.300 (250 MB)",
        "3.00x",
    ]


def test_a_failed_size_shows_its_status_and_no_ratio() -> None:
    failed = result(report.VALIDATE_WARM, "100k", [])
    failed.status = "failed: exit 2"
    rows = report.growth_table(
        [result(report.VALIDATE_WARM, "10k", [0.1]), failed], ["10k", "100k"]
    )
    cells = [c.strip() for c in rows.splitlines()[2].strip("|").split("|")]
    assert cells[1:] == ["0.100 (50 MB)", "failed", ""]


def test_markdown_table_pads_columns_and_escapes_pipes() -> None:
    text = report.markdown_table(["a", "b"], [["x|y", "1"]])
    assert text.splitlines() == ["| a    | b |", "|------|---|", "| x\\|y | 1 |"]


def test_replace_section_replaces_only_between_the_markers() -> None:
    text = f"head\n{report.BEGIN}\nold\nlines\n{report.END}\ntail\n"
    out = report.replace_section(text, "new\n")
    assert out == f"head\n{report.BEGIN}\nnew\n{report.END}\ntail\n"
    assert report.replace_section(out, "new") == out


def test_replace_section_refuses_a_document_without_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        report.replace_section("no markers here", "x")
    with pytest.raises(ValueError, match="markers"):
        report.replace_section(f"{report.END}\n{report.BEGIN}", "x")


def test_the_performance_doc_has_the_marked_section() -> None:
    text = (REPO / "docs" / "performance.md").read_text()
    assert text.count(report.BEGIN) == 1 and text.count(report.END) == 1
    assert "performance-scale.svg" in text


def test_doc_section_names_the_command_the_load_and_the_tables() -> None:
    out = {
        "command": "python -m bench --size scale",
        "date": "2026-12-01 22:00 UTC",
        "seconds": 900.0,
        "machine": {
            "cpus": 2, "cpu": "EPYC", "python": "3.11.7", "git": "git version 2.39.5",
            "load_average_at_start": [1.0, 0.5, 0.25], "load_average": [2.0, 1.5, 1.0],
        },
        "tools": {"afsreg": "afsreg 0.1.0", "gto": None},
        "runs_text": "5 warm / 3 cold",
    }  # fmt: skip
    results = [
        result(report.VALIDATE_WARM, "10k", [0.2]),
        result(report.VALIDATE_WARM, "100k", [0.3]),
    ]
    report.apply_targets(results, report.issue_targets(), peak_size="100k")
    text = report.doc_section(out, results, ["10k", "100k"])
    assert "`python -m bench --size scale`" in text
    assert "1.00/0.50/0.25 at the start, 2.00/1.50/1.00 at the end" in text
    assert "Tools: afsreg 0.1.0. " in text
    for heading in ("### Growth with registry size", "### Targets", "### Every case"):
        assert heading in text
    assert "<= 0.15 s: MISSED" in text
