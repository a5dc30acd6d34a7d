"""Where model files come from: the working tree, or a commit read with pygit2.

Either way a registry is a list of SourceFile: the path relative to the
registry root, the bytes, and the git blob id of those bytes (which keys the
validation cache and lets sync and diff skip unchanged files).

Why ~430 lines in one module: the three sources (working tree, commit, index)
refuse the same things (links, submodules, special files, undecodable names)
by the same rules, so validate and sync agree; they stay side by side.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_module
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from afsreg.errors import AfsregError
from afsreg.format.paths import MODEL_SUFFIXES, MODELS_DIR, is_model_path
from afsreg.git.repo import git_dir, open_repo, resolve_commit

if TYPE_CHECKING:
    import pygit2  # imported where a tree or the index is read: a warm read never needs it


class SourceFile:
    """A model file: path relative to the root (forward slashes), bytes, git blob id.

    The bytes may be read lazily: a file whose blob id is known from the
    stat cache is only read when something needs its content.
    """

    __slots__ = ("_content", "_load", "blob_id", "path", "special")
    path: str
    blob_id: str
    special: str  # "" for a regular file; else what it is ("symbolic link", "FIFO", ...)
    _content: bytes | None
    _load: Callable[[], bytes] | None

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.path, self._content, self.blob_id, self.special, self._load)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.path, self._content, self.blob_id, self.special, self._load = state

    def __init__(
        self,
        path: str,
        content: bytes | None,
        blob_id: str,
        is_symlink: bool = False,
        load: Callable[[], bytes] | None = None,
        special: str = "",
    ) -> None:
        self.path = path
        self.blob_id = blob_id
        self.special = special or ("symbolic link" if is_symlink else "")
        self._content = content
        self._load = load

    @property
    def is_special(self) -> bool:
        """Not a regular file (a link, a submodule, a FIFO...): refused, never read."""
        return bool(self.special)

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = self._load() if self._load is not None else b""
        return self._content

    def __repr__(self) -> str:
        return f"SourceFile({self.path!r}, blob {self.blob_id[:10]})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceFile):
            return NotImplemented
        return (self.path, self.blob_id, self.special) == (
            other.path,
            other.blob_id,
            other.special,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.blob_id))


# path -> (mtime_ns, size, inode, ctime_ns, blob id): git's trick for knowing a
# file is unchanged without reading it. A file modified within this margin of
# now may change again within its timestamp tick ("racily clean" in git): it
# is re-read, and never recorded.
RACY_MARGIN_NS = 2_000_000_000
StatCache = dict[str, list[Any]]


def git_blob_id(content: bytes) -> str:
    """The id git gives these bytes as a blob (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def is_suspect_link(name: str) -> bool:
    """A symbolic link under models/ that stands for a model file or folder.

    The same test for the working tree, the index and commits, so validate
    and sync agree: such links are refused, never followed.
    """
    return name.endswith(MODEL_SUFFIXES) or "." not in name


def working_tree_files(
    root: Path,
    stat_cache: StatCache | None = None,
    trusted_before_ns: int = 0,
    under: str = MODELS_DIR,
) -> list[SourceFile]:
    """Every YAML file under ``root/models`` (or the folder ``under`` names) as it is on disk.

    With a stat cache, a file whose mtime, size and inode are unchanged gets
    its blob id from the cache and is read only on demand. Entries modified
    at or after ``trusted_before_ns`` (the cache's own write time, less a
    margin) are "racily clean" and re-read, as git does. ``stat_cache`` is
    updated in place with what was found.

    Symbolic links are reported, never followed: a link could point outside
    the repository.
    """
    models = root / under
    files: list[SourceFile] = []
    if models.is_symlink():
        return [_special(under, "symbolic link")]
    if not models.is_dir():
        return files
    known = stat_cache if stat_cache is not None else {}
    seen: set[str] = set()
    stack = [(str(models), under)]
    while stack:
        directory, rel_dir = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}"
                if not is_text(entry.name):
                    if entry.is_dir(follow_symlinks=False) or is_suspect_link(entry.name):
                        files.append(_special(visible_path(rel), NOT_UTF8))
                    continue
                if entry.is_symlink():
                    if is_suspect_link(entry.name):
                        files.append(_special(rel, "symbolic link"))
                    continue
                if entry.is_dir():
                    if os.path.lexists(os.path.join(entry.path, ".git")):
                        # A submodule (or a nested repository): its files are not
                        # in this repository's commits, so sync would never see them.
                        files.append(_special(rel, "git submodule"))
                    else:
                        stack.append((entry.path, rel))
                    continue
                if not entry.is_file():
                    # A FIFO, socket or device: opening a FIFO would block forever.
                    if is_suspect_link(entry.name):
                        kind = _special_kind(entry.stat(follow_symlinks=False).st_mode)
                        files.append(_special(rel, kind))
                    continue
                if not entry.name.endswith(MODEL_SUFFIXES):
                    continue
                stat = entry.stat()
                signature = [stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_ctime_ns]
                cached = known.get(rel)
                seen.add(rel)
                if (
                    cached is not None
                    and cached[:4] == signature
                    and stat.st_mtime_ns < trusted_before_ns
                ):
                    files.append(SourceFile(rel, None, cached[4], load=_reader(entry.path)))
                    continue
                content = read_regular_file(entry.path)
                blob_id = git_blob_id(content)
                # The bytes are not kept: at 50,000 files they would be most of
                # the memory, and whoever needs them reads them again.
                files.append(SourceFile(rel, None, blob_id, load=_reader(entry.path)))
                if stat.st_mtime_ns < time.time_ns() - RACY_MARGIN_NS:
                    known[rel] = [*signature, blob_id]
                else:
                    # Racily clean: the file may change again within its timestamp
                    # tick, so it is not recorded (a later save would make it trusted).
                    known.pop(rel, None)
    for stale in set(known) - seen:
        del known[stale]
    files.sort(key=lambda f: f.path)
    return files


