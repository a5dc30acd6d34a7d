"""Dotted field paths over a file's data: ``evaluation_metrics.rouge.rouge1``.

Mappings are flattened into dotted keys; lists are kept whole as one value,
because their items have no stable identity to compare by (a list of
datasets that gains one item is one change, not a shift of every index).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c": [1]}`` -> ``{"a.b": 1, "c": [1]}``; an empty mapping stays ``{}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, dotted))
        else:
            flat[dotted] = value
    return flat


MISSING: Any = object()  # a field absent on one side of a comparison


@dataclass(frozen=True)
class FieldChange:
    """One field's change; ``old`` or ``new`` is MISSING when the field was added or removed."""

    field: str
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"

    def __str__(self) -> str:
        return f"{self.field}: {format_value(self.old)} -> {format_value(self.new)}"

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"field": self.field, "kind": self.kind}
        if self.old is not MISSING:
            result["old"] = self.old
        if self.new is not MISSING:
            result["new"] = self.new
        return result


def format_value(value: Any) -> str:
    """A compact one-line rendering: strings bare, everything else as JSON."""
    if value is MISSING:
        return "(absent)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    """Dotted-path changes from ``old`` to ``new`` (either may be None for a missing file).

    Values compare with their types (see ``same``): 1 -> true is a change in the file.
    """
    before = flatten(old) if isinstance(old, Mapping) else {}
    after = flatten(new) if isinstance(new, Mapping) else {}
    changes = []
    for key in sorted(before.keys() | after.keys()):
        a = before.get(key, MISSING)
        b = after.get(key, MISSING)
        if not same(a, b):
            changes.append(FieldChange(key, a, b))
    return changes


def metrics(data: Mapping[str, Any]) -> dict[str, float]:
    """Numeric evaluation metrics, flattened: ``accuracy``, ``rouge.rouge1``, ``custom.pass_at_1``."""
    raw = data.get("evaluation_metrics") or {}
    return {
        key: value
        for key, value in flatten(raw).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def same(a: Any, b: Any) -> bool:
    """Deep equality that also compares types (``1``, ``1.0`` and ``True`` differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
