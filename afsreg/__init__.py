"""afsreg: a git-native, file-based model registry.

Each model version is a YAML file, ``models/<name>/<version>.yaml``, reviewed
in pull requests, validated by a pre-commit hook, read back through git
history, and projected into SQL by ``afsreg sync``.

    >>> from afsreg import Registry
    >>> registry = Registry.open(".")
    >>> registry.get("majora@v2").promotion_state
    'candidate'
"""

from __future__ import annotations

__version__ = "0.1.0"

from afsreg.errors import AfsregError, NotFoundError, ValidationError
from afsreg.problems import Problem
from afsreg.refs import Ref, parse_ref
from afsreg.registry import Registry
from afsreg.schema import validate_metadata

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
