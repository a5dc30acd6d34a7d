"""Committing exactly the files a change wrote, through the normal ``git commit``.

Going through git itself (not pygit2) is the point: the repository's hooks
run, the pre-commit hook validates the registry, and a hook that fails stops
the commit like it would for a person.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from afsreg.errors import AfsregError


class CommitError(AfsregError):
    """``git commit`` refused (usually a hook); the change stays in the working tree."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


def _git(root: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise AfsregError("git is not installed (or not on PATH); cannot commit") from None


def commit_paths(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit ``paths`` (relative to ``root``) and nothing else; return the commit id.

    Other staged or unstaged changes in the repository are left alone: the
    paths are named to ``git commit``, which then commits only them.
    """
    if not paths:
        raise AfsregError("nothing to commit: the change wrote no files")
    added = _git(root, ["add", "--all", "--", *paths])
    if added.returncode != 0:
        raise AfsregError(f"git add failed:\n{(added.stdout + added.stderr).strip()}")
    committed = _git(root, ["commit", "--quiet", "-m", message, "--", *paths])
    if committed.returncode != 0:
        output = (committed.stdout + committed.stderr).strip()
        raise CommitError(
            f"git commit failed; the change is left in the working tree (staged), "
            f"nothing was committed:\n{output}",
            output,
        )
    head = _git(root, ["rev-parse", "HEAD"])
    if head.returncode != 0:  # pragma: no cover - a commit was just made
        raise AfsregError(f"git rev-parse HEAD failed: {head.stderr.strip()}")
    return head.stdout.strip()
