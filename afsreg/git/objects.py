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
  model folder;
- ``tree_folders``, ``index_folders``, ``worktree_folders``: a commit, the
  index or the working tree as ``Folders`` (a key per folder, how to list one
  folder, how to read a file known by blob id), which afsreg.registry caches by.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pygit2

from afsreg.errors import AfsregError
from afsreg.format.paths import MODELS_DIR
from afsreg.git.repo import open_repo
from afsreg.git.sources import (
    SourceFile,
    is_text,
    read_if_blob,
    read_regular_file,
    tree_files,
    working_tree_files,
)


def _no_commands(root: Path) -> list[str]:
    """``-c`` options so that ``git status`` runs no command the repository configures.

    Comparing a file with the index may run its clean filter (a repository
    can name any program there) and the fsmonitor hook; afsreg never runs
    code from a registry (docs/reliability.md), so every configured filter
    is emptied. A filter marked required then fails, and the caller falls
    back to reading the files itself.
    """
    listed = subprocess.run(
        ["git", "config", "--null", "--get-regexp", r"^filter\."],
        cwd=root,
        capture_output=True,
        check=False,
    )
    names = set()
    for record in listed.stdout.split(b"\0"):
        key = os.fsdecode(record.split(b"\n", 1)[0])
        if key.count(".") >= 2:
            names.add(key[len("filter.") : key.rindex(".")])
    options = ["-c", "core.fsmonitor=false"]
    for name in sorted(names):
        for what in ("clean", "smudge", "process"):
            options += ["-c", f"filter.{name}.{what}="]
    return options


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
    # A damaged index can still give a tree (with complaints on stderr): read it the slow way.
    return tree if result.returncode == 0 and tree and not result.stderr.strip() else None


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
            *_no_commands(root),
            "status",
            "--porcelain=v2",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
            "--no-renames",
            "--ignore-submodules=all",
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


@dataclass
class Folders:
    """The model folders of one tree, each with the key its cached results are stored under.

    ``keys``: folder name -> ``t:<tree id>`` (a folder of a commit or of the
    index, or a working-tree folder git sees no change in) or ``w:<digest>``
    (a working-tree folder with changes, or one ``with_changes`` touched: a
    digest of its files' paths and blob ids). ``listing`` lists one folder's
    files; ``read`` reads a file known by (path, blob id) from the cache.
    """

    keys: dict[str, str]
    listing: Callable[[str], list[SourceFile]]
    read: Callable[[str, str], bytes]


class Read:
    """Reads one file's bytes on demand through ``Folders.read`` (picklable when ``read`` is)."""

    __slots__ = ("blob", "path", "read")

    def __init__(self, read: Callable[[str, str], bytes], path: str, blob: str) -> None:
        self.read, self.path, self.blob = read, path, blob

    def __call__(self) -> bytes:
        return self.read(self.path, self.blob)

    @property
    def portable(self) -> bool:
        """A worker process can read it (afsreg.git.sources.is_portable): ``read`` reopens git."""
        return bool(getattr(self.read, "portable", False))


class BlobOrFile:
    """Reads a file known by (path, blob id): from git by blob id, else from disk.

    A working-tree file git has no blob for is read from disk. With
    ``disk_first`` (a working tree or index, whose files are mostly on disk
    as they are in git) the working-tree file is tried first and used only
    when its bytes hash to the blob id, so the answer is the blob either way;
    reading and hashing a small file costs less than inflating it from a pack.

    Picklable (the repository by its path, opened again on first use), so a
    worker process of a cold run reads its own files: only paths and blob
    ids cross processes, and no one process reads all 10,000.
    """

    portable = True  # see afsreg.git.sources.is_portable

    def __init__(self, repo: pygit2.Repository, root: Path, *, disk_first: bool = False) -> None:
        self._repo: pygit2.Repository | None = repo
        self.git_path, self.root, self.disk_first = str(repo.path), root, disk_first

    def __getstate__(self) -> tuple[str, Path, bool]:
        return self.git_path, self.root, self.disk_first

    def __setstate__(self, state: tuple[str, Path, bool]) -> None:
        self.git_path, self.root, self.disk_first = state
        self._repo = None

    def __call__(self, path: str, blob: str) -> bytes:
        if self.disk_first:
            content = read_if_blob(str(self.root / path), blob)
            if content is not None:
                return content
        if self._repo is None:
            self._repo = pygit2.Repository(self.git_path)
        try:
            return cast(pygit2.Blob, self._repo[blob]).data
        except (KeyError, ValueError):
            return read_regular_file(str(self.root / path))


