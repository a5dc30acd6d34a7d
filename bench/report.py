"""What a benchmark run means: ratios, targets, growth across sizes, and the tables.

Pure functions over the harness's results (no process is run here), so they
are unit-tested in tests/bench/test_report.py and the printed verdicts can be
trusted: a target is met or MISSED only by the rules written in TARGETS.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

# The issue-16 and issue-13 case names. The harness measures under these names and
# TARGETS refers to them, so a rename here is a rename everywhere.
START_UP = "floor: interpreter start-up"
IMPORT_CLI = "floor: start-up + import afsreg.cli"
REV_PARSE = "floor: git rev-parse HEAD:models"
LS_TREE = "floor: tree ids of every model folder (git ls-tree HEAD:models)"
DIFF_INDEX = "floor: git diff-index --cached HEAD, 1 staged file"
SQLITE_READ = "floor: start-up + one SQLite read by key"
PG_READ = "floor: start-up + PostgreSQL connect + one read by key"
PARSE = "floor: read + C-parse every file, one process"
DRAFT7 = "floor: read + C-parse + Draft7 validate, one process"
GIT_LOG = "floor: git log --name-status -- models/"
VALIDATE_COLD = "validate cold"
VALIDATE_WARM = "validate warm"
HOOK_FRAMEWORK = "pre-commit, framework hook (validate --against HEAD FILE), 1 changed file"
HOOK_FRAMEWORK_COLD = "pre-commit, framework hook, 1 changed file, cold cache"
HOOK_GIT = "pre-commit, plain git hook (--staged --against HEAD), 1 changed file"
LIST_WARM = "list warm"
LIST_JSON = "list --format json warm"
VERSIONS = "versions NAME (the largest model) warm"
DEPLOYMENTS = "deployments (every model) warm"
FIELD_VALUES = "floor: start-up + one field of every version, one SQLite query"
GIT_STATUS = "floor: git status -- models/ (what a working-tree read asks git)"
RESOLVE = "resolve NAME@production warm"
RESOLVE_AT = "resolve NAME@production --at DATE warm"
SEARCH = "search metric > x ORDER BY metric warm"
SQL_RESOLVE = "sql: resolve NAME@production (sqlite)"
SQL_AT = "sql: in production at DATE (sqlite)"
SQL_SEARCH = "sql: promoted with accuracy > x, best first (sqlite)"
LOG_NAME = "log NAME (whole model) warm"
CHECK_JSONSCHEMA = "check-jsonschema --schemafile (same files)"
GTO_SHOW = "gto show"
GTO_HISTORY = "gto history NAME"


def sync_case(dialect: str, kind: str) -> str:
    """kind: full | incremental | no-op."""
    detail = {"incremental": "incremental (1 file, 1 commit)"}.get(kind, kind)
    return f"sync {dialect} {detail}"


INCREMENTAL = (
    LIST_WARM,  # a row per model, read by the folders' tree ids: grows with the models, not the versions
    VALIDATE_WARM,
    HOOK_FRAMEWORK,
    HOOK_GIT,
    sync_case("sqlite", "incremental"),
    sync_case("postgresql", "incremental"),
    sync_case("sqlite", "no-op"),
    sync_case("postgresql", "no-op"),
)


@dataclasses.dataclass
class Result:
    case: str
    spec: str  # the registry's key: 1k, 10k, 100k, ...
    versions: int
    commits: int
    argv: list[str]
    status: str = "ok"  # ok | failed: ... | skipped: ...
    samples: list[float] = dataclasses.field(default_factory=list)
    peak_mb: float | None = None
    compare_to: str | None = None  # case of the afsreg row this tool is compared with
    ratio: float | None = None  # tool median / afsreg median
    targets: list[str] = dataclasses.field(default_factory=list)  # "<= 0.15 s: met", ...
    tool: str = "afsreg"  # afsreg | floor | check-jsonschema | gto

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def missed(self) -> bool:
        return any(t.endswith("MISSED") for t in self.targets)

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["median"] = self.median
        out["min"] = min(self.samples) if self.samples else None
        out["max"] = max(self.samples) if self.samples else None
        return out


@dataclasses.dataclass(frozen=True)
class Target:
    """One of the issue's targets on one case at one size.

    kind "s": the median is at most ``limit`` seconds; "mb": the peak resident set is
    at most ``limit`` MB; "x": the other tool is at least ``limit`` times slower;
    "growth": the median is at most ``limit`` times the same case's at ``base``.
    """

    case: str
    size: str
    kind: str
    limit: float
    base: str = ""

    def describe(self) -> str:
        if self.kind == "s":
            return f"<= {self.limit:g} s"
        if self.kind == "mb":
            return f"<= {self.limit:g} MB"
        if self.kind == "x":
            return f">= {self.limit:g}x"
        return f"<= {self.limit:g}x {self.base}"


def issue_targets(large: str = "100k") -> list[Target]:
    """Issue 16's targets: seconds at 10k, growth and memory at ``large``, the other tools."""
    seconds = [
        (VALIDATE_WARM, 0.15),
        (VALIDATE_COLD, 1.0),
        (HOOK_FRAMEWORK, 0.15),
        (HOOK_GIT, 0.15),
        (sync_case("sqlite", "incremental"), 0.2),
        (sync_case("postgresql", "incremental"), 0.2),
        (sync_case("sqlite", "no-op"), 0.15),
        (sync_case("postgresql", "no-op"), 0.15),
        (sync_case("sqlite", "full"), 2.0),
        (sync_case("postgresql", "full"), 2.0),
        (LIST_WARM, 0.2),
    ]
    out = [Target(case, "10k", "s", limit) for case, limit in seconds]
    out += [Target(case, large, "growth", 2.0, base="10k") for case in INCREMENTAL]
    out += [
        Target(CHECK_JSONSCHEMA, "10k", "x", 30.0),
        Target(GTO_SHOW, "5k", "x", 100.0),
        Target(GTO_HISTORY, "5k", "x", 100.0),
    ]
    return out


