"""Git plumbing for the incremental paths: tree ids of model folders, the working tree's delta.

The registry keys what it caches by git object ids (afsreg.registry): a
model folder whose tree id is unchanged needs no re-check. These helpers ask
git itself, which keeps the index's stat cache and tree cache in C, instead
of walking 10,000 files in Python:

- ``model_folders(repo, tree)``: name -> tree id of every ``models/<name>/``
  of a tree (None when models/ holds anything but plain folders: the caller
  then reads the whole tree);
- ``index_tree(root)``: the tree the git index would commit (``git write-tree``,
  which only writes the few tree objects its cache-tree lacks);
- ``worktree_delta(root)``: the model folders whose working-tree files differ
  from the index (``git status``), or None when a change is not inside a
  model folder.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import cast

import pygit2

from afsreg.format.paths import MODELS_DIR
from afsreg.git.sources import is_text


def model_folders(repo: pygit2.Repository, tree: pygit2.Tree) -> dict[str, str] | None:
    """{folder name: tree id} of ``models/`` in ``tree``; {} without models/; None when odd.

    Odd: models/ is not a folder, or holds an entry that is not a folder with
    a UTF-8 name (a file, a link, a submodule): the rules for those are the
    whole-tree listing's (afsreg.git.sources), so the caller reads that.
    """
    try:
        entry = tree[MODELS_DIR]
    except KeyError:
        return {}
    if entry.filemode != pygit2.enums.FileMode.TREE:
        return None
    folders: dict[str, str] = {}
    for child in cast(pygit2.Tree, repo[entry.id]):
        name = os.fsdecode(child.raw_name or b"")
        if child.filemode != pygit2.enums.FileMode.TREE or not is_text(name):
            return None
        folders[name] = str(child.id)
    return folders


def index_tree(root: Path) -> str | None:
    """The id of the tree the index holds (None when git cannot write it, e.g. a conflict)."""
    result = subprocess.run(
        ["git", "write-tree"], cwd=root, capture_output=True, text=True, check=False
    )
    tree = result.stdout.strip()
    return tree if result.returncode == 0 and tree else None


def worktree_delta(root: Path) -> set[str] | None:
    """Names of the model folders where the working tree differs from the index.

    ``git status`` compares with git's own stat cache and lists untracked
    and ignored files one by one. None when a difference lies outside a
    model folder (a file right under models/, an undecodable name, a
    conflict): the caller then reads the whole working tree.
    """
    result = subprocess.run(
        [
            "git",
            "status",
            "--porcelain=v2",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
            "--no-renames",
            "--ignore-submodules=none",
            "--",
            MODELS_DIR,
        ],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    touched: set[str] = set()
    for record in result.stdout.split(b"\0"):
        if not record:
            continue
        kind = record[:1]
        if kind == b"1":
            raw = record.split(b" ", 8)[8]
        elif kind in (b"?", b"!"):
            raw = record[2:]
        else:
            return None  # unmerged (u), or a rename despite --no-renames
        path = os.fsdecode(raw)
        parts = path.split("/")
        if not is_text(path) or len(parts) < 3 or parts[0] != MODELS_DIR or not parts[1]:
            return None
        touched.add(parts[1])
    return touched
