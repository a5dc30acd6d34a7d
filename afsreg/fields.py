"""Dotted field paths over a file's data: ``evaluation_metrics.rouge.rouge1``.

Mappings are flattened into dotted keys; lists are kept whole as one value,
because their items have no stable identity to compare by (a list of
datasets that gains one item is one change, not a shift of every index).
"""

from __future__ import annotations

from collections.abc import Mapping
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


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for every dotted field that differs; missing is None."""
    old, new = flatten(before), flatten(after)
    return [
        (field, old.get(field), new.get(field))
        for field in sorted(old.keys() | new.keys())
        if old.get(field) != new.get(field) or (field in old) != (field in new)
    ]


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