PEAK_LIMIT_MB = 300.0  # every afsreg command at the largest size


def apply_ratios(results: Sequence[Result]) -> None:
    """A compared tool's ratio: its median over the afsreg case it names, same registry."""
    by_case = {(r.case, r.spec): r for r in results}
    for r in results:
        if r.compare_to and r.median is not None:
            ours = by_case.get((r.compare_to, r.spec))
            if ours is not None and ours.median:
                r.ratio = r.median / ours.median


def verdict(target: Target, result: Result, base: Result | None = None) -> str:
    """'met', 'MISSED' or 'n/a' (no figure to judge: failed, skipped, or no base)."""
    value: float | None
    if target.kind == "s":
        value = result.median
    elif target.kind == "mb":
        value = result.peak_mb
    elif target.kind == "x":
        value = result.ratio
    else:
        value = growth(result, base)
    if value is None:
        return "n/a"
    met = value >= target.limit if target.kind == "x" else value <= target.limit
    return "met" if met else "MISSED"


def growth(result: Result, base: Result | None) -> float | None:
    """result's median over base's, or None when either has no figure."""
    if base is None or result.median is None or not base.median:
        return None
    return result.median / base.median


def apply_targets(
    results: Sequence[Result], targets: Iterable[Target], peak_size: str | None = None
) -> None:
    """Write each target's verdict on its result; peak_size: every afsreg case there <= 300 MB."""
    by_case = {(r.case, r.spec): r for r in results}
    for target in targets:
        found = by_case.get((target.case, target.size))
        if found is None:
            continue
        base = by_case.get((target.case, target.base)) if target.base else None
        found.targets.append(f"{target.describe()}: {verdict(target, found, base)}")
    if peak_size is None:
        return
    peak = Target("", peak_size, "mb", PEAK_LIMIT_MB)
    for r in results:
        if r.spec == peak_size and r.tool == "afsreg":
            r.targets.append(f"{peak.describe()}: {verdict(peak, r)}")


# -- tables -------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _status(r: Result) -> str:
    if r.status != "ok":
        return r.status
    return "; ".join(r.targets)


def table(results: Sequence[Result]) -> str:
    """Every result, one row each, as a GitHub-flavoured markdown table."""
    rows = []
    for r in results:
        spread = f"{_seconds(min(r.samples))}-{_seconds(max(r.samples))}" if r.samples else ""
        vs = f"{r.ratio:.1f}x slower than afsreg `{r.compare_to}`" if r.ratio is not None else ""
        rows.append(
            [
                r.case,
                f"{r.versions:,} v / {r.commits:,} c",
                _seconds(r.median),
                spread,
                f"{len(r.samples)}" if r.samples else "",
                f"{r.peak_mb:.0f}" if r.peak_mb is not None else "-",
                vs,
                _status(r),
            ]
        )
    headers = ["case", "registry", "median s", "min-max s", "runs", "peak MB", "comparison"]
    return markdown_table([*headers, "target / status"], rows)


