"""afsreg.git.store: the .git/afsreg/ folder and the atomic write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from afsreg.git.store import store_dir, write_atomically


def test_store_dir_is_afsreg_inside_the_git_directory(tmp_path: Path) -> None:
    assert store_dir(tmp_path / ".git") == tmp_path / ".git" / "afsreg"
    assert store_dir(str(tmp_path / ".git")) == tmp_path / ".git" / "afsreg"


def test_write_atomically_makes_the_folder_and_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "cache.json"
    write_atomically(path, "first")
    write_atomically(path, "ßecond")
    assert path.read_text(encoding="utf-8") == "ßecond"
    write_atomically(path, b"\x00bytes", mode=0o644)
    assert path.read_bytes() == b"\x00bytes"
    assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["cache.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    path.write_text("old")

    class Boom(str):
        def encode(self, *args: object, **kwargs: object) -> bytes:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomically(path, Boom("new"))
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["cache.json"]
