"""The two ways afsreg writes a path to a value inside a version file.

``("lineage", "base_models", 0, "model")`` is written

- ``lineage.base_models[0].model`` (``dotted``) where afsreg *reports* a
  place: problems, validation messages, editor errors. A list index in
  brackets reads as one, and matches what JSON Schema tools print.
- ``lineage.base_models.0.model`` (``path_text``, read back by
  ``parse_field_path``) where a person *types* a path: ``--set``,
  ``fields=``. Dots only, so it needs no quoting in a shell.

docs/format.md says the same for users. Both live here so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence

from afsreg.errors import AfsregError


def dotted(path: Sequence[str | int]) -> str:
    """``("lineage", "base_models", 0, "model")`` -> ``lineage.base_models[0].model``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def path_text(path: Sequence[str | int]) -> str:
    """``("review", 0, "known")`` -> ``review.0.known`` (the notation parse_field_path reads)."""
    return ".".join(str(p) for p in path)


def parse_field_path(text: str) -> tuple[str | int, ...]:
    """``training_config.epochs`` -> ("training_config", "epochs"); ``review.0.known`` has an index."""
    parts: list[str | int] = []
    for part in text.split("."):
        if not part:
            raise AfsregError(f"{text!r}: empty part in a field path (write a.b.c)")
        parts.append(int(part) if part.isdigit() else part)
    if isinstance(parts[0], int):
        raise AfsregError(f"{text!r}: a field path starts with a field name")
    return tuple(parts)
