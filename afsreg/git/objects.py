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

pygit2 is imported only to list or read a folder (a miss in the store): a
warm read learns the folders' tree ids from git plumbing (``write-tree``,
``ls-tree``, two commands at a time) and never pays its import.

Why ~420 lines in one module: each way of reading the model folders (git
plumbing for the few a warm run needs, pygit2 for the many of a cold one)
must list exactly what the other lists; apart, the two would drift.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from afsreg.format.paths import MODEL_SUFFIXES, MODELS_DIR
from afsreg.git.repo import open_repo, work_tree
from afsreg.git.sources import (
    SourceFile,
    is_text,
    read_if_blob,
    read_regular_file,
    tree_files,
    working_tree_files,
)

if TYPE_CHECKING:
    import pygit2


def _no_commands(root: Path) -> list[str]:
    """``-c`` options so that ``git status`` runs no command the repository configures.

    Comparing a file with the index may run its clean filter (a repository
    can name any program there) and the fsmonitor hook; afsreg never runs
    code from a registry (docs/reliability.md), so every configured filter
    is emptied. A filter marked required then fails, and the caller falls
    back to reading the files itself.
    """
    listed = subprocess.run([*_FILTERS], cwd=root, capture_output=True, check=False)
    return _no_commands_of(listed.stdout)


_FILTERS = ["git", "config", "--null", "--get-regexp", r"^filter\."]


def _no_commands_of(listed: bytes) -> list[str]:
    """``_no_commands`` from what ``_FILTERS`` printed."""
    names = set()
    for record in listed.split(b"\0"):
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
    import pygit2

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
    return _tree_of(subprocess.run(["git", "write-tree"], cwd=root, capture_output=True))


def _tree_of(result: subprocess.CompletedProcess[bytes]) -> str | None:
    """``index_tree`` from what ``git write-tree`` printed."""
    tree = result.stdout.decode().strip()
    # A damaged index can still give a tree (with complaints on stderr): read it the slow way.
    return tree if result.returncode == 0 and tree and not result.stderr.strip() else None


def _together(root: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[bytes]]:
    """Run commands that touch different files at once (each is mostly waiting: ~3-5 ms)."""
    started = [
        subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for argv in commands
    ]
    done = []
    for command, process in zip(commands, started, strict=True):
        out, err = process.communicate()
        done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return done


def worktree_delta(
    root: Path, result: subprocess.CompletedProcess[bytes] | None = None
) -> set[str] | None:
    """Names of the model folders where the working tree differs from the index.

    ``git status`` compares with git's own stat cache and lists untracked
    and ignored files one by one. None when a difference lies outside a
    model folder (a file right under models/, an undecodable name, a
    conflict): the caller then reads the whole working tree. ``result``: what
    ``_status(options)`` printed, when the caller ran it.
    """
    if result is None:
        argv = _status(_no_commands(root))
        result = subprocess.run(argv, cwd=root, capture_output=True, check=False)
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


def _status(options: list[str]) -> list[str]:
    """The ``git status`` that ``worktree_delta`` reads."""
    return [
        "git",
        *options,
        "status",
        "--porcelain=v2",
        "-z",
        "--untracked-files=all",
        "--ignored=matching",
        "--no-renames",
        "--ignore-submodules=all",
        "--",
        MODELS_DIR,
    ]


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


def blob_or_file(
    repo: pygit2.Repository | None, root: Path, *, disk_first: bool = False
) -> Callable[[str, str], bytes]:
    """Read by blob id from git; a working-tree file git has no blob for, from disk."""
    return _LazyRepo(root, repo, disk_first=disk_first)


