"""References and search as the web layer uses them, in one place.

The reference grammar (``NAME@promoted``, ``NAME@<env>``, ``models:/NAME/2``)
and the search language belong to afsreg.format.refs and afsreg.read.search;
until those land, this thin adapter answers the forms the pages, the API
and ``afsreg card`` need, and is the one place to swap over.
"""

from __future__ import annotations

from afsreg.errors import NotFoundError
from afsreg.format.record import ModelVersion
from afsreg.format.refs import RefError, parse_ref
from afsreg.format.versions import is_valid_name, is_valid_version
from afsreg.registry import Registry


def resolve(registry: Registry, text: str) -> ModelVersion:
    """``NAME@VERSION``, ``NAME@latest``, ``NAME@promoted`` or ``NAME@ENV`` (the version deployed there)."""
    name, sep, selector = text.partition("@")
    if not sep or not is_valid_name(name):
        raise RefError(
            f"{text!r}: expected NAME@VERSION, NAME@latest, NAME@promoted or NAME@ENV, e.g. majora@v2"
        )
    if is_valid_version(selector):
        return registry.get(parse_ref(text))
    # Anything else names a version by what it is: latest, promoted, or an env.
    versions = registry.versions(name)
    if not versions:
        raise NotFoundError(f"{text}: no model named {name!r} in the registry")
    found: ModelVersion | None
    if selector == "latest":
        found = registry.latest(name)
    elif selector == "promoted":
        found = registry.promoted(name)
    else:
        found = next(
            (v for v in reversed(versions) if selector in (v.summary.get("active_envs") or [])),
            None,
        )
    if found is None:
        raise NotFoundError(f"{text}: {name} has no version that is {selector}")
    return found


def search(registry: Registry, query: str) -> list[ModelVersion]:
    """Versions whose name, title, description, owner, framework or tags contain every word."""
    words = query.lower().split()
    found = []
    for v in registry:
        data = v.data
        haystack = " ".join(
            str(x)
            for x in (
                v.ref_text,
                data.get("title"),
                data.get("description"),
                data.get("owner"),
                data.get("framework"),
                data.get("model_family"),
                v.promotion_state,
                v.status,
                *(data.get("tags") or []),
            )
            if x
        ).lower()
        if all(w in haystack for w in words):
            found.append(v)
    return found
