"""The sync progress bar as a person at a terminal sees it, and its absence when piped.

The terminal is a real pseudo-terminal (pty): the bar is drawn only when
stderr is one. The screen is rebuilt from what was written to it (carriage
returns, erased lines), so "no stale bar" is checked on the final screen.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from conftest import BIN_DIR, GitRegistry, run_afsreg

VERSIONS = 600  # over the bar's threshold (cli/db.py, _Bar.MIN_ITEMS) in every phase
BAR = re.compile(r"\[[#-]+\]")  # click's bar: [####------]


@pytest.fixture
def big_registry(git_registry: GitRegistry) -> GitRegistry:
    for index in range(1, VERSIONS + 1):
        git_registry.write_model(f"m{index % 20}", f"v{index // 20 + 1}")
    git_registry.commit(f"{VERSIONS} versions")
    return git_registry


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DATABASE_URL", "NO_COLOR")}
    env.pop("AFSREG_DATABASE_URL", None)
    return {**env, "PATH": BIN_DIR + os.pathsep + env.get("PATH", ""), "TERM": "xterm", **extra}


def run_in_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run the real ``afsreg`` with a pseudo-terminal as stdin, stdout and stderr.

    Returns the exit status and everything written to the terminal; reads
    until the program closes it, for two minutes at most.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [str(Path(BIN_DIR) / "afsreg"), *args],
        cwd=cwd,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the program closed the terminal's last end
                break
            if not chunk:
                break
            chunks.append(chunk)
        else:
            process.kill()
            pytest.fail("afsreg did not finish within two minutes")
    finally:
        os.close(master)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def final_screen(written: str) -> list[str]:
    """The lines a terminal shows after ``written``: \\r, \\n, erase-line and cursor moves applied."""
    lines: list[list[str]] = [[]]
    column = 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]", written):
        line = lines[-1]
        if token == "\r":
            column = 0
        elif token == "\n":
            lines.append([])
            column = 0
        elif token == "\x1b[2K":
            line.clear()
        elif token.startswith("\x1b["):
            continue  # cursor shown or hidden: nothing on the screen
        else:
            line[column : column + 1] = [token]
            column += 1
    return ["".join(line).rstrip() for line in lines if "".join(line).strip()]


def test_the_sync_bar_reaches_its_total_and_leaves_no_stale_bar(
    big_registry: GitRegistry, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/projection.sqlite3"
    status, written = run_in_terminal(["sync", "--database-url", url], big_registry.root, _env())
    assert status == 0, written
    drawn = [frame for frame in re.split(r"[\r\n]", written) if BAR.search(frame)]
    assert drawn, f"no bar was drawn on the terminal:\n{written!r}"
    # Each phase is drawn at its total before its line is erased.
    for label in ("reading history", "projecting versions", "writing"):
        frames = [f for f in drawn if label in f]
        assert frames, f"no bar for the phase {label!r}"
        assert f"{VERSIONS}/{VERSIONS}" in frames[-1] and "100%" in frames[-1], frames[-1]
    screen = final_screen(written)
    assert not [line for line in screen if BAR.search(line) or "%" in line], screen
    assert any(line.strip().startswith(f"{VERSIONS} added") for line in screen), screen


def test_a_piped_sync_draws_no_bar(big_registry: GitRegistry, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/projection.sqlite3"
    result = run_afsreg(["sync", "--database-url", url], big_registry.root, env=_env())
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and not BAR.search(result.stderr), result.stderr
    assert "reading history" not in result.stderr


def test_in_ci_the_terminal_gets_no_bar(big_registry: GitRegistry, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/projection.sqlite3"
    status, written = run_in_terminal(
        ["sync", "--database-url", url], big_registry.root, _env(CI="true")
    )
    assert status == 0, written
    assert not BAR.search(written) and "reading history" not in written, written
