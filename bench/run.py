"""The benchmark harness: afsreg commands on synthetic registries of 1k to 100k versions.

Why ~750 lines: one harness drives every case of issues 13 and 16 (floors, validate,
both hook forms, sync into two databases, list, resolve/search and their SQL, history,
the other tools) at every size, with the preparation each case needs; what the figures
mean (ratios, targets, growth, tables) is in bench/report.py, the chart in bench/chart.py.

Every measurement runs the real command line in a fresh child process, so its
time includes interpreter start-up and imports, as a pre-commit hook or a CI
step pays them. Wall time is taken over several runs (median, min, max); peak
memory is the child's own maximum resident set (GNU time %M).

Example:
    python -m bench --size smoke
    AFSREG_BENCH_GTO=/tmp/gto-venv/bin/gto python -m bench --size scale --write-docs
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import chart, generate, report
from bench.report import Result

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK_DIR = Path(os.environ.get("AFSREG_BENCH_DIR", "/tmp/afsreg-bench"))
DEFAULT_JSON = HERE / "out" / "results.json"
DEFAULT_CHART = HERE / "out" / "performance-scale.svg"
DOC = REPO / "docs" / "performance.md"
DOC_CHART = REPO / "docs" / "performance-scale.svg"
DEFAULT_DB_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RUN_TIMEOUT = 900.0  # seconds; a run past this is killed and reported as failed
LARGE = 50_000  # versions from which a registry gets the fewer "large" runs
DRAFT7_FLOOR_MAX = 10_000  # the jsonschema floor takes ~1.2 ms a file: not at 100k


# -- plans ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Spec:
    """A registry to generate: models x versions_per_model (+ a parent chain), commits."""

    key: str
    models: int
    versions_per_model: int
    commits: int
    chain_depth: int = 0
    gto_tags: bool = False
    seed: int = 1

    @property
    def versions(self) -> int:
        return self.models * self.versions_per_model + self.chain_depth


@dataclasses.dataclass(frozen=True)
class Plan:
    sizes: tuple[str, ...]  # spec keys, smallest first: each runs every scale case
    specs: dict[str, Spec]
    runs: int  # timed runs of a warm case
    cold_runs: int  # of a cold case (each clears the caches)
    large_runs: int  # warm, on a registry of LARGE versions or more
    large_cold_runs: int
    slow_runs: int  # for check-jsonschema and GTO, which take seconds to minutes a run
    history: str | None  # where log, blame, lineage and diff run
    check_jsonschema: tuple[str, ...]
    gto: tuple[str, ...]


SCALE_SPECS = {
    # 1k has twice as many commits as versions so that GTO's tags each point at the
    # commit that added their version (one version per commit), as GTO expects.
    "1k": Spec("1k", 50, 20, 2_000, gto_tags=True),
    "5k": Spec("5k", 250, 20, 10_000, gto_tags=True),
    "10k": Spec("10k", 180, 50, 10_000, chain_depth=1_000),
    "100k": Spec("100k", 990, 100, 10_000, chain_depth=1_000),
}

PLANS = {
    "smoke": Plan(
        sizes=("small",),
        specs={"small": Spec("small", 10, 20, 400, chain_depth=50, gto_tags=True)},
        runs=1,
        cold_runs=1,
        large_runs=1,
        large_cold_runs=1,
        slow_runs=1,
        history="small",
        check_jsonschema=("small",),
        gto=("small",),
    ),
    "scale": Plan(
        sizes=("1k", "10k", "100k"),
        specs=SCALE_SPECS,
        runs=5,
        cold_runs=3,
        large_runs=3,
        large_cold_runs=1,
        slow_runs=1,
        history="10k",
        check_jsonschema=("1k", "10k"),
        gto=("1k", "5k"),
    ),
}


# -- running one command ------------------------------------------------------------------


@dataclasses.dataclass
class Sample:
    seconds: float
    peak_mb: float
    returncode: int
    stderr_head: str


GNU_TIME = "/usr/bin/time"


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run argv to completion in a fresh child; its wall time and its own peak RSS.

    Peak RSS comes from GNU time when it is there: a child forked straight from
    this Python process inherits its resident set until exec, and the kernel
    counts that in the child's ru_maxrss, so os.wait4 alone would report
    every small command (git log) as at least as big as the harness.
    """
    use_time = os.access(GNU_TIME, os.X_OK)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as rss,
    ):
        command = [GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if use_time else list(argv)
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, env=env)
        timer = threading.Timer(RUN_TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        out.seek(0)
        stdout = out.read().decode(errors="replace")
        peak_kb = float(usage.ru_maxrss)
        if use_time:
            # GNU time exits with the command's status; its last line is %M in KB.
            with contextlib.suppress(ValueError, IndexError):
                peak_kb = float(rss.read().split()[-1])
            if proc.returncode != 0 and stderr.startswith("Command exited with non-zero status"):
                stderr = stderr.split("\n", 1)[-1]
    head = _first_line(stderr) or _first_line(stdout)
    if proc.returncode < 0:
        head = f"killed by signal {-proc.returncode} (timeout {RUN_TIMEOUT:.0f} s?) {head}"
    return Sample(seconds, peak_kb / 1024, proc.returncode, head)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.startswith("Traceback"):
            return line.strip()[:200]
    return ""


# -- the bench ---------------------------------------------------------------------------


class Bench:
    def __init__(self, plan: Plan, args: argparse.Namespace) -> None:
        self.plan = plan
        self.args = args
        self.results: list[Result] = []
        self.registries: dict[str, dict[str, Any]] = {}
        self.afsreg = _find_tool("afsreg", "AFSREG_BENCH_AFSREG")
        self.python = _python_of(self.afsreg)
        self.check_jsonschema = _find_tool("check-jsonschema", "AFSREG_BENCH_CHECK_JSONSCHEMA")
        self.gto = _find_tool("gto", "AFSREG_BENCH_GTO")
        self.only = re.compile(args.only) if args.only else None
        self.pg: PgServer | None = None
        self.pg_reason = ""
        self.header: dict[str, Any] = {}  # what the JSON says of the run; set by main
        self.started = time.perf_counter()

    # registries

    def registry(self, key: str) -> Path:
        """The generated repository for a spec, built once and reset to its generated state."""
        spec = self.plan.specs[key]
        dest = WORK_DIR / f"{key}-{_spec_digest(spec)}"
        stamp = dest / ".git" / generate.STAMP_NAME
        info: dict[str, Any] | None = None
        if stamp.exists() and not self.args.regenerate and key not in self.registries:
            info = json.loads(stamp.read_text())
        elif key in self.registries:
            info = self.registries[key]
        if info is None or info.get("generator_version") != generate.GENERATOR_VERSION:
            self._progress(f"generate registry {key}")
            started = time.perf_counter()
            info = generate.generate(
                dest,
                spec.models,
                spec.versions_per_model,
                spec.commits,
                spec.chain_depth,
                spec.seed,
                spec.gto_tags,
            )
            info["generated_in_this_run"] = round(time.perf_counter() - started, 2)
        else:
            _git(dest, "reset", "-q", "--hard", str(info["head"]))
            _git(dest, "clean", "-qfdx")
        self.registries[key] = {**info, "path": str(dest)}
        return dest

    def info(self, key: str) -> dict[str, Any]:
        return self.registries[key]

    def large(self, key: str) -> bool:
        return int(self.info(key)["versions"]) >= LARGE

    # measuring

    def wanted(self, case: str) -> bool:
        return self.only is None or bool(self.only.search(case))

    def measure(self, case: str, key: str, argv: Sequence[str], **kw: Any) -> Result | None:
        """Time argv ``runs`` times (by default: by size, and cold or warm) after ``prepare``.

        The results so far are saved after each case, so a long run stopped halfway
        keeps what it measured (``--render`` reads the file).
        """
        result = self._measure(case, key, argv, **kw)
        if result is not None:
            self.checkpoint()
        return result

    def checkpoint(self) -> None:
        self.args.json.parent.mkdir(parents=True, exist_ok=True)
        partial = {
            **self.header,
            "partial": True,
            "seconds": round(time.perf_counter() - self.started, 1),
            "machine": {**self.header.get("machine", {}), "load_average": _load_average()},
            "registries": self.registries,
            "results": [r.as_dict() for r in self.results],
        }
        self.args.json.write_text(json.dumps(partial, indent=2) + "\n")

    def _measure(
        self,
        case: str,
        key: str,
        argv: Sequence[str],
        *,
        root: Path,
        runs: int | None = None,
        cold: bool = False,
        prepare: Callable[[int], None] | None = None,
        warmup: bool = False,
        tool: str = "afsreg",
        compare_to: str | None = None,
        env: dict[str, str] | None = None,
        ok_codes: tuple[int, ...] = (0,),
    ) -> Result | None:
        if not self.wanted(case):
            return None
        info = self.info(key)
        result = Result(
            case, key, int(info["versions"]), int(info["commits"]), list(argv), tool=tool
        )
        result.compare_to = compare_to
        self.results.append(result)
        if runs is None:
            large = self.large(key)
            if cold:
                runs = self.plan.large_cold_runs if large else self.plan.cold_runs
            else:
                runs = self.plan.large_runs if large else self.plan.runs
        self._progress(f"{case} [{key}] x{runs}")
        try:
            if warmup:
                if prepare:
                    prepare(-1)
                sample = run_once(argv, root, env)
                if sample.returncode not in ok_codes:
                    result.status = f"failed: {sample.stderr_head or f'exit {sample.returncode}'}"
                    return result
            peaks = []
            for i in range(runs):
                if prepare:
                    prepare(i)
                sample = run_once(argv, root, env)
                if sample.returncode not in ok_codes:
                    result.status = f"failed: {sample.stderr_head or f'exit {sample.returncode}'}"
                    result.samples = []
                    return result
                result.samples.append(sample.seconds)
                peaks.append(sample.peak_mb)
            result.peak_mb = max(peaks)
        except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
            result.status = f"failed: {type(exc).__name__}: {exc}"
            result.samples = []
        return result

    def skip(
        self, case: str, key: str, why: str, tool: str = "afsreg", argv: Sequence[str] = ()
    ) -> None:
        if not self.wanted(case):
            return
        info = self.info(key)
        result = Result(
            case, key, int(info["versions"]), int(info["commits"]), list(argv), tool=tool
        )
        result.status = f"skipped: {why}"
        self.results.append(result)

    def _progress(self, text: str) -> None:
        if not self.args.quiet:
            stamp = time.strftime("%H:%M:%S")
            print(f"  {stamp} {text}", file=sys.stderr, flush=True)

    # helpers around a registry

    def clear_cache(self, root: Path) -> None:
        """Cold: afsreg keeps its caches under .git/afsreg; optionally the OS page cache too."""
        shutil.rmtree(root / ".git" / "afsreg", ignore_errors=True)
        if self.args.drop_os_cache:
            subprocess.run(["sync"], check=False)
            with contextlib.suppress(OSError):
                Path("/proc/sys/vm/drop_caches").write_text("3\n")

    def cold(self, root: Path, then: Callable[[int], None] | None = None) -> Callable[[int], None]:
        """A prepare step: clear the caches (then run ``then``)."""

        def prepare(i: int) -> None:
            self.clear_cache(root)
            if then is not None:
                then(i)

        return prepare

    def afsreg_cmd(self, *args: str) -> list[str]:
        assert self.afsreg is not None
        return [self.afsreg, *args]

    def floor(self, case: str, key: str, argv: Sequence[str], root: Path, **kw: Any) -> None:
        """A floor: milliseconds at any size, so the full number of runs even at 100k."""
        kw.setdefault("runs", self.plan.runs)
        self.measure(case, key, argv, root=root, tool="floor", warmup=True, **kw)

    # the run

    def compile_package(self) -> None:
        """Write afsreg's .pyc files before timing anything, as `pip install` does.

        With PYTHONDONTWRITEBYTECODE=1 (set on some machines) and an editable
        install, every timed process would otherwise compile every module it
        imports (~0.07 s a command), a cost no installed afsreg pays.
        """
        where = subprocess.run(
            [self.python, "-c", "import afsreg, os; print(os.path.dirname(afsreg.__file__))"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if where:
            subprocess.run([self.python, "-m", "compileall", "-q", where], check=False)

    def run_all(self) -> None:
        if self.afsreg is None:
            raise SystemExit(
                "afsreg is not installed (pip install -e .), nor named by AFSREG_BENCH_AFSREG"
            )
        self.compile_package()
        self.pg, self.pg_reason = PgServer.find()
        try:
            for key in self.plan.sizes:
                self.scale_cases(key)
            if self.plan.history:
                self.history_cases(self.plan.history)
            self.compare_cases()
        finally:
            if self.pg is not None:
                self.pg.cleanup()
        judge(self.results, self.plan.sizes)

    def scale_cases(self, key: str) -> None:
        """Every case of issue 16's table, and issue 13's answers, on one registry."""
        root = self.registry(key)
        shutil.rmtree(root / ".git" / "afsreg", ignore_errors=True)
        self.floor_cases(key, root)
        self.measure(
            report.VALIDATE_COLD,
            key,
            self.afsreg_cmd("validate"),
            root=root,
            cold=True,
            prepare=self.cold(root),
        )
        self.measure(report.VALIDATE_WARM, key, self.afsreg_cmd("validate"), root=root, warmup=True)
        self.precommit_cases(key, root)
        sqlite_file = self.sync_cases(key, root)
        self.measure(report.LIST_WARM, key, self.afsreg_cmd("list"), root=root, warmup=True)
        self.listing_cases(key, root)
        self.answer_cases(key, root, sqlite_file)

    def listing_cases(self, key: str, root: Path) -> None:
        """The other read commands that look at every model (or a large one), warm."""
        chain = str(self.info(key).get("chain_head") or "")
        largest = chain.split("@")[0] if chain else sorted(os.listdir(root / "models"))[0]
        cases = [
            (report.LIST_JSON, ["list", "--format", "json"]),
            (report.VERSIONS, ["versions", largest]),
            (report.DEPLOYMENTS, ["deployments"]),
        ]
        for case, args in cases:
            self.measure(case, key, self.afsreg_cmd(*args), root=root, warmup=True)
        # What every read of the working tree pays to learn which folders changed
        # (afsreg.git.objects.worktree_delta): it stats every file, so it grows with them.
        status = ["status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignored=matching"]
        self.floor(report.GIT_STATUS, key, ["git", *status, "--", "models"], root)

    def floor_cases(self, key: str, root: Path) -> None:
        python = self.python
        env = _env_with_pythonpath(REPO)
        self.floor(report.START_UP, key, [python, "-c", "pass"], root)
        self.floor(report.IMPORT_CLI, key, [python, "-c", "import afsreg.cli"], root)
        self.floor(report.REV_PARSE, key, ["git", "rev-parse", "HEAD:models"], root)
        self.floor(report.LS_TREE, key, ["git", "ls-tree", "HEAD:models"], root)
        # The parse floor costs seconds at 100k: once, without a warm-up run.
        large = self.large(key)
        self.measure(
            report.PARSE,
            key,
            [python, "-m", "bench.floors", "parse", str(root)],
            root=root,
            tool="floor",
            warmup=not large,
            runs=1 if large else None,
            env=env,
        )
        if int(self.info(key)["versions"]) <= DRAFT7_FLOOR_MAX:
            self.measure(
                report.DRAFT7,
                key,
                [python, "-m", "bench.floors", "validate", str(root)],
                root=root,
                tool="floor",
                runs=1 if int(self.info(key)["versions"]) > 1_000 else None,
                env=env,
            )
        self.floor(
            report.GIT_LOG,
            key,
            ["git", "log", "--name-status", "--format=%H %P", "-M90%", "HEAD", "--", "models/"],
            root,
            runs=1 if large else None,
        )

    def precommit_cases(self, key: str, root: Path) -> None:
        """Both hook forms with one changed, staged file, the cache warm from the last commit."""
        path = str(self.info(key)["sample_file"])
        entry = _hook_entry()
        if entry[0] == "afsreg":
            entry[0] = str(self.afsreg)
        original = (root / path).read_bytes()

        def change(i: int) -> None:
            # A new description each run, staged, as `git commit` has it when the hook runs
            # (the framework stashes unstaged changes, so the work tree equals the index).
            text = original.replace(
                b"\ndescription: ", f"\ndescription: bench edit {i + 2}, ".encode(), 1
            )
            (root / path).write_bytes(text)
            _git(root, "add", path)

        # The cache is warm from the previous commit's hook run: the usual case.
        run_once(self.afsreg_cmd("validate"), root)
        self.measure(
            report.HOOK_FRAMEWORK, key, [*entry, path], root=root, prepare=change, warmup=True
        )
        self.floor(
            report.DIFF_INDEX,
            key,
            ["git", "diff-index", "--cached", "HEAD", "--", "models/"],
            root,
            prepare=change,
        )
        # The plain hook is the shell script itself, finding afsreg on PATH as installed.
        hook_env = dict(os.environ)
        hook_env["PATH"] = os.pathsep.join([str(Path(self.afsreg or "").parent), hook_env["PATH"]])
        self.measure(
            report.HOOK_GIT,
            key,
            ["/bin/sh", str(REPO / "hooks" / "pre-commit")],
            root=root,
            prepare=change,
            warmup=True,
            env=hook_env,
        )
        self.measure(
            report.HOOK_FRAMEWORK_COLD,
            key,
            [*entry, path],
            root=root,
            cold=True,
            prepare=self.cold(root, then=change),
        )
        _git(root, "reset", "-q", "--hard", str(self.info(key)["head"]))
        run_once(self.afsreg_cmd("validate"), root)  # leave the cache warm for what follows

    def sync_cases(self, key: str, root: Path) -> Path | None:
        """Full, incremental and no-op sync into SQLite and PostgreSQL; the SQLite file left."""
        sqlite_file = WORK_DIR / f"sync-{key}.sqlite3"
        sync_help = run_once(self.afsreg_cmd("sync", "--help"), root)
        targets: list[tuple[str, str | None]] = [("sqlite", f"sqlite:///{sqlite_file}")]
        targets.append(("postgresql", self.pg.url if self.pg is not None else None))
        synced: Path | None = None
        for dialect, url in targets:
            cases = [report.sync_case(dialect, k) for k in ("full", "incremental", "no-op")]
            if sync_help.returncode != 0:
                for case in cases:  # reports the failure
                    self.measure(case, key, self.afsreg_cmd("sync"), root=root)
                continue
            if url is None:
                for case in cases:
                    self.skip(case, key, self.pg_reason)
                continue
            if self.sync_one(key, root, dialect, url, sqlite_file) and dialect == "sqlite":
                synced = sqlite_file
        _git(root, "reset", "-q", "--hard", str(self.info(key)["head"]))
        return synced

    def sync_one(self, key: str, root: Path, dialect: str, url: str, sqlite_file: Path) -> bool:
        argv = self.afsreg_cmd("sync", "--database-url", url)
        head = str(self.info(key)["head"])
        path = str(self.info(key)["sample_file"])
        original = (root / path).read_bytes()

        def fresh_database(_i: int) -> None:
            _git(root, "reset", "-q", "--hard", head)
            if dialect == "postgresql" and self.pg is not None:
                self.pg.recreate()
            else:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)

        def one_change(i: int) -> None:
            # A merge lands one changed file: commit it, so HEAD and the tree agree.
            text = original.replace(
                b"\ndescription: ", f"\ndescription: sync edit {i + 2}, ".encode(), 1
            )
            (root / path).write_bytes(text)
            _git(root, "commit", "-q", "-m", f"bench: edit {path}", "--", path)

        full = report.sync_case(dialect, "full")
        incremental = report.sync_case(dialect, "incremental")
        noop = report.sync_case(dialect, "no-op")
        # A full sync into a fresh database; afsreg's own cache under .git/ stays warm.
        measured = self.measure(full, key, argv, root=root, cold=True, prepare=fresh_database)
        # The last timed full sync leaves the database at HEAD; without one, sync now.
        ready = measured is not None and measured.status == "ok"
        if not ready:
            fresh_database(0)
            ready = run_once(argv, root).returncode == 0
        if not ready:
            for case in (incremental, noop):
                self.measure(case, key, argv, root=root)
            return False
        self.measure(incremental, key, argv, root=root, prepare=one_change, warmup=True)
        self.measure(noop, key, argv, root=root, warmup=True)
        if dialect == "sqlite":
            sql = (
                "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("
                "'SELECT * FROM artifacts WHERE name = ? AND version_tag = ?', "
                "(sys.argv[2], sys.argv[3])).fetchall()"
            )
            model, version = _name_version(path)
            self.floor(
                report.SQLITE_READ,
                key,
                [self.python, "-c", sql, str(sqlite_file), model, version],
                root,
            )
        else:
            sql = (
                "import psycopg,sys; psycopg.connect(sys.argv[1]).execute("
                "'SELECT * FROM artifacts WHERE name = %s AND version_tag = %s', "
                "(sys.argv[2], sys.argv[3])).fetchall()"
            )
            model, version = _name_version(path)
            self.floor(report.PG_READ, key, [self.python, "-c", sql, url, model, version], root)
        return True

    def answer_cases(self, key: str, root: Path, sqlite_file: Path | None) -> None:
        """resolve, resolve --at and search (issue 13), beside the same question in SQL."""
        if not any(self.wanted(c) for c in (report.RESOLVE, report.RESOLVE_AT, report.SEARCH)):
            return
        listing = subprocess.run(
            self.afsreg_cmd(
                "deployments", "--env", "production", "--no-commits", "--format", "json"
            ),
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if listing.returncode != 0:
            self.skip(report.RESOLVE, key, f"deployments failed: {_first_line(listing.stderr)}")
            return
        active = json.loads(listing.stdout)["active"]
        if not active:
            self.skip(report.RESOLVE, key, "nothing deployed in production")
            return
        name = active[len(active) // 2]["model"]
        times = [
            int(t)
            for t in subprocess.run(
                ["git", "log", "--first-parent", "--format=%ct", "HEAD"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
        ]
        middle = (min(times) + max(times)) // 2
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(middle))
        sqlite_when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(middle))
        expr = "promotion = 'promoted' AND metrics.accuracy > 0.9"
        cases = [
            (report.RESOLVE, ["resolve", f"{name}@production"], (0,)),
            (report.RESOLVE_AT, ["resolve", f"{name}@production", "--at", when], (0, 1)),
            (report.SEARCH, ["search", expr, "--order-by", "metrics.accuracy desc", "--limit", "20"], (0,)),
        ]  # fmt: skip
        for case, args, codes in cases:
            self.measure(case, key, self.afsreg_cmd(*args), root=root, warmup=True, ok_codes=codes)
        # What search cannot go below: one field of every version, read in one query
        # from the field store the search just filled (afsreg.git.projections).
        field_values = (
            "import glob, sqlite3; db = sqlite3.connect(glob.glob('.git/afsreg/cache-*.sqlite3')[0]);"
            " print(len(db.execute('SELECT blob, is_json, value FROM field_values WHERE field = ?',"
            " ('search:metrics.accuracy',)).fetchall()))"
        )
        self.floor(report.FIELD_VALUES, key, [self.python, "-c", field_values], root)
        if sqlite_file is None:
            database = WORK_DIR / f"answers-{key}.sqlite3"
            database.unlink(missing_ok=True)
            synced = run_once(
                self.afsreg_cmd("sync", "--database-url", f"sqlite:///{database}"), root
            )
            if synced.returncode != 0:
                self.skip(report.SQL_RESOLVE, key, f"sync failed: {synced.stderr_head}")
                return
            sqlite_file = database
        sql = [self.python, "-m", "bench.sql", str(sqlite_file)]
        sql_cases = [
            (report.SQL_RESOLVE, ["resolve-env", f"model={name}", "env=production"], (0,)),
            (report.SQL_AT, ["deployed-at", "env=production", f"t={sqlite_when}"], (0, 1)),
            (report.SQL_SEARCH, ["promoted-by-accuracy", "min_accuracy=0.9"], (0, 1)),
        ]
        for case, args, codes in sql_cases:
            self.floor(
                case, key, [*sql, *args], root, env=_env_with_pythonpath(REPO), ok_codes=codes
            )

    def history_cases(self, key: str) -> None:
        root = self.registry(key)
        ref = str(self.info(key)["most_edited"])
        for case, argv in (
            ("log NAME@VERSION", self.afsreg_cmd("log", ref)),
            ("blame NAME@VERSION", self.afsreg_cmd("blame", ref)),
        ):
            self.measure(f"{case} cold", key, argv, root=root, cold=True, prepare=self.cold(root))
            self.measure(f"{case} warm", key, argv, root=root, warmup=True)
        chain_head = self.info(key)["chain_head"]
        if chain_head:
            depth = self.plan.specs[key].chain_depth
            self.measure(
                f"lineage on a {depth}-deep parent chain",
                key,
                self.afsreg_cmd("lineage", str(chain_head)),
                root=root,
                warmup=True,
            )
        back = min(100, int(self.info(key)["commits"]) - 1)
        self.measure(
            f"diff HEAD~{back} HEAD",
            key,
            self.afsreg_cmd("diff", f"HEAD~{back}", "HEAD"),
            root=root,
            warmup=True,
        )

    def compare_cases(self) -> None:
        for key in self.plan.check_jsonschema:
            if not self.wanted(report.CHECK_JSONSCHEMA):
                continue
            root = self.registry(key)
            if key not in self.plan.sizes:
                self.measure(
                    report.VALIDATE_COLD,
                    key,
                    self.afsreg_cmd("validate"),
                    root=root,
                    cold=True,
                    prepare=self.cold(root),
                )
            files = sorted(str(p.relative_to(root)) for p in (root / "models").glob("*/*.yaml"))
            if self.check_jsonschema is None:
                why = "check-jsonschema not found (PATH, AFSREG_BENCH_CHECK_JSONSCHEMA)"
                self.skip(report.CHECK_JSONSCHEMA, key, why, tool="check-jsonschema")
                continue
            argv = [self.check_jsonschema, "--schemafile", "schemas/model_version.schema.json"]
            measured = self.measure(
                report.CHECK_JSONSCHEMA,
                key,
                [*argv, *files],
                root=root,
                runs=self.plan.slow_runs,
                tool="check-jsonschema",
                compare_to=report.VALIDATE_COLD,
            )
            if measured is not None:
                measured.argv = [*argv, f"<{len(files)} files>"]
        for key in self.plan.gto:
            if not (self.wanted(report.GTO_SHOW) or self.wanted(report.GTO_HISTORY)):
                continue
            root = self.registry(key)
            model = str(self.info(key)["sample_model"])
            if key not in self.plan.sizes:
                self.measure(report.LIST_WARM, key, self.afsreg_cmd("list"), root=root, warmup=True)
            self.measure(
                report.LOG_NAME, key, self.afsreg_cmd("log", model), root=root, warmup=True
            )
            for case, argv, compare in (
                (report.GTO_SHOW, ["show"], report.LIST_WARM),
                (report.GTO_HISTORY, ["history", model], report.LOG_NAME),
            ):
                if self.gto is None:
                    self.skip(case, key, "gto not found (PATH, AFSREG_BENCH_GTO)", tool="gto")
                    continue
                self.measure(
                    case,
                    key,
                    [self.gto, *argv],
                    root=root,
                    runs=self.plan.slow_runs,
                    tool="gto",
                    compare_to=compare,
                )


def judge(results: list[Result], sizes: Sequence[str]) -> None:
    """Ratios to the other tools and the issue's verdicts, written afresh on each result."""
    for r in results:
        r.ratio, r.targets = None, []
    report.apply_ratios(results)
    report.apply_targets(
        results, report.issue_targets(), peak_size="100k" if "100k" in sizes else None
    )


def _name_version(path: str) -> tuple[str, str]:
    """models/NAME/VERSION.yaml -> (NAME, VERSION)."""
    parts = Path(path).parts
    return parts[1], Path(parts[2]).stem


# -- PostgreSQL ------------------------------------------------------------------------------


class PgServer:
    """A throwaway database on the server named by AFSREG_BENCH_DATABASE_URL (or the test URL)."""

    def __init__(self, admin_url: str, name: str) -> None:
        self.admin_url = admin_url
        self.name = name
        self.url = _with_dbname(admin_url, name)

    @classmethod
    def find(cls) -> tuple[PgServer | None, str]:
        admin = os.environ.get("AFSREG_BENCH_DATABASE_URL") or os.environ.get(
            "AFSREG_TEST_DATABASE_URL", DEFAULT_DB_URL
        )
        try:
            import psycopg

            with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
            reason = f"PostgreSQL unreachable at {_mask(admin)}: {_first_line(str(exc)) or type(exc).__name__}"
            if os.environ.get("CI") == "true":
                raise SystemExit(f"bench: {reason} (CI=true: PostgreSQL is required)") from exc
            return None, reason
        server = cls(admin, f"afsreg_bench_{os.getpid()}")
        server.recreate()
        return server, ""

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def recreate(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.name}"')

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _with_dbname(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _mask(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


# -- small helpers -----------------------------------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, stdout=subprocess.DEVNULL)


def _find_tool(name: str, env_var: str) -> str | None:
    named = os.environ.get(env_var)
    if named:
        return named if Path(named).exists() or shutil.which(named) else None
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def _python_of(script: str | None) -> str:
    """The interpreter a console script runs under (its shebang), else this one."""
    if script:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            first = Path(script).read_text().splitlines()[0]
            if first.startswith("#!") and "python" in first:
                return first[2:].strip().split()[0]
    return sys.executable


def _env_with_pythonpath(path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(path), env.get("PYTHONPATH", "")) if p)
    return env


def _hook_entry() -> list[str]:
    """The afsreg-validate hook's command line, as .pre-commit-hooks.yaml declares it."""
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "afsreg-validate")
    return [*shlex.split(hook["entry"]), *hook.get("args", [])]


def _spec_digest(spec: Spec) -> str:
    schemas = b"".join(p.read_bytes() for p in sorted(generate.SCHEMAS_DIR.glob("*.json")))
    text = json.dumps(dataclasses.asdict(spec), sort_keys=True) + str(generate.GENERATOR_VERSION)
    return hashlib.sha1(text.encode() + schemas).hexdigest()[:8]


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": cpu or platform.processor(),
        "cpus": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "git": subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip(),
        "load_average": _load_average(),
    }


def _load_average() -> list[float] | None:
    """1, 5 and 15-minute load: on a shared machine, what else was running."""
    with contextlib.suppress(OSError):
        return [round(x, 2) for x in os.getloadavg()]
    return None


def tool_versions(bench: Bench) -> dict[str, str | None]:
    def version(argv: list[str] | None) -> str | None:
        if not argv or argv[0] is None:
            return None
        proc = subprocess.run(argv, capture_output=True, text=True)
        text = (proc.stdout or proc.stderr).strip()
        return re.sub(r"[^\x20-\x7e]", "", text.splitlines()[-1]).strip() if text else None

    return {
        "afsreg": version([bench.afsreg, "--version"]) if bench.afsreg else None,
        "check-jsonschema": version([bench.check_jsonschema, "--version"])
        if bench.check_jsonschema
        else None,
        "gto": version([bench.gto, "--version"]) if bench.gto else None,
    }


# -- output ----------------------------------------------------------------------------------------


def chart_series(
    results: Sequence[Result], sizes: Sequence[str]
) -> list[tuple[str, list[tuple[float, float]], bool]]:
    """One line per afsreg case or floor measured at two sizes or more; floors dashed."""
    lines: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for r in results:
        if r.spec in sizes and r.tool in ("afsreg", "floor") and r.median is not None:
            lines.setdefault((r.case, r.tool), []).append((float(r.versions), r.median))
    return [
        (re.sub(r" \([^)]*\)", "", case.removeprefix("floor: ")), points, tool == "floor")
        for (case, tool), points in lines.items()
        if len(points) >= 2
    ]


def runs_text(plan: Plan) -> str:
    return (
        f"{plan.runs} warm / {plan.cold_runs} cold, {plan.large_runs} / {plan.large_cold_runs} "
        f"from {LARGE:,} versions, {plan.slow_runs} for check-jsonschema and GTO "
        "(warm cases after one untimed run)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", choices=sorted(PLANS), default="smoke")
    parser.add_argument(
        "--sizes",
        metavar="LIST",
        help="registry sizes to run the scale cases at, e.g. 1k,10k (default: the plan's)",
    )
    parser.add_argument("--runs", type=int, help="timed warm runs per case (default: by plan)")
    parser.add_argument(
        "--large-runs",
        type=int,
        help=f"timed runs per case from {LARGE:,} versions, warm and cold (default: by plan)",
    )
    parser.add_argument("--only", metavar="REGEX", help="only the cases whose name matches")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"default: {DEFAULT_JSON}")
    parser.add_argument(
        "--chart", type=Path, default=DEFAULT_CHART, help=f"SVG chart; default: {DEFAULT_CHART}"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"also write the chart to {DOC_CHART.relative_to(REPO)} and the tables into "
        f"the marked section of {DOC.relative_to(REPO)}",
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the registries even if cached"
    )
    parser.add_argument(
        "--drop-os-cache",
        action="store_true",
        help="cold runs also drop the OS page cache (needs root)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="run nothing: print the tables of a saved results file (and --write-docs)",
    )
    return parser.parse_args(argv)


def results_from(saved: dict[str, Any]) -> list[Result]:
    """The results of a saved run (its JSON), as the harness had them."""
    names = {f.name for f in dataclasses.fields(Result)}
    return [Result(**{k: v for k, v in r.items() if k in names}) for r in saved["results"]]


def write_outputs(
    out: dict[str, Any], results: list[Result], chart_path: Path, write_docs: bool
) -> None:
    """The chart (always) and, with write_docs, the chart and tables in docs/."""
    sizes = out["sizes"]
    svg = chart.svg_chart(chart_series(results, sizes), "afsreg: wall time against registry size")
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    chart_path.write_text(svg)
    if write_docs:
        DOC_CHART.write_text(svg)
        section = report.doc_section(out, results, sizes)
        DOC.write_text(report.replace_section(DOC.read_text(), section))


def choose_plan(args: argparse.Namespace) -> Plan:
    plan = PLANS[args.size]
    if args.sizes:
        sizes = tuple(s.strip() for s in args.sizes.split(",") if s.strip())
        unknown = [s for s in sizes if s not in plan.specs]
        if unknown:
            raise SystemExit(
                f"unknown size(s) {', '.join(unknown)}; known: {', '.join(plan.specs)}"
            )
        sizes = tuple(sorted(sizes, key=lambda s: plan.specs[s].versions))
        plan = dataclasses.replace(plan, sizes=sizes)
    if args.runs:
        plan = dataclasses.replace(plan, runs=args.runs, cold_runs=min(plan.cold_runs, args.runs))
    if args.large_runs:
        plan = dataclasses.replace(
            plan,
            large_runs=args.large_runs,
            large_cold_runs=min(plan.large_cold_runs, args.large_runs),
        )
    return plan


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        results = results_from(saved)
        judge(results, saved["sizes"])
        print(report.table(results))
        if len(saved["sizes"]) > 1:
            print("\n" + report.growth_table(results, saved["sizes"]))
        if saved.get("partial"):
            print(f"\n(a run stopped after {len(results)} cases)")
        write_outputs(saved, results, args.chart, args.write_docs)
        return 0
    plan = choose_plan(args)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    bench = Bench(plan, args)
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    bench.header = {
        "size": args.size,
        "sizes": list(plan.sizes),
        "runs": dataclasses.asdict(plan) | {"specs": None},
        "runs_text": runs_text(plan),
        "command": command.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {**machine(), "load_average_at_start": _load_average()},
        "tools": tool_versions(bench),
        "seconds": 0.0,
    }
    bench.run_all()
    elapsed = time.perf_counter() - started
    text = report.table(bench.results)
    growth = report.growth_table(bench.results, plan.sizes)
    print(text)
    if len(plan.sizes) > 1:
        print("\n" + growth)
    failed = [
        r for r in bench.results if r.status.startswith("failed") and r.tool in ("afsreg", "floor")
    ]
    out: dict[str, Any] = {
        **bench.header,
        "machine": {**bench.header["machine"], "load_average": _load_average()},
        "registries": bench.registries,
        "results": [r.as_dict() for r in bench.results],
        "seconds": round(elapsed, 1),
        "table": text,
        "growth": growth,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2) + "\n")
    write_outputs(out, bench.results, args.chart, args.write_docs)
    print(
        f"\n{len(bench.results)} cases in {elapsed:.0f} s; JSON: {args.json}; chart: {args.chart}"
        + (f"; docs: {DOC.relative_to(REPO)}" if args.write_docs else "")
        + (f"; {len(failed)} afsreg case(s) FAILED" if failed else "")
    )
    return 1 if failed else 0
