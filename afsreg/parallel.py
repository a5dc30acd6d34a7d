"""Running one pure function over many items on every core, when that pays."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400


def parallel_map(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[func(x) for x in items]``, in worker processes when there are enough items.

    ``func`` and the items must be picklable. Where processes cannot be
    started (no fork, a sandbox), the work is done in this process.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_THRESHOLD or workers < 2:
        return [func(item) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(50, len(items) // (workers * 4))
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(func, items, chunksize=chunk))
    except (OSError, RuntimeError):
        return [func(item) for item in items]
