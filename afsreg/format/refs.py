"""References to a model version: the one grammar every command and the API accept.

    majora@v2                an exact version (v2 also finds v2.0 or v2.0.0: they are one version)
    majora@latest            the highest release (a pre-release only when there is no release)
    majora@promoted          the promoted version (MLflow's "champion")
    majora@production        the version active in that deployment environment
    majora@env:latest        an environment, spelled out (for an env named like a keyword)
    models:/majora/2         MLflow: version number 2           -> majora@v2
    models:/majora/latest    MLflow: the latest version         -> majora@latest
    models:/majora/Production MLflow stage (Production, Staging) -> majora@production
    models:/majora@champion  MLflow alias "champion"            -> majora@promoted
    models:/majora@staging   MLflow alias: any other alias      -> majora@staging

What follows ``@`` is read in this order, so a name never means two things:
a version (``v`` and a number), then the keywords ``latest`` and
``promoted``, then an environment. ``deploy`` refuses environment names that
would be read otherwise; ``env:NAME`` names an environment explicitly. What
comes before ``@`` is always the model name.

*When* a reference is answered (``--at``) is not part of it: see
``afsreg.git.asof``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from afsreg.errors import AfsregError
from afsreg.format.paths import model_path
from afsreg.format.versions import NAME_PATTERN, is_valid_name, is_valid_version
from afsreg.text import lazy_pattern

SelectorKind = Literal["version", "latest", "promoted", "env"]
KEYWORDS = ("latest", "promoted")
ENV_PREFIX = "env:"
ENV_RE = lazy_pattern(rf"^{NAME_PATTERN}$")
MLFLOW_PREFIX = "models:/"
# MLflow stages that name a deployment environment; "None" and "Archived" name none.
MLFLOW_STAGES = {"production": "production", "staging": "staging"}
MLFLOW_ALIASES = {"champion": "promoted"}

_EXAMPLES = "e.g. majora@v2, majora@latest, majora@promoted, majora@production"


class RefError(AfsregError):
    """A reference that is not well formed."""


@dataclass(frozen=True, order=True)
class Ref:
    """An exact version: ``name@version``."""

    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def path(self) -> str:
        """Where this version's file lives, relative to the registry root."""
        return model_path(self.name, self.version)


@dataclass(frozen=True)
class VersionRef:
    """Any reference: a model and which of its versions (exact, latest, promoted, or in an env)."""

    name: str
    kind: SelectorKind
    value: str  # the version, the keyword, or the environment

    def __str__(self) -> str:
        if self.kind == "env" and (self.value in KEYWORDS or is_valid_version(self.value)):
            return f"{self.name}@{ENV_PREFIX}{self.value}"
        return f"{self.name}@{self.value}"

    @property
    def exact(self) -> Ref | None:
        """The Ref when this names an exact version, else None."""
        return Ref(self.name, self.value) if self.kind == "version" else None

    def describe(self) -> str:
        """In words, for messages: 'the version of majora deployed in production'."""
        if self.kind == "version":
            return f"{self.name}@{self.value}"
        if self.kind == "latest":
            return f"the latest version of {self.name}"
        if self.kind == "promoted":
            return f"the promoted version of {self.name}"
        return f"the version of {self.name} deployed in {self.value}"


def _check_name(name: str, text: str) -> str:
    if not is_valid_name(name):
        raise RefError(f"{text!r}: model name must be a lowercase slug ([a-z0-9][a-z0-9._-]*)")
    return name


def parse_selector(selector: str, text: str | None = None) -> tuple[SelectorKind, str]:
    """What follows ``@``: (kind, value), read in the documented order."""
    where = text if text is not None else selector
    if is_valid_version(selector):
        return "version", selector
    if selector in KEYWORDS:
        return selector, selector  # type: ignore[return-value]  # `in KEYWORDS` does not narrow str
    env = selector[len(ENV_PREFIX) :] if selector.startswith(ENV_PREFIX) else selector
    if ENV_RE().match(env) and len(env) <= 100:
        return "env", env
    raise RefError(
        f"{where!r}: after @ comes a version (v1, v1.2, v1.2.3, v2.0.0-rc.1), latest, "
        f"promoted or an environment name ({_EXAMPLES})"
    )