class _LazyRepo:
    """Reads a file known by (path, blob id); the repository is opened (pygit2) on first need.

    A warm read never opens it: the first few blobs and folder listings go
    through git plumbing. A working-tree file git has no blob for is read
    from disk. With ``disk_first`` (a working tree or index, whose files are
    mostly on disk as they are in git) the working-tree file is tried first
    and used only when its bytes hash to the blob id, so the answer is the
    blob either way; reading and hashing a small file costs less than
    inflating it from a pack.

    Picklable (by its root; the repository is opened again on first use), so
    a worker process of a cold run reads its own files: only paths and blob
    ids cross processes, and no one process reads all 10,000.
    """

    portable = True  # see afsreg.git.sources.is_portable
    # Blobs read (and folders listed) with git plumbing before pygit2 is opened:
    # a hook reads one or two (~3 ms each, against ~70 ms to import pygit2); a
    # cold run reads thousands, with pygit2.
    SPARE_READS = 4

    def __init__(
        self, root: Path, repo: pygit2.Repository | None = None, *, disk_first: bool = False
    ) -> None:
        self.root, self._repo, self.disk_first = root, repo, disk_first
        self._spare = self._spare_listings = self.SPARE_READS

    def __getstate__(self) -> tuple[Path, bool]:
        return self.root, self.disk_first

    def __setstate__(self, state: tuple[Path, bool]) -> None:
        self.root, self.disk_first = state
        self._repo = None
        self._spare = self._spare_listings = self.SPARE_READS

    @property
    def repo(self) -> pygit2.Repository:
        if self._repo is None:
            self._repo = open_repo(self.root)
        return self._repo

    def tree(self, tree_id: str) -> pygit2.Tree:
        import pygit2

        return cast(pygit2.Tree, self.repo[tree_id])

    def __call__(self, path: str, blob: str) -> bytes:
        if self.disk_first:
            content = read_if_blob(str(self.root / path), blob)
            if content is not None:
                return content
        if self._repo is None and self._spare > 0:
            self._spare -= 1
            found = cat_blob(self.root, blob)
            return found if found is not None else read_regular_file(str(self.root / path))
        import pygit2

        try:
            return cast(pygit2.Blob, self.repo[blob]).data
        except (KeyError, ValueError):
            return read_regular_file(str(self.root / path))

    def listing(self, tree_id: str, name: str, folder_id: str | None) -> list[SourceFile]:
        """The files of ``models/<name>/`` (tree ``folder_id``) in the tree ``tree_id``.

        Listed with git plumbing for the first few folders, then with pygit2.
        """
        if self._repo is None and self._spare_listings > 0 and folder_id is not None:
            self._spare_listings -= 1
            found = plain_folder_files(self.root, name, folder_id, self)
            if found is not None:
                return found
        return _read_through(
            tree_files(self.repo, self.tree(tree_id), f"{MODELS_DIR}/{name}"), self
        )