NOT_UTF8 = "name that is not valid UTF-8"


def is_text(name: str) -> bool:
    """False for a file name whose bytes are not UTF-8 (Python keeps them as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def visible_path(path: str) -> str:
    """A path with its undecodable bytes written as ``\\xe9``: printable, storable, hashable."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _special(path: str, kind: str) -> SourceFile:
    return SourceFile(path, b"", git_blob_id(b""), special=kind)


def _special_kind(mode: int) -> str:
    if stat_module.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat_module.S_ISSOCK(mode):
        return "socket"
    return "device or other special file"


def read_regular_file(path: str, limit: int | None = None) -> bytes:
    """A regular file's bytes; never blocks on a FIFO swapped in after the directory scan.

    Read with os.read in the size fstat gives (and on to the end, should the
    file grow): a buffered ``read()`` of a small file costs ~3x more, and
    10,000 files are read on a cold run. With ``limit``, a file larger than
    that raises OSError instead of being read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat_module.S_ISREG(info.st_mode):
            raise AfsregError(f"{path}: is not a regular file")
        if limit is not None and info.st_size > limit:
            raise OSError(f"{path}: larger than {limit} bytes")
        parts: list[bytes] = []
        while True:
            part = os.read(fd, info.st_size + 1 if not parts else 1 << 16)
            if not part:
                return b"".join(parts)
            parts.append(part)
    finally:
        os.close(fd)


def read_if_blob(path: str, blob_id: str) -> bytes | None:
    """The working-tree file's bytes when they are exactly the blob ``blob_id``, else None.

    The bytes hash to the blob id or are not used, so whatever the file is
    (changed, filtered, linked through a folder) what is returned is the
    blob: a cheaper read than git's for a working tree that matches the index.
    """
    try:
        content = read_regular_file(path, limit=_DISK_FIRST_LIMIT)
    except (OSError, AfsregError):
        return None
    return content if git_blob_id(content) == blob_id else None


# A larger working-tree file is read from git instead (model files are far smaller).
_DISK_FIRST_LIMIT = 4 * 1024 * 1024


class _FileReader:
    """Reads a working-tree file on demand (picklable, so a worker process can do it)."""

    __slots__ = ("path",)
    portable = True  # see is_portable

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self) -> bytes:
        return read_regular_file(self.path)


def _reader(path: str) -> Callable[[], bytes]:
    return _FileReader(path)


def is_portable(source: SourceFile) -> bool:
    """True when a worker process can read the bytes itself from what ``source`` pickles to.

    A loader says so with a true ``portable`` attribute (a working-tree
    reader; afsreg.git.objects.Read over a reader that opens the repository
    again in the worker): then only the path and blob id cross processes.
    """
    return source._content is None and bool(getattr(source._load, "portable", False))


def rev_files(root: Path, rev: str, under: str = MODELS_DIR) -> tuple[list[SourceFile], str]:
    """Every YAML file under models/ (or ``under``) at commit ``rev``, and that commit's id."""
    repo = open_repo(root)
    commit = resolve_commit(repo, rev)
    return tree_files(repo, commit.tree, under), str(commit.id)


