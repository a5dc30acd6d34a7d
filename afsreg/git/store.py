"""``.git/afsreg/``: the one place afsreg keeps its caches, and how a file is written there.

Everything in it is an optimisation keyed by git object ids and the afsreg
version (docs/architecture.md): deleting the folder changes no answer. Files
are replaced atomically, so a reader sees the old file or the new one, never
half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

STORE_NAME = "afsreg"


def store_dir(git_dir: Path | str) -> Path:
    """afsreg's folder inside the git directory ``git_dir``."""
    return Path(git_dir) / STORE_NAME


def write_atomically(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` (text as UTF-8) in one rename; the folder is made if missing.

    ``mode`` sets the file's permissions (a temporary file starts as 0600). On
    any failure the temporary file is removed and the error raised; ``path``
    is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
