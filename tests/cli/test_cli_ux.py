"""The terminal: grouped help, "did you mean", colour only on a terminal and never with NO_COLOR, --wide, --quiet."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from conftest import BIN_DIR, GitRegistry, run_afsreg

AFSREG = str(Path(BIN_DIR) / "afsreg")


def on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run afsreg with stdout and stderr on a pseudo-terminal; what it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([AFSREG, *args], cwd=cwd, env=env, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_help_is_grouped_by_task_with_an_example_each(git_registry: GitRegistry) -> None:
    out = run_afsreg(["--help"], git_registry.root).stdout
    from afsreg.cli import GROUPS

    for title, _names, _example in GROUPS:
        assert f"{title}:" in out
    titles = {title for title, _names, _example in GROUPS}
    assert {"Read", "Answer", "Write", "History", "Review", "Database", "Web", "Set-up"} <= titles
    assert "Seed bridges (one-off migrations)" in titles
    assert out.count("e.g. afsreg") == len(GROUPS)


def test_did_you_mean(git_registry: GitRegistry) -> None:
    git_registry.write_model("majora", "v1")
    git_registry.commit("majora")
    result = run_afsreg(["serach", "x = 1"], git_registry.root)
    assert result.returncode == 2 and "Did you mean search?" in result.stderr
    result = run_afsreg(["versions", "majroa"], git_registry.root)
    assert result.returncode == 1 and "did you mean majora?" in result.stderr
    result = run_afsreg(["show", "majroa@v1"], git_registry.root)
    assert result.returncode == 1 and "did you mean majora?" in result.stderr


def test_colour_on_a_terminal_only_and_never_with_no_color(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", status="broken")
    env = {**os.environ, "PATH": BIN_DIR + os.pathsep + os.environ.get("PATH", "")}
    env.pop("NO_COLOR", None)
    coloured = on_a_terminal(["validate"], git_registry.root, env)
    assert "\x1b[" in coloured and "status" in coloured
    plain = on_a_terminal(["validate"], git_registry.root, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "status" in plain
    piped = run_afsreg(["validate"], git_registry.root, env)
    assert "\x1b[" not in piped.stderr and "status" in piped.stderr


def test_tables_fit_the_terminal_unless_wide(git_registry: GitRegistry) -> None:
    long_title = "A very long title " * 10
    git_registry.write_model("m", "v1", title=long_title.strip())
    git_registry.commit("m")
    env = {**os.environ, "PATH": BIN_DIR + os.pathsep + os.environ.get("PATH", ""), "COLUMNS": "80"}
    fitted = on_a_terminal(["versions", "m"], git_registry.root, env)
    assert all(len(line) <= 80 for line in fitted.splitlines()), fitted
    assert "…" in fitted
    wide = on_a_terminal(["versions", "m", "--wide"], git_registry.root, env)
    assert long_title.strip() in wide.replace("\r\n", "\n")


def test_validate_quiet_prints_errors_only(git_registry: GitRegistry) -> None:
    review = [{"field": "parameter_count", "reason": "unknown"}]
    git_registry.write_model("m", "v1", parameter_count=None, review=review)
    result = run_afsreg(["validate"], git_registry.root)
    assert result.returncode == 0 and "warning" in result.stdout
    quiet = run_afsreg(["validate", "--quiet"], git_registry.root)
    assert quiet.returncode == 0 and "warning: open review flag" not in quiet.stdout
    assert quiet.stdout.startswith("ok: 0 error(s), 1 warning(s)")


def test_python_is_the_one_the_tests_run() -> None:
    assert Path(sys.executable).parent == Path(BIN_DIR)