def tree_files(
    repo: pygit2.Repository, tree: pygit2.Tree, under: str = MODELS_DIR
) -> list[SourceFile]:
    """Every YAML file under models/ (or ``under``) in a git tree."""
    import pygit2

    files: list[SourceFile] = []
    try:
        models = tree[under]
    except KeyError:
        return files
    if models.filemode == pygit2.enums.FileMode.LINK:
        return [SourceFile(under, b"", str(models.id), special="symbolic link")]
    if models.filemode == pygit2.enums.FileMode.COMMIT:
        return [SourceFile(under, b"", str(models.id), special="git submodule")]
    if models.type != pygit2.enums.ObjectType.TREE:
        return files
    stack: list[tuple[str, pygit2.Tree]] = [(under, cast(pygit2.Tree, repo[models.id]))]
    while stack:
        prefix, subtree = stack.pop()
        for entry in subtree:
            # raw_name: older pygit2 raises on a name that is not UTF-8.
            name = os.fsdecode(entry.raw_name or b"")
            path = f"{prefix}/{name}"
            if not is_text(name):
                if entry.filemode == pygit2.enums.FileMode.TREE or is_suspect_link(name):
                    files.append(
                        SourceFile(visible_path(path), b"", str(entry.id), special=NOT_UTF8)
                    )
                continue
            if entry.filemode == pygit2.enums.FileMode.TREE:
                stack.append((path, cast(pygit2.Tree, repo[entry.id])))
            elif entry.filemode == pygit2.enums.FileMode.LINK:
                if is_suspect_link(name):
                    files.append(SourceFile(path, b"", str(entry.id), is_symlink=True))
            elif entry.filemode == pygit2.enums.FileMode.COMMIT:
                files.append(SourceFile(path, b"", str(entry.id), special="git submodule"))
            elif path.endswith(MODEL_SUFFIXES):
                # Read lazily: a blob whose check result is cached is never read.
                files.append(
                    SourceFile(path, None, str(entry.id), load=_blob_reader(repo, entry.id))
                )
    files.sort(key=lambda f: f.path)
    return files


def index_files(
    root: Path, under: str | None = None, repo: pygit2.Repository | None = None
) -> list[SourceFile]:
    """Every YAML file under models/ (or the folder ``under``, via git ls-files) as staged.

    Blobs are read on demand: a file whose check result is cached is never read.
    """
    import pygit2

    repo = repo if repo is not None else open_repo(root)
    files: list[SourceFile] = []
    try:
        entries: list[Any] = _index_via_git(root, under) if under else list(repo.index)
    except UnicodeDecodeError:
        # Older pygit2 cannot decode a path that is not UTF-8: ask git instead.
        entries = _index_via_git(root)
    except pygit2.GitError as exc:
        raise AfsregError(
            f"{root}/.git/index: cannot read the git index ({exc}); `git reset` rebuilds it from HEAD"
        ) from None
    for entry in entries:
        path = entry.path
        if not is_text(path):
            if path.startswith(MODELS_DIR + "/"):
                files.append(SourceFile(visible_path(path), b"", str(entry.id), special=NOT_UTF8))
            continue
        if entry.mode == pygit2.enums.FileMode.LINK:
            if path == MODELS_DIR or (
                path.startswith(MODELS_DIR + "/") and is_suspect_link(path.rsplit("/", 1)[-1])
            ):
                files.append(SourceFile(path, b"", str(entry.id), is_symlink=True))
            continue
        if entry.mode == pygit2.enums.FileMode.COMMIT:
            if path == MODELS_DIR or path.startswith(MODELS_DIR + "/"):
                files.append(SourceFile(path, b"", str(entry.id), special="git submodule"))
            continue
        if is_model_path(path):
            files.append(SourceFile(path, None, str(entry.id), load=_blob_reader(repo, entry.id)))
    files.sort(key=lambda f: f.path)
    return files


class _IndexEntry:
    """An index entry as ``git ls-files --stage`` gives it (path, mode, blob id)."""

    def __init__(self, path: str, mode: int, oid: str) -> None:
        self.path, self.mode, self.id = path, mode, oid  # pygit2 reads a blob by hex id too


def _index_via_git(root: Path, under: str | None = None) -> list[Any]:
    pathspec = ["--", f":(literal){under}/"] if under else []  # a folder name is no glob
    result = subprocess.run(
        ["git", "ls-files", "--stage", "-z", *pathspec], cwd=root, capture_output=True, check=False
    )
    entries = []
    for record in result.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, oid, _stage = meta.decode().split()
        entries.append(_IndexEntry(os.fsdecode(raw_path), int(mode, 8), oid))
    return entries


def _blob_reader(repo: pygit2.Repository, oid: pygit2.Oid | str) -> Callable[[], bytes]:
    return lambda: cast("pygit2.Blob", repo[oid]).data


def hidden_model_paths(root: Path) -> list[str]:
    """Model files a sparse checkout keeps out of the working tree (git's skip-worktree bit).

    Reading or writing the working tree would then treat committed versions
    as absent (and a write could create one again). Only asked of git when
    the repository has sparse checkout turned on.
    """
    directory = git_dir(root)
    if directory is None:
        return []  # a models/ folder outside git: no sparse checkout
    # The patterns file exists once sparse checkout was ever set up (git may keep
    # core.sparseCheckout in config.worktree, which older libgit2 does not read).
    if not (directory / "info" / "sparse-checkout").exists():
        return []
    result = subprocess.run(
        ["git", "ls-files", "-t", "-z", "--", MODELS_DIR],
        cwd=root,
        capture_output=True,
        check=False,
    )
    entries = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [e[2:] for e in entries if e.startswith("S ") and is_model_path(e[2:])]
