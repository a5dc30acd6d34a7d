"""A problem found in a model file: where it is, which field, what is wrong."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


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
        field = self.field or "(file)"
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}:{self.col}: {field}: {prefix}{self.message}"

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
