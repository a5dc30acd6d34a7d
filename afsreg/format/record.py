"""A parsed model version: the few fields the registry needs at hand, and the file.

Only a small summary is kept in memory; the full data is parsed again from
the file's bytes when it is asked for, so a registry of 50,000 versions does
not hold 50,000 parsed documents.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from afsreg.format.document import DEFAULT_PROMOTION_STATE, active_envs, promotion_state
from afsreg.format.refs import Ref
from afsreg.format.versions import version_key

# The summary is plain JSON-able data so it can be cached by blob id; in the
# cache it is stored as a list in SUMMARY_FIELDS order (half the size of a dict).
Summary = dict[str, Any]
SUMMARY_FIELDS = (
    "name",
    "version",
    "artifact_id",
    "title",
    "owner",
    "framework",
    "model_family",
    "is_external",
    "promotion_state",
    "superseded_by",
    "status",
    "parent",
    "active_envs",
    "review_count",
    "base_models",
    "deployed_spans",
)


def pack_summary(summary: Summary) -> list[Any]:
    return [summary[f] for f in SUMMARY_FIELDS]


def unpack_summary(row: list[Any]) -> Summary:
    return dict(zip(SUMMARY_FIELDS, row, strict=True))


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
        # The whole (small) list, so lineage can be walked without parsing files.
        "base_models": [b for b in bases if isinstance(b, dict)],
        # [env, deployed_at, undeployed_at or None] per deployment: overlaps across files.
        "deployed_spans": [
            [d["env"], d["deployed_at"], text(d.get("undeployed_at"))]
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


class VersionLike(Source, Protocol):
    """A model version as the layers above this one read it; ``ModelVersion`` is the registry's.

    The one Protocol for "a model version": the lineage graph reads name,
    version and data; the database projection also path, artifact_id, title,
    promotion_state, status and parent; diffs and immutability also ref,
    and path, blob_id and content (the Source it is read from).
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def ref(self) -> Ref: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def artifact_id(self) -> str: ...

    @property
    def title(self) -> str | None: ...

    @property
    def promotion_state(self) -> str: ...

    @property
    def status(self) -> str | None: ...

    @property
    def parent(self) -> str | None: ...


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

    # The summary is dict[str, Any] (it is cached as JSON, see SUMMARY_FIELDS), so
    # each `type: ignore[no-any-return]` below reads a field summarize() typed.

    @property
    def name(self) -> str:
        return self.summary["name"]  # type: ignore[no-any-return]

    @property
    def version(self) -> str:
        return self.summary["version"]  # type: ignore[no-any-return]

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
        return self.name, version_key(self.version)

    @property
    def artifact_id(self) -> str:
        """``artifacts.id`` of this version: the file's artifact_id, else name@version."""
        return self.summary["artifact_id"]  # type: ignore[no-any-return]

    @property
    def promotion_state(self) -> str:
        return self.summary["promotion_state"]  # type: ignore[no-any-return]

    @property
    def status(self) -> str | None:
        return self.summary["status"]  # type: ignore[no-any-return]

    @property
    def parent(self) -> str | None:
        return self.summary["parent"]  # type: ignore[no-any-return]

    @property
    def base_refs(self) -> list[str]:
        """The in-registry base models, as ``name@version``."""
        return [b["model"] for b in self.summary["base_models"] if isinstance(b.get("model"), str)]

    @property
    def active_envs(self) -> list[str]:
        """The environments this version is deployed in now."""
        return list(self.summary.get("active_envs") or [])

    @property
    def owner(self) -> str | None:
        return self.summary["owner"]  # type: ignore[no-any-return]

    @property
    def title(self) -> str | None:
        return self.summary["title"]  # type: ignore[no-any-return]

    @property
    def framework(self) -> str | None:
        return self.summary["framework"]  # type: ignore[no-any-return]

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
