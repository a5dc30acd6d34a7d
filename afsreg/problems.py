"""A problem found in a model file: where it is, which field, what is wrong."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from afsreg.text import lazy_pattern

Severity = Literal["error", "warning"]


_LINE_BREAKING = lazy_pattern(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    col: int
    field: str
    message: str
    severity: Severity = "error"
    # Which rule found it, when that is more than "the file is invalid":
    # "policy/metrics" and the like (SARIF's ruleId, GitHub's annotation title).
    rule: str = dataclasses.field(default="", compare=False)

    def __str__(self) -> str:
        """One line, always: a newline in a crafted folder name cannot fake another problem."""
        field = self.field or "(file)"
        prefix = "" if self.severity == "error" else "warning: "
        line = f"{self.path}:{self.line}:{self.col}: {field}: {prefix}{self.message}"
        return _LINE_BREAKING().sub(lambda m: m.group().encode("unicode_escape").decode(), line)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }
        if self.rule:
            out["rule"] = self.rule
        return out


class _HasProblems(Protocol):
    @property
    def problems(self) -> list[Problem]: ...


class BySeverity:
    """``errors`` and ``warnings`` of a class's ``problems`` (Registry, validate's Report)."""

    @property
    def errors(self: _HasProblems) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self: _HasProblems) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]
