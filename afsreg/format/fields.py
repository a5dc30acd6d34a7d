"""Dotted field paths over a file's data: ``evaluation_metrics.rouge.rouge1``.

Reading: mappings are flattened into dotted keys; lists are kept whole as one
value, because their items have no stable identity to compare by (a list of
datasets that gains one item is one change, not a shift of every index).

Writing: ``parse_field_path`` (afsreg.format.field_paths) reads the paths
users type (``review.0.known``: a number is a list index), ``set_path`` sets one, ``metric_path`` says where a
metric goes, and ``FIELD_ORDER`` is the order keys are written in a new file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from afsreg.errors import AfsregError
from afsreg.format.field_paths import parse_field_path, path_text

# The order keys are written in a new file (the schema's order).
FIELD_ORDER = (
    "schema_version", "name", "version", "artifact_id", "title", "description", "owner", "tags",
    "created_at", "model_family", "framework", "parameter_count", "is_external",
    "external_source_url", "external_source_version", "training_data", "evaluation_dataset",
    "evaluation_metrics", "benchmark_id", "training_config", "code", "training", "files",
    "lineage", "promotion", "status", "deployments", "review",
)  # fmt: skip

# Metrics of ``evaluation_metrics`` that have a field of their own; any
# other metric goes under evaluation_metrics.custom.
KNOWN_METRICS = (
    "accuracy",
    "f1_score",
    "perplexity",
    "bleu",
    "inference_speed_tokens_per_sec",
    "memory_mb",
    "latency_ms",
)
_ROUGE_RE = re.compile(r"^rouge[0-9A-Za-z]+$")


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
        if same(a, b) or _filled_or_emptied(key, a, b, before, after):
            continue
        changes.append(FieldChange(key, a, b))
    return changes


def _filled_or_emptied(
    key: str, a: Any, b: Any, before: Mapping[str, Any], after: Mapping[str, Any]
) -> bool:
    """``{}`` on one side and fields below it on the other: the fields are the change.

    (``evaluation_metrics: {} -> (absent)`` beside ``evaluation_metrics.f1: (absent) -> 0.8``
    would be noise.)
    """
    below = key + "."
    if a == {} and b is MISSING:
        return any(k.startswith(below) for k in after)
    if b == {} and a is MISSING:
        return any(k.startswith(below) for k in before)
    return False


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
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in _SCALARS:  # most values: no isinstance, no recursion (a sync compares millions)
        return bool(a == b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(map(same, a.values(), map(b.__getitem__, a)))
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    return bool(a == b)


_SCALARS = frozenset({str, int, float, bool, type(None)})


# -- paths users write ----------------------------------------------------------


def set_path(data: dict[str, Any], path: Sequence[str | int], value: Any) -> None:
    """Set ``value`` at ``path`` in ``data``, making mappings on the way; list items must exist."""
    node: Any = data
    for index, part in enumerate(path[:-1]):
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                raise AfsregError(f"{path_text(path)}: no item {part} in {path_text(path[:index])}")
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise AfsregError(f"{path_text(path)}: {path_text(path[:index])} is not a mapping")
        nxt = node.get(part)
        if not isinstance(nxt, (dict, list)):
            nxt = node[part] = {}
        node = nxt
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not -len(node) <= last < len(node):
            raise AfsregError(f"{path_text(path)}: no such list item")
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise AfsregError(f"{path_text(path)}: {path_text(path[:-1])} is not a mapping")


def parse_assignment(text: str) -> tuple[tuple[str | int, ...], Any]:
    """``FIELD=VALUE`` where VALUE is YAML: ``epochs=3``, ``tags=[a, b]``, ``notes=yes please``."""
    from afsreg.format.loader import YamlError, load_yaml  # only a write parses a value

    name, sep, raw = text.partition("=")
    if not sep:
        raise AfsregError(f"{text!r}: expected FIELD=VALUE, e.g. training_config.epochs=3")
    try:
        value = load_yaml(raw.encode("utf-8")) if raw.strip() else ""
    except YamlError as exc:
        raise AfsregError(f"{text!r}: the value is not valid YAML ({exc})") from None
    return parse_field_path(name.strip()), value


def metric_path(name: str) -> tuple[str, ...]:
    """Where a metric goes under evaluation_metrics: its own field, rouge.X or custom.X."""
    if name in KNOWN_METRICS:
        return ("evaluation_metrics", name)
    if _ROUGE_RE.match(name):
        return ("evaluation_metrics", "rouge", name)
    if name.startswith("custom.") and len(name) > len("custom."):
        return ("evaluation_metrics", "custom", name[len("custom.") :])
    return ("evaluation_metrics", "custom", name)


def describe_change(change: FieldChange) -> list[str]:
    """A change as lines a person reads; deployments as events, not JSON lists."""
    if change.field == "deployments":
        old = change.old if isinstance(change.old, list) else []
        new = change.new if isinstance(change.new, list) else []
        lines = deployment_events(old, new)
        if lines:
            return lines
    return [str(change)]


def deployment_events(old: list[Any], new: list[Any]) -> list[str]:
    """``deployed to production at T by X`` / ``undeployed from staging at T by X``, in order.

    Records are matched by (env, deployed_at): a record is never rewritten
    except to close it (undeployed_at), so that pair identifies it.
    """

    def key(record: Any) -> tuple[str, str] | None:
        if not isinstance(record, Mapping):
            return None
        return str(record.get("env")), str(record.get("deployed_at"))

    before: dict[tuple[str, str], Any] = {}
    for record in old:
        k = key(record)
        if k is not None:
            before[k] = record
    lines = []
    for record in new:
        found = key(record)
        if found is None:
            continue
        k = found
        previous = before.pop(k, None)
        if previous is None:
            reason = f" ({record['reason']})" if record.get("reason") else ""
            lines.append(
                f"deployed to {k[0]} at {k[1]} by {record.get('deployed_by', 'unknown')}{reason}"
            )
        if record.get("undeployed_at") and not (previous or {}).get("undeployed_at"):
            lines.append(
                f"undeployed from {k[0]} at {record['undeployed_at']} "
                f"by {record.get('undeployed_by', 'unknown')}"
            )
    for env, deployed_at in before:
        lines.append(f"deployment to {env} at {deployed_at} removed from the record")
    return lines
