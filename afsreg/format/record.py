"""A parsed model version: the few fields the registry needs at hand, and the file.

Only a small summary is kept in memory; the full data is parsed again from
the file's bytes when it is asked for, so a registry of 50,000 versions does
not hold 50,000 parsed documents.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypedDict, TypeVar, cast, overload

from afsreg.format.document import DEFAULT_PROMOTION_STATE, active_envs, promotion_state
from afsreg.format.refs import Ref
from afsreg.format.versions import version_key

if TYPE_CHECKING:
    # Python 3.13's typing.ReadOnly; only the checker reads it (annotations are not evaluated).
    from typing_extensions import ReadOnly

T = TypeVar("T")
BaseModelEntry = dict[str, Any]  # one lineage.base_models entry as the file has it
DeployedSpan = tuple[str, str, "str | None"]  # env, deployed_at, undeployed_at (None: active)


class Summary(TypedDict):
    """What cross-file rules and listings need from a file, without parsing it again.

    A TypedDict, not a dataclass: it is cached as JSON by blob id and read
    back for every file on every warm open (100,000 of them in the
    benchmarks), and as the very dict ``json.loads`` gives back it costs no
    conversion; its keys are typed for mypy, and ``ReadOnly`` makes it
    frozen where it is checked. ``summary_to_json`` / ``summary_from_json``
    are the one home of its cached form.
    """

    name: ReadOnly[str]
    version: ReadOnly[str]
    artifact_id: ReadOnly[str]
    title: ReadOnly[str | None]
    owner: ReadOnly[str | None]
    framework: ReadOnly[str | None]
    model_family: ReadOnly[str | None]
    is_external: ReadOnly[bool]
    promotion_state: ReadOnly[str]
    superseded_by: ReadOnly[str | None]
    status: ReadOnly[str | None]
    parent: ReadOnly[str | None]
    active_envs: ReadOnly[list[str]]
    review_count: ReadOnly[int]
    # The whole (small) list, so lineage can be walked without parsing files.
    base_models: ReadOnly[list[BaseModelEntry]]
    # Per deployment, so overlaps across files are found without parsing them.
    deployed_spans: ReadOnly[list[DeployedSpan]]


# In the cache a summary is a list in this order (half the size of a dict).
SUMMARY_FIELDS: tuple[str, ...] = tuple(Summary.__annotations__)


def summary_to_json(summary: Summary) -> list[object]:
    """The cached form of a summary: its values in SUMMARY_FIELDS order."""
    return [summary[f] for f in SUMMARY_FIELDS]  # type: ignore[literal-required]  # f is a key


def summary_from_json(row: object) -> Summary:
    """A summary back from ``summary_to_json``'s list (after a JSON round trip).

    ValueError when ``row`` is not one: a cache of another shape is a miss,
    never a wrong answer. JSON has no tuples: the spans are made tuples
    again, so a summary read back equals the one summarize() made.
    """
    if not isinstance(row, list) or len(row) != len(SUMMARY_FIELDS):
        raise ValueError("not a cached summary")
    summary = dict(zip(SUMMARY_FIELDS, row, strict=True))
    spans = summary["deployed_spans"]
    if spans:
        summary["deployed_spans"] = [tuple(span) for span in spans]
    return cast(Summary, summary)


def summarize(data: Any, name: str, version: str) -> Summary:
    """What cross-file rules and listings need from a file, type-checked leniently."""
    data = data if isinstance(data, dict) else {}

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    lineage = _mapping(data.get("lineage"))
    bases = _list(lineage.get("base_models"))
    review = _list(data.get("review"))
    return {
        "name": name,
        "version": version,
        "artifact_id": text(data.get("artifact_id")) or f"{name}@{version}",
        "title": text(data.get("title")),
        "owner": text(data.get("owner")),
        "framework": text(data.get("framework")),
        "model_family": text(data.get("model_family")),
        "is_external": data.get("is_external") is True,
        "promotion_state": promotion_state(data) or DEFAULT_PROMOTION_STATE,
        "superseded_by": text(_mapping(data.get("promotion")).get("superseded_by")),
        "status": text(data.get("status")),
        "parent": text(lineage.get("parent")),
        "active_envs": active_envs(data),
        "review_count": len(review),
        "base_models": [b for b in bases if isinstance(b, dict)],
        "deployed_spans": [
            (d["env"], d["deployed_at"], text(d.get("undeployed_at")))
            for d in _list(data.get("deployments"))
            if isinstance(d, dict)
            and isinstance(d.get("env"), str)
            and isinstance(d.get("deployed_at"), str)
        ],
    }


def parse_instant(text: Any) -> datetime | None:
    """An ISO 8601 timestamp with a time zone as an aware datetime; None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def overlapping(
    spans: list[tuple[datetime, datetime | None]],
) -> tuple[int, int] | None:
    """Indexes of two spans [start, end) that overlap (end None: still open), if any.

    An empty span (end == start: deployed and replaced within the same second,
    as timestamps are to the second) overlaps nothing.
    """
    order = sorted(
        (i for i, (start, end) in enumerate(spans) if end is None or end > start),
        key=lambda i: spans[i][0],
    )
    for previous, current in itertools.pairwise(order):
        end = spans[previous][1]
        if end is None or spans[current][0] < end:
            return previous, current
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class Source(Protocol):
    """Bytes with a path and a git blob id: what a version file is read from.

    ``afsreg.git.sources.SourceFile`` is one; this layer names only what it
    uses, so the file format does not depend on where bytes come from.
    """

    @property
    def path(self) -> str: ...

    @property
    def blob_id(self) -> str: ...

    @property
    def content(self) -> bytes: ...


