"""Finding the registry root and opening its git repository."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2

from afsreg.errors import AfsregError, NotFoundError


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
    found = pygit2.discover_repository(str(here))
    if found is not None:
        repo = pygit2.Repository(found)
        if repo.workdir:
            return Path(repo.workdir).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "models").is_dir():
            return candidate
    raise AfsregError(
        f"{here}: not inside a registry (no git repository or models/ folder found); "
        "run `afsreg init` to create one, or pass --root"
    )


def open_repo(root: Path) -> pygit2.Repository:
    """The git repository at ``root``; a clear error when there is none."""
    found = pygit2.discover_repository(str(root))
    if found is None:
        raise AfsregError(f"{root}: not a git repository")
    return pygit2.Repository(found)


def resolve_commit(repo: pygit2.Repository, rev: str) -> pygit2.Commit:
    """The commit ``rev`` names (a branch, tag, sha, HEAD~2, ...)."""
    if repo.head_is_unborn and rev in ("HEAD", "@"):
        raise NotFoundError("the repository has no commits yet")
    try:
        obj = repo.revparse_single(rev)
        commit = obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise NotFoundError(f"{rev!r}: no such revision ({exc})") from None
    return commit


def git_dir(root: Path) -> Path | None:
    """The .git directory of the repository at ``root``, if there is one."""
    found = pygit2.discover_repository(str(root))
    return Path(found) if found else None
