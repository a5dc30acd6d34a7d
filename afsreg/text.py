"""Text that came from files, made safe to show: control characters made visible.

A model file can hold ANSI escapes or other control characters; printed raw
they would move a terminal's cursor or recolour it, and in a pull-request
comment or job summary they are noise at best. ``visible`` writes each as its
escape (``\\x1b``) so the information stays and nothing acts on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache


def lazy_pattern(pattern: str) -> Callable[[], re.Pattern[str]]:
    """``pattern`` compiled on the first call, then kept.

    A module's patterns then cost nothing when it is imported (~0.1-1 ms
    each): the everyday paths (a warm ``validate``, a hook) import many
    modules and use few of their patterns.
    """
    return cache(lambda: re.compile(pattern))


_CONTROL = lazy_pattern(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def visible(value: object) -> str:
    """``value`` as text, with control characters (ANSI escapes included) escaped."""
    text = str(value)
    return _CONTROL().sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
