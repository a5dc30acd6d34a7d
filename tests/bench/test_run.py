"""bench.run's pure parts: choosing a plan, the chart's series, re-judging a saved run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

# bench/ is not part of the installed package: import it from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import report, run
from bench.report import Result


def args(*argv: str) -> argparse.Namespace:
    return run.parse_args(list(argv))


def test_sizes_narrow_the_scale_plan_and_keep_the_smallest_first() -> None:
    plan = run.choose_plan(args("--size", "scale", "--sizes", "10k,1k"))
    assert plan.sizes == ("1k", "10k")
    assert run.choose_plan(args("--size", "scale")).sizes == ("1k", "10k", "100k")


def test_an_unknown_size_is_refused_with_the_known_ones() -> None:
    with pytest.raises(SystemExit, match=r"unknown size.*1k"):
        run.choose_plan(args("--size", "scale", "--sizes", "3k"))


def test_runs_options_never_raise_the_cold_runs_above_the_warm_ones() -> None:
    plan = run.choose_plan(args("--size", "scale", "--runs", "2", "--large-runs", "1"))
    assert (plan.runs, plan.cold_runs, plan.large_runs, plan.large_cold_runs) == (2, 2, 1, 1)


def test_the_100k_registry_has_100k_versions_and_the_10k_one_10k() -> None:
    specs = run.PLANS["scale"].specs
    assert specs["100k"].versions == 100_000 and specs["10k"].versions == 10_000
    assert specs["1k"].gto_tags and specs["5k"].gto_tags
    assert specs["1k"].commits >= 2 * specs["1k"].versions  # one version per commit for GTO


def make(case: str, spec: str, versions: int, median: float, tool: str = "afsreg") -> Result:
    return Result(case, spec, versions, 10, [], samples=[median], tool=tool)


def test_chart_series_has_a_line_per_case_at_two_sizes_floors_dashed_details_dropped() -> None:
    results = [
        make(report.sync_case("sqlite", "incremental"), "1k", 1_000, 0.5),
        make(report.sync_case("sqlite", "incremental"), "10k", 10_000, 1.0),
        make(report.START_UP, "1k", 1_000, 0.02, tool="floor"),
        make(report.START_UP, "10k", 10_000, 0.02, tool="floor"),
        make(report.LOG_NAME, "10k", 10_000, 0.2),  # one size: no line
        make(report.GTO_SHOW, "1k", 1_000, 9.0, tool="gto"),  # other tools: not on the chart
        make(report.GTO_SHOW, "10k", 10_000, 90.0, tool="gto"),
    ]
    series = run.chart_series(results, ["1k", "10k"])
    assert series == [
        ("sync sqlite incremental", [(1_000.0, 0.5), (10_000.0, 1.0)], False),
        ("interpreter start-up", [(1_000.0, 0.02), (10_000.0, 0.02)], True),
    ]


def test_a_saved_run_is_judged_again_from_its_figures() -> None:
    warm = make(report.VALIDATE_WARM, "10k", 10_000, 0.1)
    warm.targets = ["stale: MISSED"]
    saved = {"results": [warm.as_dict()]}
    results = run.results_from(saved)
    run.judge(results, ["10k"])
    assert results[0].samples == [0.1]
    assert results[0].targets == ["<= 0.15 s: met"]
