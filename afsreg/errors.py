"""Exceptions afsreg raises on purpose. The CLI prints their message and exits 1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from afsreg.problems import Problem


class AfsregError(Exception):
    """An error meant for the user: its message is the whole explanation."""


class NotFoundError(AfsregError):
    """A model, version or revision that does not exist."""


class ValidationError(AfsregError):
    """One or more problems in model files or metadata.

    ``problems`` holds every problem found (errors only); the message lists
    them all, one per line, as ``path:line:col: field: message``.
    """

    def __init__(self, problems: Sequence[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        lines = [summary] if summary else []
        lines.extend(str(p) for p in self.problems)
        super().__init__("\n".join(lines) or "validation failed")