def growth_table(results: Sequence[Result], sizes: Sequence[str]) -> str:
    """One row per case measured at more than one size: the median (and peak) at each.

    The last column is the ratio of the two largest sizes (100k/10k in the scale
    run), the figure the issue's "within 2x" targets judge.
    """
    cases: dict[str, dict[str, Result]] = {}
    for r in results:
        if r.spec in sizes and r.tool in ("afsreg", "floor"):
            cases.setdefault(r.case, {})[r.spec] = r
    rows = []
    last, previous = (sizes[-1], sizes[-2]) if len(sizes) >= 2 else ("", "")
    for case, by_size in cases.items():
        if len(by_size) < 2:
            continue
        row = [case]
        for size in sizes:
            found = by_size.get(size)
            if found is None:
                row.append("")
            elif found.median is None:
                row.append(found.status.split(":")[0])
            else:
                peak = f" ({found.peak_mb:.0f} MB)" if found.peak_mb is not None else ""
                row.append(f"{_seconds(found.median)}{peak}")
        ratio = growth(by_size[last], by_size.get(previous)) if last in by_size else None
        row.append(f"{ratio:.2f}x" if ratio is not None else "")
        rows.append(row)
    headers = ["case", *[f"{s} s (peak)" for s in sizes], f"{last}/{previous}"]
    return markdown_table(headers, rows)


def targets_table(results: Sequence[Result]) -> str:
    """Only the judged rows: the case, its figure and every verdict, misses first."""
    judged = [r for r in results if r.targets and r.status == "ok"]
    judged += [r for r in results if r.targets and r.status != "ok"]
    judged.sort(key=lambda r: not r.missed)
    rows = [
        [
            r.case,
            r.spec,
            _seconds(r.median),
            f"{r.peak_mb:.0f}" if r.peak_mb is not None else "-",
            f"{r.ratio:.1f}x" if r.ratio is not None else "",
            _status(r),
        ]
        for r in judged
        if not (r.targets and all(t.endswith(": met") for t in r.targets) and _only_peak(r))
    ]
    return markdown_table(["case", "size", "median s", "peak MB", "ratio", "targets"], rows)


def _only_peak(r: Result) -> bool:
    # Rows whose only target is the blanket 300 MB one are left out when met: the growth
    # table shows their peak, and listing all of them would bury the real targets.
    return all(t.startswith(f"<= {PEAK_LIMIT_MB:g} MB") for t in r.targets)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table with padded columns (readable as plain text too); '|' in cells escaped."""
    cells = [[str(h) for h in headers]] + [[str(c).replace("|", "\\|") for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        + [line(r) for r in cells[1:]]
    )


# -- docs/performance.md ----------------------------------------------------------------------

BEGIN = "<!-- bench:scale:begin (written by python -m bench --write-docs; edits here are lost) -->"
END = "<!-- bench:scale:end -->"


def replace_section(text: str, section: str) -> str:
    """text with what lies between BEGIN and END replaced by section; both markers must be there."""
    start = text.find(BEGIN)
    stop = text.find(END)
    if start < 0 or stop < start:
        raise ValueError("the document has no bench:scale markers (or they are out of order)")
    return text[: start + len(BEGIN)] + "\n" + section.strip("\n") + "\n" + text[stop:]


def doc_section(report: dict[str, Any], results: Sequence[Result], sizes: Sequence[str]) -> str:
    """The marked section of docs/performance.md: how the run was made, then the three tables."""
    machine = report["machine"]
    load = machine.get("load_average_at_start"), machine.get("load_average")
    tools = ", ".join(str(v) for v in report["tools"].values() if v)
    lines = [
        f"Run `{report['command']}` on {report['date']}, {report['seconds']:.0f} s in all; "
        f"{machine['cpus']} CPUs ({machine['cpu']}), Python {machine['python']}, "
        f"{machine['git']}; load average {_load(load[0])} at the start, "
        f"{_load(load[1])} at the end. Tools: {tools}. "
        f"Runs per case: {report['runs_text']}.",
        "",
        "![time against registry size](performance-scale.svg)",
        "",
        *(
            ["### Growth with registry size", "", growth_table(results, sizes), ""]
            if len(sizes) > 1
            else []
        ),
        "### Targets",
        "",
        targets_table(results),
        "",
        "### Every case",
        "",
        table(results),
    ]
    return "\n".join(lines)


def _load(values: Sequence[float] | None) -> str:
    return "/".join(f"{v:.2f}" for v in values) if values else "?"
