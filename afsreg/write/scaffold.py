"""Creating a registry repository, and installing the plain git hook."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pygit2

from afsreg.errors import AfsregError
from afsreg.git.repo import git_dir, hooks_dir
from afsreg.git.store import write_atomically

PRE_COMMIT_CONFIG = """\
# afsreg checks every model file on commit: the schema, the cross-file rules,
# and that released (promoted or deployed) versions are not rewritten.
# Uses the afsreg installed in your environment (pip install afsreg).
repos:
  - repo: local
    hooks:
      - id: afsreg-validate
        name: afsreg validate
        entry: afsreg validate --against HEAD
        language: system
        files: ^(models/.*\\.ya?ml|schemas/.*\\.json|afsreg\\.yaml)$
        pass_filenames: true
        always_run: true   # also on commits that only delete files
        require_serial: true
"""

GITIGNORE = """\
# afsreg's embedded database (afsreg sync without --database-url)
.afsreg/
"""

MODELS_README = """\
# models

One file per model version: `models/<name>/<version>.yaml`.
Add one with `afsreg add NAME`, check with `afsreg validate`.
"""


def packaged_hook() -> Path:
    bundled = resources.files("afsreg") / "_data" / "hooks" / "pre-commit"
    if bundled.is_file():
        return Path(str(bundled))
    return Path(__file__).resolve().parents[2] / "hooks" / "pre-commit"


def init_registry(directory: Path) -> list[str]:
    """Make ``directory`` a registry: a git repository with models/, hooks config and ignores.

    Existing files are left alone; returns the paths it created.
    """
    directory.mkdir(parents=True, exist_ok=True)
    created: list[str] = []
    if not (directory / ".git").exists():
        pygit2.init_repository(str(directory), initial_head="main")
        created.append(".git/")
    from afsreg.format.policy import EXAMPLE, POLICY_FILE

    for rel, text in (
        ("models/README.md", MODELS_README),
        (POLICY_FILE, EXAMPLE),
        (".pre-commit-config.yaml", PRE_COMMIT_CONFIG),
        (".gitignore", GITIGNORE),
    ):
        target = directory / rel
        if target.exists():
            if rel == ".gitignore" and ".afsreg/" not in target.read_text(errors="replace"):
                with target.open("a") as out:
                    out.write("\n" + GITIGNORE)
                created.append(rel + " (appended)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        created.append(rel)
    return created


def install_hooks(root: Path, force: bool = False) -> Path:
    """Copy afsreg's plain pre-commit hook into the repository's hooks folder."""
    if git_dir(root) is None:
        raise AfsregError(f"{root}: not a git repository")
    # Where git will look: core.hooksPath when set, the shared hooks of all
    # worktrees otherwise (never a worktree's own git directory).
    directory = hooks_dir(root)
    if directory is None:
        raise AfsregError(f"{root}: git cannot tell where its hooks live (is git installed?)")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "pre-commit"
    source = packaged_hook()
    if target.exists() and not force and target.read_bytes() != source.read_bytes():
        raise AfsregError(
            f"{target} already exists; pass --force to replace it "
            "(or use the pre-commit framework with .pre-commit-config.yaml)"
        )
    write_atomically(target, source.read_bytes(), mode=0o755)
    return target