def cat_blob(root: Path, blob: str) -> bytes | None:
    """The blob ``blob`` of the repository at ``root`` (``git cat-file``); None when git has none."""
    result = subprocess.run(
        ["git", "cat-file", "blob", blob], cwd=root, capture_output=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def plain_folder_files(
    root: Path, name: str, tree_id: str, read: Callable[[str, str], bytes] | None = None
) -> list[SourceFile] | None:
    """The model files of ``models/<name>/`` (tree ``tree_id``), read on demand with git plumbing.

    Only for a folder of plain files with UTF-8 names, where it lists what
    afsreg.git.sources.tree_files would; None otherwise (a subfolder, a link,
    a submodule), and the caller lists it with tree_files.
    """
    result = subprocess.run(
        ["git", "ls-tree", "-z", tree_id], cwd=root, capture_output=True, check=False
    )
    if result.returncode != 0:
        return None
    read = read if read is not None else _LazyRepo(root)
    files = []
    for mode, oid, entry in _ls_tree_entries(result.stdout):
        if mode not in (b"100644", b"100755") or not is_text(entry):
            return None
        path, blob = f"{MODELS_DIR}/{name}/{entry}", oid.decode()
        if path.endswith(MODEL_SUFFIXES):
            files.append(SourceFile(path, None, blob, load=Read(read, path, blob)))
    return sorted(files, key=lambda f: f.path)


def _ls_tree_entries(output: bytes) -> Iterator[tuple[bytes, bytes, str]]:
    """(mode, object id, name) of each entry ``git ls-tree -z`` printed."""
    for record in output.split(b"\0"):
        if record:
            meta, _, raw = record.partition(b"\t")
            mode, _kind, oid = meta.split(b" ")
            yield mode, oid, os.fsdecode(raw)


def folder_ids(root: Path, tree_id: str) -> dict[str, str] | None:
    """``model_folders`` of the tree ``tree_id``, asked of ``git ls-tree`` (no pygit2).

    None when git cannot list ``models/`` as plain folders with UTF-8 names
    (no models/, a file there, a link...): the caller then asks ``model_folders``,
    which tells those cases apart.
    """
    argv = _ls_models(tree_id)
    return _folders_of(subprocess.run(argv, cwd=root, capture_output=True, check=False))


def _ls_models(tree_id: str) -> list[str]:
    return ["git", "ls-tree", "-z", f"{tree_id}:{MODELS_DIR}"]


def _folders_of(result: subprocess.CompletedProcess[bytes]) -> dict[str, str] | None:
    """``folder_ids`` from what ``_ls_models`` printed."""
    if result.returncode != 0 or not result.stdout:
        return None
    folders: dict[str, str] = {}
    for mode, oid, name in _ls_tree_entries(result.stdout):
        if mode != b"040000" or not is_text(name):
            return None
        folders[name] = oid.decode()
    return folders


def _tree_folders_of(
    root: Path, tree_id: str, lazy: _LazyRepo, found: dict[str, str] | None = None
) -> Folders | None:
    """The folders of the tree ``tree_id``: ids from git plumbing, listings read on demand."""
    found = found if found is not None else folder_ids(root, tree_id)
    if found is None:
        found = model_folders(lazy.repo, lazy.tree(tree_id))
    if found is None:
        return None
    ids = found

    def listing(name: str) -> list[SourceFile]:
        return lazy.listing(tree_id, name, ids.get(name))

    return Folders({n: f"t:{t}" for n, t in ids.items()}, listing, lazy)


def folder_key(files: list[SourceFile]) -> str:
    """``w:`` and a digest of a folder's (path, blob id, kind) list: its files decide its results."""
    listed = "\n".join(f"{f.path}\0{f.blob_id}\0{f.special}" for f in files)
    return "w:" + hashlib.sha1(listed.encode(), usedforsecurity=False).hexdigest()


def tree_folders(
    root: Path, repo: pygit2.Repository, tree: pygit2.Tree, *, disk_first: bool = False
) -> Folders | None:
    """The folders of a commit's tree (None when models/ is not plain folders).

    ``disk_first``: files are read from the working tree when it has them as
    they are in the tree (see _LazyRepo).
    """
    found = model_folders(repo, tree)
    if found is None:
        return None

    read = blob_or_file(repo, root, disk_first=disk_first)

    def listing(name: str) -> list[SourceFile]:
        return _read_through(tree_files(repo, tree, f"{MODELS_DIR}/{name}"), read)

    return Folders({n: f"t:{t}" for n, t in found.items()}, listing, read)


def index_folders(root: Path, repo: pygit2.Repository | None = None) -> Folders | None:
    """The folders as the index holds them: the tree ``git write-tree`` gives, read as a commit's.

    Keyed like a commit's folders (``t:``), so the plain hook, ``validate``
    and ``sync`` share what they cache. Read as a tree, a folder differs from
    the whole-index read in one corner only: a file in it whose name is not
    UTF-8 and is no model file name is not reported.
    """
    tree_id = index_tree(root)
    if tree_id is None:
        return None
    return _tree_folders_of(root, tree_id, _LazyRepo(root, repo, disk_first=True))


def worktree_folders(root: Path) -> Folders | None:
    """The working tree's folders: the index's tree ids, and a digest for each changed folder.

    None outside git, or when the working tree differs from the index other
    than inside model folders: then every file is read from disk. What git
    cannot see (a FIFO or socket in a folder git reports unchanged) is not
    seen here either.
    """
    if work_tree(root) != root:
        return None
    # Two at a time where they touch different files: the config and the index's
    # tree, then the working tree's changes and the tree's folders.
    listed, written = _together(root, [_FILTERS, ["git", "write-tree"]])
    tree_id = _tree_of(written)
    if tree_id is None:
        return None
    status, folders = _together(
        root, [_status(_no_commands_of(listed.stdout)), _ls_models(tree_id)]
    )
    changed = worktree_delta(root, status)
    if changed is None:
        return None
    lazy = _LazyRepo(root, disk_first=True)
    base = _tree_folders_of(root, tree_id, lazy, _folders_of(folders))
    if base is None:
        return None
    keys = dict(base.keys)
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

    def listing(name: str) -> list[SourceFile]:
        if name in on_disk:
            return on_disk[name]
        return base.listing(name)

    return Folders(keys, listing, lazy)


def _read_through(files: list[SourceFile], read: Callable[[str, str], bytes]) -> list[SourceFile]:
    """The files of a listing, each read on demand by ``read`` (so a worker can read it)."""
    return [
        f
        if f.is_special
        else SourceFile(f.path, None, f.blob_id, load=Read(read, f.path, f.blob_id))
        for f in files
    ]
