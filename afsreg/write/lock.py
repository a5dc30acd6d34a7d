"""One write at a time per registry: a lock file in the git directory.

Every write holds it from reading the registry to the last rename (and its
commit), so two writers can neither lose each other's update (8 ``score``
at once) nor each pass validation alone and break a rule together (two
``promote`` of two versions, each leaving one promoted version).

The lock is ``flock`` on ``<git dir>/afsreg/write.lock``: the kernel drops it
when the process dies, so a killed writer never leaves a stale lock. The
file holds the holder's pid, for the message a waiting writer gives up with.
Within one process the lock is re-entrant (the CLI takes it before reading
the registry; ``apply_change`` takes it again).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from afsreg.errors import AfsregError

LOCK_NAME = "write.lock"
TIMEOUT_ENV = "AFSREG_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
_POLL = 0.05

_held: dict[Path, int] = {}  # lock path -> depth, in this process
_guard = threading.Lock()


class LockTimeout(AfsregError):
    """Another afsreg write held the registry's lock for longer than the timeout."""


def lock_path(root: Path) -> Path:
    """``<git dir>/afsreg/write.lock``; ``.afsreg/write.lock`` for a registry outside git."""
    from afsreg.git.repo import git_dir

    directory = git_dir(root)
    base = directory / "afsreg" if directory is not None else root / ".afsreg"
    return base / LOCK_NAME


def _timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


@contextlib.contextmanager
def write_lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the registry's write lock; LockTimeout naming the holder's pid after ``timeout``."""
    path = lock_path(root).resolve()
    with _guard:
        depth = _held.get(path, 0)
        if depth:
            _held[path] = depth + 1
    if depth:
        try:
            yield
        finally:
            with _guard:
                _held[path] -= 1
        return
    fd = _open(path)
    try:
        _acquire(fd, path, _timeout() if timeout is None else timeout)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        with _guard:
            _held[path] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[path]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing drops the flock


def _open(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise AfsregError(
            f"{path}: cannot create afsreg's write lock ({exc.strerror}); nothing was changed"
        ) from None


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another afsreg write is running (pid {_holder(path)}); waited "
                    f"{timeout:g} s for it, nothing was changed (set {TIMEOUT_ENV} to wait longer)"
                ) from None
            time.sleep(_POLL)


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"