def blob_or_file(
    repo: pygit2.Repository, root: Path, *, disk_first: bool = False
) -> Callable[[str, str], bytes]:
    """Read by blob id from git; a working-tree file git has no blob for, from disk."""
    return BlobOrFile(repo, root, disk_first=disk_first)


def folder_key(files: list[SourceFile]) -> str:
    """``w:`` and a digest of a folder's (path, blob id, kind) list: its files decide its results."""
    listed = "\n".join(f"{f.path}\0{f.blob_id}\0{f.special}" for f in files)
    return "w:" + hashlib.sha1(listed.encode(), usedforsecurity=False).hexdigest()


def tree_folders(
    root: Path, repo: pygit2.Repository, tree: pygit2.Tree, *, disk_first: bool = False
) -> Folders | None:
    """The folders of a commit's tree (None when models/ is not plain folders).

    ``disk_first``: files are read from the working tree when it has them as
    they are in the tree (see BlobOrFile).
    """
    found = model_folders(repo, tree)
    if found is None:
        return None

    read = blob_or_file(repo, root, disk_first=disk_first)

    def listing(name: str) -> list[SourceFile]:
        return _read_through(tree_files(repo, tree, f"{MODELS_DIR}/{name}"), read)

    return Folders({n: f"t:{t}" for n, t in found.items()}, listing, read)


def index_folders(root: Path, repo: pygit2.Repository) -> Folders | None:
    """The folders as the index holds them: the tree ``git write-tree`` gives, read as a commit's.

    Keyed like a commit's folders (``t:``), so the plain hook, ``validate``
    and ``sync`` share what they cache. Read as a tree, a folder differs from
    the whole-index read in one corner only: a file in it whose name is not
    UTF-8 and is no model file name is not reported.
    """
    tree_id = index_tree(root)
    if tree_id is None:
        return None
    return tree_folders(root, repo, cast(pygit2.Tree, repo[tree_id]), disk_first=True)


def worktree_folders(root: Path) -> Folders | None:
    """The working tree's folders: the index's tree ids, and a digest for each changed folder.

    None outside git, or when the working tree differs from the index other
    than inside model folders: then every file is read from disk. What git
    cannot see (a FIFO or socket in a folder git reports unchanged) is not
    seen here either.
    """
    try:
        repo = open_repo(root)
    except AfsregError:
        return None
    if repo.is_bare or repo.workdir is None or Path(repo.workdir).resolve() != root:
        return None
    changed = worktree_delta(root)
    if changed is None:
        return None
    tree_id = index_tree(root)
    if tree_id is None:
        return None
    tree = cast(pygit2.Tree, repo[tree_id])
    found = model_folders(repo, tree)
    if found is None:
        return None
    keys = {n: f"t:{t}" for n, t in found.items()}
    on_disk: dict[str, list[SourceFile]] = {}
    for name in changed:
        folder = root / MODELS_DIR / name
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            return None
        if os.path.lexists(folder / ".git"):
            return None  # a nested repository: the whole-tree listing reports it
        files = working_tree_files(root, under=f"{MODELS_DIR}/{name}")
        if not files and not (root / MODELS_DIR / name).is_dir():
            keys.pop(name, None)
            continue
        keys[name] = folder_key(files)
        on_disk[name] = files

    read = blob_or_file(repo, root, disk_first=True)

    def listing(name: str) -> list[SourceFile]:
        if name in on_disk:
            return on_disk[name]
        return _read_through(tree_files(repo, tree, f"{MODELS_DIR}/{name}"), read)

    return Folders(keys, listing, read)


def _read_through(files: list[SourceFile], read: Callable[[str, str], bytes]) -> list[SourceFile]:
    """The files of a listing, each read on demand by ``read`` (so a worker can read it)."""
    return [
        f
        if f.is_special
        else SourceFile(f.path, None, f.blob_id, load=Read(read, f.path, f.blob_id))
        for f in files
    ]
