"""afsreg: a git-native, file-based model registry.

Each model version is a YAML file, ``models/<name>/<version>.yaml``, reviewed
in pull requests, validated by a pre-commit hook, read back through git
history, and projected into SQL by ``afsreg sync``.

    >>> from afsreg import Registry
    >>> registry = Registry.open(".")
    >>> registry.get("majora@v2").promotion_state
    'candidate'

The names below are imported on first use, so that ``import afsreg`` (and
every command-line start-up) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "AfsregError": "afsreg.errors",
    "NotFoundError": "afsreg.errors",
    "ValidationError": "afsreg.errors",
    "Problem": "afsreg.problems",
    "Ref": "afsreg.format.refs",
    "parse_ref": "afsreg.format.refs",
    "Registry": "afsreg.registry",
    "validate_metadata": "afsreg.format.schema",
}

if TYPE_CHECKING:
    from afsreg.errors import AfsregError, NotFoundError, ValidationError
    from afsreg.format.refs import Ref, parse_ref
    from afsreg.format.schema import validate_metadata
    from afsreg.problems import Problem
    from afsreg.registry import Registry


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'afsreg' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AfsregError",
    "NotFoundError",
    "Problem",
    "Ref",
    "Registry",
    "ValidationError",
    "__version__",
    "parse_ref",
    "validate_metadata",
]
