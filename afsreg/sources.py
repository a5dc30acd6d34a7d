"""Where model files come from: the working tree, or a commit read with pygit2.

Either way a registry is a list of SourceFile: the path relative to the
registry root, the bytes, and the git blob id of those bytes (which keys the
validation cache and lets sync and diff skip unchanged files).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pygit2

from afsreg.gitutil import open_repo, resolve_commit

MODELS_DIR = "models"
MODEL_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the registry root, with forward slashes
    content: bytes
    blob_id: str
    is_symlink: bool = False


def git_blob_id(content: bytes) -> str:
    """The id git gives these bytes as a blob (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def is_model_path(path: str) -> bool:
    return path.startswith(MODELS_DIR + "/") and path.endswith(MODEL_SUFFIXES)


def working_tree_files(root: Path) -> list[SourceFile]:
    """Every YAML file under ``root/models`` as it is on disk.

    Symbolic links are reported, never followed: a link could point outside
    the repository.
    """
    models = root / MODELS_DIR
    files: list[SourceFile] = []
    if not models.is_dir():
        return files
    for dirpath, dirnames, filenames in os.walk(models):
        dirnames.sort()
        base = Path(dirpath)
        for dirname in list(dirnames):
            if (base / dirname).is_symlink():
                dirnames.remove(dirname)
                rel = (base / dirname).relative_to(root).as_posix()
                files.append(SourceFile(rel + "/", b"", git_blob_id(b""), is_symlink=True))
        for filename in sorted(filenames):
            if not filename.endswith(MODEL_SUFFIXES):
                continue
            full = base / filename
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                files.append(SourceFile(rel, b"", git_blob_id(b""), is_symlink=True))
                continue
            content = full.read_bytes()
            files.append(SourceFile(rel, content, git_blob_id(content)))
    return files


def rev_files(root: Path, rev: str) -> tuple[list[SourceFile], str]:
    """Every YAML file under models/ at commit ``rev``, and that commit's id."""
    repo = open_repo(root)
    commit = resolve_commit(repo, rev)
    return tree_files(repo, commit.tree), str(commit.id)


def tree_files(repo: pygit2.Repository, tree: pygit2.Tree) -> list[SourceFile]:
    """Every YAML file under models/ in a git tree."""
    files: list[SourceFile] = []
    if MODELS_DIR not in tree:
        return files
    models = tree[MODELS_DIR]
    if models.type != pygit2.enums.ObjectType.TREE:
        return files
    stack: list[tuple[str, pygit2.Tree]] = [(MODELS_DIR, cast(pygit2.Tree, repo[models.id]))]
    while stack:
        prefix, subtree = stack.pop()
        for entry in subtree:
            path = f"{prefix}/{entry.name}"
            if entry.filemode == pygit2.enums.FileMode.TREE:
                stack.append((path, cast(pygit2.Tree, repo[entry.id])))
            elif entry.filemode == pygit2.enums.FileMode.LINK:
                if path.endswith(MODEL_SUFFIXES):
                    files.append(SourceFile(path, b"", str(entry.id), is_symlink=True))
            elif path.endswith(MODEL_SUFFIXES):
                files.append(SourceFile(path, _blob_data(repo, entry.id), str(entry.id)))
    files.sort(key=lambda f: f.path)
    return files


def index_files(root: Path) -> list[SourceFile]:
    """Every YAML file under models/ as staged in the git index (what a commit would hold)."""
    repo = open_repo(root)
    files: list[SourceFile] = []
    for entry in repo.index:
        path = entry.path
        if not is_model_path(path):
            continue
        if entry.mode == pygit2.enums.FileMode.LINK:
            files.append(SourceFile(path, b"", str(entry.id), is_symlink=True))
        else:
            files.append(SourceFile(path, _blob_data(repo, entry.id), str(entry.id)))
    files.sort(key=lambda f: f.path)
    return files


def _blob_data(repo: pygit2.Repository, oid: pygit2.Oid) -> bytes:
    return cast(pygit2.Blob, repo[oid]).data
