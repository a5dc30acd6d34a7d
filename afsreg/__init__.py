"""afsreg: a git-native, file-based model registry.

Each model version is a YAML file, ``models/<name>/<version>.yaml``, reviewed
in pull requests, validated by a pre-commit hook, read back through git
history, and projected into SQL by ``afsreg sync``.

    >>> from afsreg import Registry
    >>> registry = Registry.open(".")
    >>> registry.get("majora@v2").promotion_state
    'candidate'

The registry is read-only; writes are functions that take a Registry and
return a Change (what was written, and the registry after it):

    >>> from afsreg import Registry, promote
    >>> change = promote(Registry.open(), "majora@v3", notes="beats v2", commit=True)
    >>> change.registry.get("majora@v3").promotion_state
    'promoted'

The names below are imported on first use, so that ``import afsreg`` (and
every command-line start-up) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from afsreg.version import __version__

_EXPORTS = {
    "AfsregError": "afsreg.errors",
    "NotFoundError": "afsreg.errors",
    "ValidationError": "afsreg.errors",
    "Problem": "afsreg.problems",
    "Ref": "afsreg.format.refs",
    "parse_ref": "afsreg.format.refs",
    "VersionRef": "afsreg.format.refs",
    "parse_version_ref": "afsreg.format.refs",
    "search": "afsreg.read.search",
    "resolve": "afsreg.read.resolve",
    "Registry": "afsreg.registry",
    "validate_metadata": "afsreg.format.schema",
    "Change": "afsreg.write.change",
    "register_model": "afsreg.write.register",
    "update_evaluation_scores": "afsreg.write.register",
    "promote": "afsreg.write.lifecycle",
    "reject": "afsreg.write.lifecycle",
    "deploy": "afsreg.write.lifecycle",
    "rollback": "afsreg.write.lifecycle",
    "deprecate": "afsreg.write.lifecycle",
    "archive": "afsreg.write.lifecycle",
}

if TYPE_CHECKING:
    from afsreg.errors import AfsregError, NotFoundError, ValidationError
    from afsreg.format.refs import Ref, VersionRef, parse_ref, parse_version_ref
    from afsreg.format.schema import validate_metadata
    from afsreg.problems import Problem
    from afsreg.read.resolve import resolve
    from afsreg.read.search import search
    from afsreg.registry import Registry
    from afsreg.write.change import Change
    from afsreg.write.lifecycle import archive, deploy, deprecate, promote, reject, rollback
    from afsreg.write.register import register_model, update_evaluation_scores


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'afsreg' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AfsregError",
    "Change",
    "NotFoundError",
    "Problem",
    "Ref",
    "Registry",
    "ValidationError",
    "VersionRef",
    "__version__",
    "archive",
    "deploy",
    "deprecate",
    "parse_ref",
    "parse_version_ref",
    "promote",
    "register_model",
    "reject",
    "resolve",
    "rollback",
    "search",
    "update_evaluation_scores",
    "validate_metadata",
]
