"""The warm everyday paths import only what they need (issue 16, fixed costs).

A warm ``validate``, ``list`` or ``resolve`` answers from the store by git
object ids: importing pygit2 (~65-110 ms), the YAML loader (~50 ms) or the
per-file checks would be most of its time. Both hook forms check the one
changed file (so the loader is theirs to import) but read git with plumbing,
not pygit2. Structural, not timed: each command runs in a fresh interpreter,
which then lists the heavy modules it imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GitRegistry, git

HEAVY = (
    "pygit2",
    "yaml",
    "yaml_rs",
    "jsonschema",
    "psycopg",
    "tabulate",
    "afsreg.format.loader",
    "afsreg.checks.per_file",
    "afsreg.checks.policy",
)
LOADER = {"yaml", "yaml_rs", "afsreg.format.loader", "afsreg.checks.per_file"}

# Runs the command in-process, then prints which of HEAVY it imported.
SCRIPT = """
import sys
from afsreg.cli import main
heavy = sys.argv[1].split(",")
sys.argv = ["afsreg", *sys.argv[2:]]
try:
    main()
except SystemExit:
    pass
print("IMPORTED:" + ",".join(m for m in heavy if m in sys.modules))
"""


def imported(root: Path, *args: str) -> set[str]:
    """The modules of HEAVY that ``afsreg ARGS`` imported, run at ``root``."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(HEAVY), *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("IMPORTED:"), result.stdout + result.stderr
    return {m for m in line.removeprefix("IMPORTED:").split(",") if m}


@pytest.fixture
def warm(git_registry: GitRegistry) -> GitRegistry:
    g = git_registry
    g.write_model("majora", "v1")
    g.write_model("majora", "v2")
    g.write_model("minora", "v1")
    g.commit("base")
    imported(g.root, "validate")  # fills the store, as the last commit's hook did
    imported(g.root, "list")
    imported(g.root, "resolve", "majora@latest")
    return g


@pytest.mark.parametrize(
    "args",
    [("validate",), ("validate", "--quiet"), ("list",), ("resolve", "majora@latest")],
    ids=["validate", "validate-quiet", "list", "resolve"],
)
def test_a_warm_read_imports_no_pygit2_loader_or_checks(
    warm: GitRegistry, args: tuple[str]
) -> None:
    assert imported(warm.root, *args) == set()


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--against", "HEAD", "models/majora/v2.yaml"),
        ("validate", "--staged", "--against", "HEAD"),
    ],
    ids=["framework-hook", "plain-hook"],
)
def test_a_hook_on_one_edited_file_imports_no_pygit2(warm: GitRegistry, args: tuple[str]) -> None:
    warm.write_model("majora", "v2", description="edited for the hook")
    git(warm.root, "add", "-A")
    assert imported(warm.root, *args) <= LOADER
