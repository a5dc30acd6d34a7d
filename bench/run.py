"""The benchmark harness: afsreg commands on synthetic registries, and the tools beside it.

Every measurement runs the real command line in a fresh child process, so its
time includes interpreter start-up and imports, as a pre-commit hook or a CI
step pays them. Wall time is taken over several runs (median, min, max); peak
memory is the child's own maximum resident set (``os.wait4``).

Example:
    python -m bench --size smoke
    AFSREG_BENCH_GTO=/tmp/gto-venv/bin/gto python -m bench --size full
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import generate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK_DIR = Path(os.environ.get("AFSREG_BENCH_DIR", "/tmp/afsreg-bench"))
DEFAULT_JSON = HERE / "out" / "results.json"
DEFAULT_DB_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RUN_TIMEOUT = 600.0  # seconds; a run past this is killed and reported as failed


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
    runs: int
    slow_runs: int  # for the comparison tools, which take seconds to minutes a run
    specs: dict[str, Spec]
    validate: tuple[str, ...]  # spec keys
    precommit: str
    sync: str
    history: str
    chain: str
    list_diff: tuple[str, ...]
    check_jsonschema: tuple[str, ...]
    gto: str
    floors: str


PLANS = {
    "smoke": Plan(
        runs=2,
        slow_runs=1,
        specs={
            "small": Spec("small", 10, 20, 400, chain_depth=50, gto_tags=True),
        },
        validate=("small",),
        precommit="small",
        sync="small",
        history="small",
        chain="small",
        list_diff=("small",),
        check_jsonschema=("small",),
        gto="small",
        floors="small",
    ),
    "full": Plan(
        runs=5,
        slow_runs=3,
        specs={
            "1k": Spec("1k", 50, 20, 1_000),
            "5k": Spec("5k", 250, 20, 10_000, gto_tags=True),
            "10k": Spec("10k", 180, 50, 10_000, chain_depth=1_000),
            "50k": Spec("50k", 500, 100, 10_000),
        },
        validate=("1k", "10k", "50k"),
        precommit="10k",
        sync="10k",
        history="10k",
        chain="10k",
        list_diff=("5k", "10k"),
        check_jsonschema=("1k", "10k"),
        gto="5k",
        floors="10k",
    ),
}

# (case id pattern, spec key or None for any) -> (kind, limit); kind "s" is an upper bound
# on the median in seconds, "mb" on peak memory, "x" a lower bound on the speed-up.
TARGETS: list[tuple[str, str, str, float]] = [
    ("validate cold", "10k", "s", 1.0),
    ("validate warm", "10k", "s", 0.3),
    ("pre-commit: validate one changed file", "10k", "s", 0.3),
    ("sync postgresql full", "10k", "s", 2.0),
    ("sync postgresql incremental", "10k", "s", 0.3),
    ("sync postgresql no-op", "10k", "s", 0.2),
    ("log NAME@VERSION warm", "10k", "s", 0.2),
    ("validate cold", "50k", "mb", 300.0),
    ("validate warm", "50k", "mb", 300.0),
    ("check-jsonschema --schemafile (same files)", "10k", "x", 5.0),
    ("gto show", "5k", "x", 20.0),
    ("gto history", "5k", "x", 20.0),
]


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


@dataclasses.dataclass
class Result:
    case: str
    spec: str
    versions: int
    commits: int
    argv: list[str]
    status: str = "ok"  # ok | failed: ... | skipped: ...
    samples: list[float] = dataclasses.field(default_factory=list)
    peak_mb: float | None = None
    compare_to: str | None = None  # case of the afsreg row this tool is compared with
    ratio: float | None = None  # tool median / afsreg median
    target: str | None = None
    verdict: str | None = None
    tool: str = "afsreg"

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["median"] = self.median
        out["min"] = min(self.samples) if self.samples else None
        out["max"] = max(self.samples) if self.samples else None
        return out


# -- the bench ---------------------------------------------------------------------------


class Bench:
    def __init__(self, plan: Plan, args: argparse.Namespace) -> None:
        self.plan = plan
        self.args = args
        self.results: list[Result] = []
        self.registries: dict[str, dict[str, Any]] = {}
        self.afsreg = _find_tool("afsreg", "AFSREG_BENCH_AFSREG")
        self.check_jsonschema = _find_tool("check-jsonschema", "AFSREG_BENCH_CHECK_JSONSCHEMA")
        self.gto = _find_tool("gto", "AFSREG_BENCH_GTO")
        self.only = re.compile(args.only) if args.only else None
        self.pg: PgServer | None = None
        self.pg_reason = ""

    # registries

    def registry(self, key: str) -> Path:
        """The generated repository for a spec, built once and reset to its generated state."""
        spec = self.plan.specs[key]
        dest = WORK_DIR / f"{key}-{_spec_digest(spec)}"
        stamp = dest / ".git" / generate.STAMP_NAME
        info: dict[str, Any] | None = None
        if stamp.exists() and not self.args.regenerate:
            info = json.loads(stamp.read_text())
        if info is None or info.get("generator_version") != generate.GENERATOR_VERSION:
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
        shutil.rmtree(dest / ".git" / "afsreg", ignore_errors=True)
        self.registries[key] = {**info, "path": str(dest)}
        return dest

    def info(self, key: str) -> dict[str, Any]:
        return self.registries[key]

    # measuring

    def wanted(self, case: str) -> bool:
        return self.only is None or bool(self.only.search(case))

    def measure(
        self,
        case: str,
        key: str,
        argv: Sequence[str],
        *,
        root: Path,
        runs: int | None = None,
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
        # The largest registries take seconds a run: fewer runs, as for the other tools.
        runs = runs or (self.plan.slow_runs if int(info["versions"]) >= 50_000 else self.plan.runs)
        self._progress(f"{case} [{key}]")
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
            print(f"  running {text}", file=sys.stderr, flush=True)

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

    # the groups

    def run_all(self) -> None:
        if self.afsreg is None:
            raise SystemExit(
                "afsreg is not installed (pip install -e .), nor named by AFSREG_BENCH_AFSREG"
            )
        keys = sorted(
            {
                *self.plan.validate,
                self.plan.precommit,
                self.plan.sync,
                self.plan.history,
                self.plan.chain,
                *self.plan.list_diff,
                *self.plan.check_jsonschema,
                self.plan.gto,
                self.plan.floors,
            },
            key=lambda k: self.plan.specs[k].versions,
        )
        for key in keys:
            self._progress(f"generate registry {key}")
            self.registry(key)
        self.pg, self.pg_reason = PgServer.find()
        try:
            self.floors()
            self.validate_group()
            self.precommit_group()
            self.sync_group()
            self.history_group()
            self.list_diff_group()
            self.answers_group()
            self.compare_group()
        finally:
            if self.pg is not None:
                self.pg.cleanup()
        self.apply_targets()

    def floors(self) -> None:
        key = self.plan.floors
        root = self.registry(key)
        python = _python_of(self.afsreg)
        self.measure(
            "floor: python start-up + import afsreg.cli",
            key,
            [python, "-c", "import afsreg.cli"],
            root=root,
            tool="floor",
            warmup=True,
        )
        self.measure(
            "floor: read + C-parse, one process",
            key,
            [python, "-m", "bench.floors", "parse", str(root)],
            root=root,
            tool="floor",
            warmup=True,
            env=_env_with_pythonpath(REPO),
        )
        self.measure(
            "floor: read + C-parse + Draft7 validate, one process",
            key,
            [python, "-m", "bench.floors", "validate", str(root)],
            root=root,
            tool="floor",
            warmup=True,
            env=_env_with_pythonpath(REPO),
        )
        self.measure(
            "floor: git log --name-status -- models/",
            key,
            ["git", "log", "--name-status", "--format=%H %P", "-M90%", "HEAD", "--", "models/"],
            root=root,
            tool="floor",
            warmup=True,
        )

    def validate_group(self) -> None:
        for key in self.plan.validate:
            root = self.registry(key)
            self.measure(
                "validate cold",
                key,
                self.afsreg_cmd("validate"),
                root=root,
                prepare=self.cold(root),
            )
            self.measure("validate warm", key, self.afsreg_cmd("validate"), root=root, warmup=True)

    def precommit_group(self) -> None:
        key = self.plan.precommit
        root = self.registry(key)
        path = str(self.info(key)["sample_file"])
        entry = _hook_entry()
        if entry[0] == "afsreg":
            entry[0] = str(self.afsreg)
        original = (root / path).read_bytes()

        def change(i: int) -> None:
            # A new description each run, staged, as `git commit` would have it.
            text = original.replace(
                b"\ndescription: ", f"\ndescription: bench edit {i + 2}, ".encode(), 1
            )
            (root / path).write_bytes(text)
            _git(root, "add", path)

        # The cache is warm from the previous commit's hook run: the usual case.
        run_once(self.afsreg_cmd("validate"), root)
        self.measure(
            "pre-commit: validate one changed file",
            key,
            [*entry, path],
            root=root,
            prepare=change,
            warmup=True,
        )
        self.measure(
            "pre-commit: validate one changed file, cold cache",
            key,
            [*entry, path],
            root=root,
            prepare=self.cold(root, then=change),
        )
        _git(root, "reset", "-q", "--hard", str(self.info(key)["head"]))

    def sync_group(self) -> None:
        key = self.plan.sync
        root = self.registry(key)
        sync_help = run_once(self.afsreg_cmd("sync", "--help"), root)
        targets: list[tuple[str, str | None, str]] = [("sqlite", None, "")]
        if self.pg is not None:
            targets.append(("postgresql", self.pg.url, ""))
        else:
            targets.append(("postgresql", None, self.pg_reason))
        for dialect, url, why in targets:
            cases = [f"sync {dialect} full", f"sync {dialect} incremental", f"sync {dialect} no-op"]
            if sync_help.returncode != 0:
                for case in cases:
                    self.measure(
                        case, key, self.afsreg_cmd("sync"), root=root
                    )  # reports the failure
                continue
            if dialect == "postgresql" and url is None:
                for case in cases:
                    self.skip(case, key, why)
                continue
            self.sync_cases(key, root, dialect, url)
        _git(root, "reset", "-q", "--hard", str(self.info(key)["head"]))

    def sync_cases(self, key: str, root: Path, dialect: str, pg_url: str | None) -> None:
        sqlite_file = WORK_DIR / f"sync-{key}.sqlite3"
        url = pg_url if pg_url is not None else f"sqlite:///{sqlite_file}"
        argv = self.afsreg_cmd("sync", "--database-url", url)
        head = str(self.info(key)["head"])
        path = str(self.info(key)["sample_file"])
        original = (root / path).read_bytes()

        def fresh_database(_i: int) -> None:
            _git(root, "reset", "-q", "--hard", head)
            if self.pg is not None and dialect == "postgresql":
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

        self.measure(f"sync {dialect} full", key, argv, root=root, prepare=fresh_database)
        fresh_database(0)
        first = run_once(argv, root)
        if first.returncode != 0:
            for case in (f"sync {dialect} incremental", f"sync {dialect} no-op"):
                self.measure(case, key, argv, root=root)
            return
        self.measure(f"sync {dialect} incremental", key, argv, root=root, prepare=one_change)
        self.measure(f"sync {dialect} no-op", key, argv, root=root, warmup=True)

    def history_group(self) -> None:
        key = self.plan.history
        root = self.registry(key)
        ref = str(self.info(key)["most_edited"])
        for case, argv in (
            ("log NAME@VERSION", self.afsreg_cmd("log", ref)),
            ("blame NAME@VERSION", self.afsreg_cmd("blame", ref)),
        ):
            self.measure(f"{case} cold", key, argv, root=root, prepare=self.cold(root))
            self.measure(f"{case} warm", key, argv, root=root, warmup=True)
        chain_key = self.plan.chain
        chain_root = self.registry(chain_key)
        chain_head = self.info(chain_key)["chain_head"]
        if chain_head:
            depth = self.plan.specs[chain_key].chain_depth
            self.measure(
                f"lineage on a {depth}-deep parent chain",
                chain_key,
                self.afsreg_cmd("lineage", str(chain_head)),
                root=chain_root,
                warmup=True,
            )

    def answers_group(self) -> None:
        """resolve, resolve --at and search, beside the start-up floor and the same question in SQL."""
        key = self.plan.history
        root = self.registry(key)
        wanted = ("resolve", "search", "sql:")
        if not any(self.wanted(c) for c in wanted):
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
            why = f"deployments failed: {_first_line(listing.stderr)}"
            self.skip("resolve NAME@production warm", key, why)
            return
        active = json.loads(listing.stdout)["active"]
        if not active:
            self.skip("resolve NAME@production warm", key, "nothing deployed in production")
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
            ("resolve NAME@production warm", ["resolve", f"{name}@production"], (0,)),
            (
                "resolve NAME@production --at DATE warm",
                ["resolve", f"{name}@production", "--at", when],
                (0, 1),
            ),
            (
                "search metric > x ORDER BY metric warm",
                ["search", expr, "--order-by", "metrics.accuracy desc", "--limit", "20"],
                (0,),
            ),
        ]
        for case, args, codes in cases:
            self.measure(case, key, self.afsreg_cmd(*args), root=root, warmup=True, ok_codes=codes)
        # The same questions through SQL, on the synced embedded file.
        database = WORK_DIR / f"answers-{key}.sqlite3"
        database.unlink(missing_ok=True)
        synced = run_once(self.afsreg_cmd("sync", "--database-url", f"sqlite:///{database}"), root)
        python = _python_of(self.afsreg)
        sql = [python, "-m", "bench.sql", str(database)]
        env = _env_with_pythonpath(REPO)
        sql_cases = [
            ("sql: resolve NAME@production (sqlite)", ["resolve-env", f"model={name}", "env=production"], (0,)),
            ("sql: deployed at DATE (sqlite)", ["deployed-at", "env=production", f"t={sqlite_when}"], (0, 1)),
            ("sql: promoted with accuracy > x, best first (sqlite)", ["promoted-by-accuracy", "min_accuracy=0.9"], (0, 1)),
        ]  # fmt: skip
        for case, args, codes in sql_cases:
            if synced.returncode != 0:
                self.skip(case, key, f"sync failed: {synced.stderr_head}")
                continue
            self.measure(
                case,
                key,
                [*sql, *args],
                root=root,
                warmup=True,
                tool="floor",
                env=env,
                ok_codes=codes,
            )
        self.measure(
            "floor: python start-up + import sqlite3",
            key,
            [python, "-c", "import sqlite3"],
            root=root,
            tool="floor",
            warmup=True,
        )

    def list_diff_group(self) -> None:
        for key in self.plan.list_diff:
            root = self.registry(key)
            commits = int(self.info(key)["commits"])
            back = min(100, commits - 1)
            self.measure("list", key, self.afsreg_cmd("list"), root=root, warmup=True)
            self.measure(
                f"diff HEAD~{back} HEAD",
                key,
                self.afsreg_cmd("diff", f"HEAD~{back}", "HEAD"),
                root=root,
                warmup=True,
            )

    def compare_group(self) -> None:
        for key in self.plan.check_jsonschema:
            root = self.registry(key)
            case = "check-jsonschema --schemafile (same files)"
            files = sorted(str(p.relative_to(root)) for p in (root / "models").glob("*/*.yaml"))
            argv = [
                self.check_jsonschema or "check-jsonschema",
                "--schemafile",
                "schemas/model_version.schema.json",
                *files,
            ]
            if self.check_jsonschema is None:
                self.skip(
                    case,
                    key,
                    "check-jsonschema not found (PATH, AFSREG_BENCH_CHECK_JSONSCHEMA)",
                    tool="check-jsonschema",
                )
                continue
            self.measure(
                case,
                key,
                argv,
                root=root,
                runs=self.plan.slow_runs,
                tool="check-jsonschema",
                compare_to="validate cold",
            )
            self.results[-1].argv = [*argv[:3], f"<{len(files)} files>"] if self.results else argv
        key = self.plan.gto
        root = self.registry(key)
        model = str(self.info(key)["sample_model"])
        self.measure(
            "log NAME (whole model)", key, self.afsreg_cmd("log", model), root=root, warmup=True
        )
        if self.plan.gto not in self.plan.list_diff:
            self.measure("list", key, self.afsreg_cmd("list"), root=root, warmup=True)
        for case, argv, compare in (
            ("gto show", ["show"], "list"),
            ("gto history", ["history", model], "log NAME (whole model)"),
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

    # targets and ratios

    def apply_targets(self) -> None:
        by_case = {(r.case, r.spec): r for r in self.results}
        for r in self.results:
            if r.compare_to and r.median is not None:
                ours = by_case.get((r.compare_to, r.spec))
                if ours is not None and ours.median:
                    r.ratio = r.median / ours.median
        for case, key, kind, limit in TARGETS:
            found = by_case.get((case, key))
            if found is None or key not in self.plan.specs:
                continue
            r = found
            if kind == "s":
                r.target = f"<= {limit:g} s"
                value = r.median
                met = value is not None and value <= limit
            elif kind == "mb":
                r.target = (r.target + ", " if r.target else "") + f"<= {limit:g} MB"
                value = r.peak_mb
                met = value is not None and value <= limit
            else:
                r.target = f">= {limit:g}x"
                value = r.ratio
                met = value is not None and value >= limit
            if value is None:
                r.verdict = "n/a"
            elif r.verdict in (None, "met"):
                r.verdict = "met" if met else "MISSED"


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


def table(results: list[Result]) -> str:
    from tabulate import tabulate

    rows = []
    for r in results:
        median = r.median
        spread = f"{min(r.samples):.3f}-{max(r.samples):.3f}" if r.samples else ""
        vs = ""
        if r.ratio is not None:
            vs = f"{r.ratio:.1f}x slower than afsreg `{r.compare_to}`"
        status = r.status if r.status != "ok" else (r.verdict or "")
        if r.status == "ok" and r.target:
            status = f"{r.verdict} ({r.target})"
        rows.append(
            [
                r.case if r.tool in ("afsreg",) else f"{r.case}",
                f"{r.versions:,} v / {r.commits:,} c",
                f"{median:.3f}" if median is not None else "-",
                spread,
                f"{r.peak_mb:.0f}" if r.peak_mb is not None else "-",
                vs,
                status,
            ]
        )
    return tabulate(
        rows,
        headers=[
            "case",
            "registry",
            "median s",
            "min-max s",
            "peak MB",
            "comparison",
            "target / status",
        ],
        tablefmt="github",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", choices=sorted(PLANS), default="smoke")
    parser.add_argument(
        "--runs", type=int, default=None, help="timed runs per case (default: by size)"
    )
    parser.add_argument("--only", metavar="REGEX", help="only the cases whose name matches")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"default: {DEFAULT_JSON}")
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the registries even if cached"
    )
    parser.add_argument(
        "--drop-os-cache",
        action="store_true",
        help="cold runs also drop the OS page cache (needs root)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    plan = PLANS[args.size]
    if args.runs:
        plan = dataclasses.replace(plan, runs=args.runs, slow_runs=min(plan.slow_runs, args.runs))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = _load_average()
    bench = Bench(plan, args)
    bench.run_all()
    elapsed = time.perf_counter() - started
    text = table(bench.results)
    print(text)
    failed = [
        r for r in bench.results if r.status.startswith("failed") and r.tool in ("afsreg", "floor")
    ]
    report = {
        "size": args.size,
        "runs": plan.runs,
        "slow_runs": plan.slow_runs,
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {**machine(), "load_average_at_start": load_before},
        "tools": tool_versions(bench),
        "registries": bench.registries,
        "results": [r.as_dict() for r in bench.results],
        "seconds": round(elapsed, 1),
        "table": text,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"\n{len(bench.results)} cases in {elapsed:.0f} s; JSON: {args.json}"
        + (f"; {len(failed)} afsreg case(s) FAILED" if failed else "")
    )
    return 1 if failed else 0
