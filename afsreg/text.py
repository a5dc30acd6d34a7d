"""Text that came from files, made safe to show: control characters made visible.

A model file can hold ANSI escapes or other control characters; printed raw
they would move a terminal's cursor or recolour it, and in a pull-request
comment or job summary they are noise at best. ``visible`` writes each as its
escape (``\\x1b``) so the information stays and nothing acts on it.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def visible(value: object) -> str:
    """``value`` as text, with control characters (ANSI escapes included) escaped."""
    text = str(value)
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
