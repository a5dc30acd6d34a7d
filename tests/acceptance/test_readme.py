"""The README's tour runs as written, against a real git repository and PostgreSQL."""

import os
import re
import subprocess
from pathlib import Path

from conftest import BIN_DIR, REPO_ROOT

REPO = REPO_ROOT


def tour_script() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## A five-minute tour", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the README lost its tour"
    return match.group(1)


def test_the_tour_runs(tmp_path: Path, pg_url: str) -> None:
    env = {
        **os.environ,
        "PATH": BIN_DIR + os.pathsep + os.environ.get("PATH", ""),
        "DATABASE_URL": pg_url,
        "GIT_AUTHOR_NAME": "Tour Guide",
        "GIT_AUTHOR_EMAIL": "guide@example.com",
        "GIT_COMMITTER_NAME": "Tour Guide",
        "GIT_COMMITTER_EMAIL": "guide@example.com",
        "HOME": str(tmp_path),  # no user git config or pre-commit cache leaks in
    }
    env.pop("AFSREG_DATABASE_URL", None)
    script = "set -euo pipefail\n" + tour_script()
    result = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    root = tmp_path / "my-registry"
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=root, capture_output=True, text=True
    ).stdout
    assert log.splitlines()[0].startswith("afsreg: rollback majora")
    for step in ("add majora@v1", "score majora@v1", "promote majora@v2", "deploy majora@v2"):
        assert step in log
    v2 = (root / "models" / "majora" / "v2.yaml").read_text()
    assert "0.84" in v2 and "0.82" not in v2, "v2 must not inherit v1's scores"
    assert "accuracy" in result.stdout and "0.02" in result.stdout  # compare's delta