def parse_mlflow_uri(text: str) -> VersionRef:
    """``models:/NAME/N``, ``models:/NAME/latest``, ``models:/NAME/STAGE``, ``models:/NAME@ALIAS``."""
    rest = text[len(MLFLOW_PREFIX) :]
    if "@" in rest:
        name, _, alias = rest.partition("@")
        _check_name(name, text)
        alias = MLFLOW_ALIASES.get(alias.lower(), alias.lower())
        kind, value = parse_selector(alias, text)
        return VersionRef(name, kind, value)
    name, sep, tail = rest.partition("/")
    if not sep or not tail or "/" in tail:
        raise RefError(
            f"{text!r}: an MLflow model URI is models:/NAME/VERSION, models:/NAME/STAGE "
            "or models:/NAME@ALIAS"
        )
    _check_name(name, text)
    if re.fullmatch(r"[1-9][0-9]*", tail):
        return VersionRef(name, "version", f"v{tail}")
    if is_valid_version(tail):
        return VersionRef(name, "version", tail)
    if tail.lower() == "latest":
        return VersionRef(name, "latest", "latest")
    stage = MLFLOW_STAGES.get(tail.lower())
    if stage is None:
        raise RefError(
            f"{text!r}: {tail!r} is not a version number, 'latest', or a stage afsreg maps "
            f"(Production -> @production, Staging -> @staging)"
        )
    return VersionRef(name, "env", stage)


def parse_version_ref(text: str) -> VersionRef:
    """Parse any reference of the grammar above; RefError with the reason otherwise."""
    text = text.strip()
    if text.startswith(MLFLOW_PREFIX):
        return parse_mlflow_uri(text)
    name, sep, selector = text.partition("@")
    if not sep:
        raise RefError(f"{text!r}: expected NAME@VERSION or NAME@SELECTOR, {_EXAMPLES}")
    _check_name(name, text)
    kind, value = parse_selector(selector, text)
    return VersionRef(name, kind, value)


def parse_ref(text: str) -> Ref:
    """Parse an exact ``name@version``; RefError with the reason otherwise.

    For the places that name a version to be written (a base model in a
    file); everything that reads accepts ``parse_version_ref``'s grammar.
    """
    parsed = parse_version_ref(text)
    if parsed.kind != "version":
        raise RefError(
            f"{text!r}: an exact version is needed here (NAME@VERSION, e.g. majora@v2), "
            f"not {parsed.describe()}"
        )
    return Ref(parsed.name, parsed.value)


def parse_name_or_ref(text: str) -> tuple[str, str | None]:
    """``majora`` -> (majora, None); ``majora@v2`` -> (majora, v2)."""
    if "@" in text:
        ref = parse_ref(text)
        return ref.name, ref.version
    return _check_name(text, text), None


def parse_model_or_ref(text: str) -> tuple[str, VersionRef | None]:
    """``majora`` -> (majora, None); any reference -> (its model, the reference)."""
    if "@" in text or text.startswith(MLFLOW_PREFIX):
        ref = parse_version_ref(text)
        return ref.name, ref
    return _check_name(text, text), None


def is_reserved_env(env: str) -> bool:
    """An environment name a reference would read as something else (a version, a keyword)."""
    return env in KEYWORDS or is_valid_version(env)


# -- models outside the registry ----------------------------------------------

# A Hugging Face repo id: "org/name" (the forms huggingface_hub accepts).
HF_ID_RE = lazy_pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
EXTERNAL_SOURCES = ("huggingface", "github", "zenodo", "url", "other")
_URL_SOURCES = {
    "https://huggingface.co/": "huggingface",
    "https://github.com/": "github",
}
_SOURCE_ALIASES = {"hf": "huggingface", "gh": "github"}


def looks_like_hf_id(text: str) -> bool:
    """``Qwen/Qwen2.5-Coder-7B`` (org/name, no '--' or '..', not ending in .git)."""
    return (
        bool(HF_ID_RE().match(text))
        and ".." not in text
        and "--" not in text
        and not text.endswith(".git")
    )


def external_ref(source: str | None, ident: str) -> str:
    """The one canonical id of a model outside the registry: ``huggingface:Qwen/Qwen2.5-Coder-7B``.

    Used by the lineage graph, search (``base_models``, ``derived_from``)
    and the SQL lineage table. The revision is not part of it: it belongs
    to the edge (which revision a version was derived from), not the model.
    """
    return f"{source or 'other'}:{ident}"


def base_model_id(entry: dict[str, object]) -> str:
    """The canonical id of one ``lineage.base_models`` entry: ``name@version`` or an external id."""
    model = entry.get("model")
    if isinstance(model, str):
        return model
    source = entry.get("source")
    return external_ref(source if isinstance(source, str) else None, str(entry.get("external")))


def parse_external(text: str) -> tuple[str | None, str]:
    """What a user may type for an outside model -> (source or None for any, id).

    ``huggingface:Qwen/X`` and ``hf:Qwen/X``, ``https://huggingface.co/Qwen/X``
    (GitHub likewise), or the bare ``Qwen/X`` (any source).
    """
    text = text.strip()
    for prefix, source in _URL_SOURCES.items():
        if text.startswith(prefix):
            return source, text[len(prefix) :].strip("/")
    head, sep, rest = text.partition(":")
    if sep and not rest.startswith("//"):
        source = _SOURCE_ALIASES.get(head.lower(), head.lower())
        if source in EXTERNAL_SOURCES:
            return source, rest
    return None, text
