"""The README's Library block runs verbatim, in a copy of this repository's registry."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, GitRegistry


def library_snippet() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its Library example"
    return match.group(1)


def test_the_library_snippet_runs(git_registry: GitRegistry, tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "models", git_registry.path("models"), dirs_exist_ok=True)
    git_registry.commit("this repository's models")
    script = tmp_path / "snippet.py"
    script.write_text(library_snippet())
    result = subprocess.run(
        [sys.executable, str(script)], cwd=git_registry.root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["majora@v1 promoted 0.85", "majora@v2 candidate 0.87"]
    assert lines[2:4] == ["v1", "v1"]
    assert "/models/majora-v1-lora" in lines[4]
    assert lines[5:7] == ["majora@v2", "majora@v1"]
    assert lines[7] == "[]"
    assert "is_external" in result.stdout and "parameter_count" in result.stdout
