"""Finding the registry root and opening its git repository.

pygit2 is imported where a repository is opened, not here: finding the root
and the git directory, all a warm ``validate`` or ``list`` needs, is read
from the file system (``_plain_layout``) in the usual layout, so those paths
never pay pygit2's import (~65-110 ms).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from afsreg.errors import AfsregError, NotFoundError

if TYPE_CHECKING:
    import pygit2


def resolve_root(root: str | os.PathLike[str] | None) -> Path:
    """``root`` made absolute, or the registry around the current directory when None."""
    return find_root(None) if root is None else Path(root).resolve()


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The registry root: the work tree of the git repository around ``start``.

    Found the way git finds its repository (walking up from the current
    directory). Outside any git repository, a directory holding ``models/``
    is accepted as it is.
    """
    here = Path(start or os.getcwd()).resolve()
    plain = _plain_layout(here)
    if plain is not None:
        return plain[0]
    repo = _discover(here)
    if repo is not None and repo.workdir:
        return Path(repo.workdir).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "models").is_dir():
            return candidate
    raise AfsregError(
        f"{here}: not inside a registry (no git repository or models/ folder found); "
        "run `afsreg init` to create one, or pass --root"
    )


def _discover(start: Path) -> pygit2.Repository | None:
    """The repository around ``start``, opened from the work tree side.

    Opening the path git found (the git directory) would lose the work tree
    when ``.git`` is a file (``git init --separate-git-dir``, submodules,
    ``git worktree``): libgit2 would take the git directory's parent for it.
    Opening from ``start`` follows the ``.git`` file as git does.
    """
    import pygit2

    try:
        return pygit2.Repository(str(start))
    except pygit2.GitError:
        return None


def _plain_layout(start: Path) -> tuple[Path, Path] | None:
    """(work tree, git directory) around ``start`` when the layout is the usual one, else None.

    Usual: walking up from ``start``, the first folder that is a repository
    has a ``.git`` directory whose config sets neither ``bare`` nor
    ``worktree``. Anything else (a ``.git`` file of a linked worktree or a
    submodule, a bare repository, a config naming another work tree, an
    unreadable config) is None, and the caller asks libgit2 (``_discover``),
    which knows every layout. Both answer alike where this one answers.
    """
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            if not (dot_git / "HEAD").is_file():
                return None
            try:
                config = (dot_git / "config").read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            lowered = config.lower()
            if "worktree" in lowered or ("bare" in lowered and "bare = false" not in lowered):
                return None
            return folder, dot_git
        if dot_git.exists() or dot_git.is_symlink():
            return None  # a .git file (worktree, submodule) or something odd
        if (folder / "HEAD").is_file() and (folder / "objects").is_dir():
            return None  # inside a git directory or a bare repository
    return None


def open_repo(root: Path) -> pygit2.Repository:
    """The git repository at ``root``; a clear error when there is none."""
    repo = _discover(root)
    if repo is None:
        raise AfsregError(f"{root}: not a git repository")
    return repo


def resolve_commit(repo: pygit2.Repository, rev: str) -> pygit2.Commit:
    """The commit ``rev`` names (a branch, tag, sha, HEAD~2, ...)."""
    import pygit2

    if repo.head_is_unborn and rev in ("HEAD", "@"):
        raise NotFoundError("the repository has no commits yet")
    try:
        obj = repo.revparse_single(rev)
        commit = obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise NotFoundError(f"{rev!r}: no such revision ({exc})") from None
    return commit


def work_tree(root: Path) -> Path | None:
    """The work tree of the repository around ``root``; None outside git or in a bare repository."""
    plain = _plain_layout(root)
    if plain is not None:
        return plain[0]
    repo = _discover(root)
    if repo is None or repo.is_bare or repo.workdir is None:
        return None
    return Path(repo.workdir).resolve()


def commit_tree(root: Path, rev: str) -> tuple[str, str] | None:
    """(commit id, tree id) ``rev`` names, asked of git; None when git cannot say (then use pygit2)."""
    result = subprocess.run(
        ["git", "show", "-s", "--format=%H %T", "--end-of-options", f"{rev}^{{commit}}", "--"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    found = result.stdout.split()
    if result.returncode != 0 or len(found) != 2:
        return None
    return found[0], found[1]


def git_dir(root: Path) -> Path | None:
    """The git directory of the work tree at ``root`` (its own one, for a linked worktree)."""
    plain = _plain_layout(root)
    if plain is not None:
        return plain[1]
    repo = _discover(root)
    return Path(repo.path) if repo is not None else None


def hooks_dir(root: Path) -> Path | None:
    """The folder git runs hooks from: core.hooksPath, or the common git directory's hooks.

    Asked of git itself, which knows worktrees, ``.git`` files and hooksPath.
    """
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-path", "hooks"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(result.stdout.rstrip("\n"))
