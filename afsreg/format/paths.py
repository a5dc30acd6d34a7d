"""Where a version file lives: ``models/<name>/<version>.yaml`` <-> ``name@version``.

The one home of the layout of a registry tree; ``Ref.path`` builds a path,
``path_ref`` reads one back, and git, checks, audit and the database use these
instead of splitting paths themselves.
"""

from __future__ import annotations

from typing import Final

from afsreg.text import lazy_pattern

MODELS_DIR: Final = "models"
MODEL_SUFFIXES: Final = (".yaml", ".yml")
POLICY_FILE: Final = "afsreg.yaml"  # the registry's policy (afsreg.format.policy reads it)

# models/<name>/<version>.yaml exactly (what a well-placed file looks like).
MODEL_PATH_RE: Final = lazy_pattern(r"^models/([^/]+)/([^/]+)\.yaml$")


def model_path(name: str, version: str) -> str:
    """Where ``name@version``'s file lives, relative to the registry root."""
    return f"{MODELS_DIR}/{name}/{version}.yaml"


def stem(filename: str) -> str:
    """``v2.yaml`` -> ``v2`` (a name without a model suffix is returned as is)."""
    for suffix in MODEL_SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def path_ref(path: str) -> tuple[str | None, str | None]:
    """``models/<name>/<version>.yaml`` (or ``.yml``) -> (name, version); (None, None) otherwise."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == MODELS_DIR:
        return parts[1], stem(parts[2])
    return None, None


def is_model_path(path: str) -> bool:
    """A path under ``models/`` with a model suffix (at any depth)."""
    return path.startswith(MODELS_DIR + "/") and path.endswith(MODEL_SUFFIXES)


def path_identity(path: str) -> tuple[str, str] | None:
    """(name, version) a path stands for, or None when it is not models/<name>/<version>.yaml."""
    match = MODEL_PATH_RE().match(path)
    if match is None:
        return None
    return match.group(1), match.group(2)
