"""Writing afsreg's block of ``.github/CODEOWNERS`` (computed in read/codeowners.py)."""

from __future__ import annotations

from pathlib import Path

from afsreg.read.codeowners import CodeownersResult
from afsreg.write.change import write_files


def write_codeowners(root: Path, result: CodeownersResult) -> bool:
    """Write the file when it is stale (atomically); True when it changed."""
    if not result.stale:
        return False
    current = None if result.current is None else result.current.encode("utf-8")
    write_files(root, {result.path: result.text.encode("utf-8")}, {result.path: current})
    return True
