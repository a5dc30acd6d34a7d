"""``name@version`` references to a model version."""

from __future__ import annotations

from dataclasses import dataclass

from afsreg.errors import AfsregError
from afsreg.format.versions import is_valid_name, is_valid_version


class RefError(AfsregError):
    """A ``name@version`` reference that is not well formed."""


@dataclass(frozen=True, order=True)
class Ref:
    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def path(self) -> str:
        """Where this version's file lives, relative to the registry root."""
        return f"models/{self.name}/{self.version}.yaml"


def parse_ref(text: str) -> Ref:
    """Parse ``name@version``; raise RefError with the reason otherwise."""
    name, sep, version = text.partition("@")
    if not sep:
        raise RefError(f"{text!r}: expected NAME@VERSION, e.g. majora@v2")
    if not is_valid_name(name):
        raise RefError(f"{text!r}: model name must be a lowercase slug ([a-z0-9][a-z0-9._-]*)")
    if not is_valid_version(version):
        raise RefError(f"{text!r}: version must look like v1, v1.2, v1.2.3 or v2.0.0-rc.1")
    return Ref(name, version)


def parse_name_or_ref(text: str) -> tuple[str, str | None]:
    """``majora`` -> (majora, None); ``majora@v2`` -> (majora, v2)."""
    if "@" in text:
        ref = parse_ref(text)
        return ref.name, ref.version
    if not is_valid_name(text):
        raise RefError(f"{text!r}: model name must be a lowercase slug ([a-z0-9][a-z0-9._-]*)")
    return text, None