class _FromSummary(Generic[T]):
    """A read-only attribute of ``ModelVersion`` computed from its summary.

    One line per field instead of a property each; the type of the field is
    the type ``read`` returns, so ``version.status`` is ``str | None``.
    """

    __slots__ = ("read",)

    def __init__(self, read: Callable[[Summary], T]) -> None:
        self.read = read

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _FromSummary[T]: ...
    @overload
    def __get__(self, instance: ModelVersion, owner: type[Any]) -> T: ...
    def __get__(self, instance: ModelVersion | None, owner: type[Any]) -> T | _FromSummary[T]:
        return self if instance is None else self.read(instance.summary)


class ModelVersion:
    """One version file of the registry."""

    __slots__ = ("__dict__", "source", "summary")

    def __init__(self, source: Source, summary: Summary) -> None:
        self.source = source
        self.summary = summary

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def blob_id(self) -> str:
        return self.source.blob_id

    @property
    def content(self) -> bytes:
        """The file's bytes (read on first use)."""
        return self.source.content

    def __repr__(self) -> str:
        return f"<ModelVersion {self.ref} {self.path}>"

    # Fields read straight from the summary: one typed line each (see _FromSummary).
    name = _FromSummary(lambda s: s["name"])
    version = _FromSummary(lambda s: s["version"])
    artifact_id = _FromSummary(lambda s: s["artifact_id"])
    """``artifacts.id`` of this version: the file's artifact_id, else name@version."""
    promotion_state = _FromSummary(lambda s: s["promotion_state"])
    superseded_by = _FromSummary(lambda s: s["superseded_by"])
    status = _FromSummary(lambda s: s["status"])
    parent = _FromSummary(lambda s: s["parent"])
    owner = _FromSummary(lambda s: s["owner"])
    title = _FromSummary(lambda s: s["title"])
    framework = _FromSummary(lambda s: s["framework"])
    model_family = _FromSummary(lambda s: s["model_family"])
    is_external = _FromSummary(lambda s: s["is_external"])
    review_count = _FromSummary(lambda s: s["review_count"])

    @property
    def ref_text(self) -> str:
        """``name@version`` as text (cheaper than ``str(self.ref)``)."""
        return f"{self.summary['name']}@{self.summary['version']}"

    @property
    def ref(self) -> Ref:
        return Ref(self.name, self.version)

    @property
    def key(self) -> tuple[str, Any]:
        """Sort key: by name, then numeric version order."""
        summary = self.summary  # read directly: sorting 100,000 versions reads this often
        return summary["name"], version_key(summary["version"])

    @property
    def base_refs(self) -> list[str]:
        """The in-registry base models, as ``name@version``."""
        return [b["model"] for b in self.summary["base_models"] if isinstance(b.get("model"), str)]

    @property
    def active_envs(self) -> list[str]:
        """The environments this version is deployed in now."""
        return list(self.summary["active_envs"])

    @property
    def deployed_spans(self) -> list[DeployedSpan]:
        """(env, deployed_at, undeployed_at or None) of every deployment, in file order."""
        return list(self.summary["deployed_spans"])

    @cached_property
    def data(self) -> dict[str, Any]:
        """The whole file as plain data."""
        from afsreg.format.loader import load_yaml

        loaded = load_yaml(self.content)
        return loaded if isinstance(loaded, dict) else {}

    @property
    def base_models(self) -> list[dict[str, Any]]:
        return list(self.summary["base_models"])

    @property
    def review(self) -> list[dict[str, Any]]:
        return list(self.data.get("review") or [])


# The name the layers above read "a model version" by. It was a Protocol that
# only ModelVersion implemented; it is ModelVersion itself now, so there is
# one definition of what a version offers.
VersionLike = ModelVersion
