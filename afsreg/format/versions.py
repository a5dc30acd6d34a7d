"""Model names and version strings: what is allowed and how versions order.

Versions are ``v1``, ``v1.2``, ``v1.2.3``, optionally with a pre-release
(``v2.0.0-rc.1``). They order numerically (v10 after v9); missing parts count
as 0 (v1 == v1.0 in order, so both may not exist for one model); a
pre-release sorts before its release, and pre-release identifiers compare as
semver says (numbers numerically, below words).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from afsreg.text import lazy_pattern

NAME_PATTERN = r"[a-z0-9][a-z0-9._-]*"
VERSION_PATTERN = r"v(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
NAME_RE = lazy_pattern(rf"^{NAME_PATTERN}$")
VERSION_RE = lazy_pattern(rf"^{VERSION_PATTERN}$")

Bump = Literal["major", "minor", "patch"]
# (release numbers, is-final flag, pre-release identifiers)
VersionKey = tuple[tuple[int, int, int], int, tuple[tuple[int, int | str], ...]]


def is_valid_name(name: str) -> bool:
    return bool(NAME_RE().match(name)) and len(name) <= 100


@lru_cache(maxsize=65536)
def is_valid_version(version: str) -> bool:
    return bool(VERSION_RE().match(version))


@lru_cache(maxsize=65536)
def version_key(version: str) -> VersionKey:
    """Sort key: ``sorted(vs, key=version_key)`` puts v9 before v10."""
    match = VERSION_RE().match(version)
    if match is None:
        raise ValueError(f"not a version: {version!r} (expected v1, v1.2, v1.2.3 or v1.2.3-rc.1)")
    major, minor, patch, pre = match.groups()
    numbers = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return numbers, 1, ()
    idents: list[tuple[int, int | str]] = []
    for ident in pre.split("."):
        idents.append((0, int(ident)) if ident.isdigit() else (1, ident))
    return numbers, 0, tuple(idents)


def sort_versions(versions: list[str]) -> list[str]:
    return sorted(versions, key=version_key)


def parts(version: str) -> int:
    """How many numeric parts a version writes: v1 -> 1, v1.2.3 -> 3."""
    return version.split("-", 1)[0].count(".") + 1


def bump_version(version: str, part: Bump) -> str:
    """The next release after ``version`` for a semantic bump.

    ``bump_version("v1.2.3", "minor") == "v1.3.0"``; a pre-release bumps to
    its own release on the part it already is (``v2.0.0-rc.1`` -> ``v2.0.0``
    for major).
    """
    (major, minor, patch), final, _ = version_key(version)
    if not final:
        if part == "major" and (minor, patch) == (0, 0):
            return f"v{major}.0.0"
        if part == "minor" and patch == 0:
            return f"v{major}.{minor}.0"
        if part == "patch":
            return f"v{major}.{minor}.{patch}"
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def next_version(existing: list[str], part: Bump | None = None) -> str:
    """The version a new registration gets.

    With no versions yet: ``v1`` (or ``v1.0.0`` for a semantic bump). Without
    ``part``, the latest release's first number goes up by one in the style
    the model already uses (v1 -> v2, v1.2 -> v2.0, v1.2.3 -> v2.0.0).
    """
    if not existing:
        return "v1.0.0" if part else "v1"
    latest = max(existing, key=version_key)
    if part is not None:
        return bump_version(latest, part)
    (major, _, _), _, _ = version_key(latest)
    width = parts(latest)
    return "v" + ".".join([str(major + 1)] + ["0"] * (width - 1))
