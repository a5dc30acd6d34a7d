"""Model versions -> table rows. Pure: no I/O, no database, no git.

Rows are dicts of canonical Python values: JSON columns hold the parsed
value, timestamp columns an ISO 8601 UTC string, flags 0/1. ``to_db`` and
``from_db`` convert at the edge, so rows computed from the files and rows
read back from either database compare equal when they mean the same thing.

External references. A base model or evaluation dataset that lives outside
the registry gets an ``artifacts`` row of its own (origin_type 'external'),
so base_model_id and eval_dataset_artifact_id are always valid foreign keys:
``external:<source>:<id>[@<revision>]`` for a base model,
``external:dataset:<name>[@<revision>]`` for a dataset named by the file, or
the dataset's own ``artifact_id`` when the file gives one.

Why ~500 lines in one module: it is the one pure mapping of a file to its rows
(both tables, external references, canonical values); splitting it would
split a column's meaning across files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from afsreg.errors import ValidationError
from afsreg.format.document import MODEL_FIELDS
from afsreg.format.fields import same
from afsreg.format.record import VersionLike
from afsreg.problems import Problem

# "bool" is "int" in a host table whose column is BOOLEAN: still 0/1 in rows, True/False to the driver.
Kind = Literal["text", "int", "bool", "json", "ts"]
Row = dict[str, Any]


@dataclass(frozen=True)
class NotJson:
    """A host's value in a JSON column that does not parse: carried as it is, never parsed into a crash."""

    text: str


@dataclass(frozen=True)
class Verbatim:
    """A value read from the database, to be written back exactly as it was (undoing an adoption)."""

    value: Any


ARTIFACT_COLUMNS: dict[str, Kind] = {
    "id": "text",
    "artifact_type": "text",
    "name": "text",
    "title": "text",
    "metadata": "json",
    "version_number": "int",
    "parent_version_id": "text",
    "version_tag": "text",
    "changelog": "text",
    "is_latest": "int",
    "lifecycle_state": "text",
    "superseded_by": "text",
    "origin_type": "text",
    "origin_url": "text",
    "created_at": "ts",
    "updated_at": "ts",
}
# The columns a reused artifacts table must have for afsreg to project into it.
REQUIRED_ARTIFACT_COLUMNS = ("id", "artifact_type", "metadata")

MODEL_VERSION_COLUMNS: dict[str, Kind] = {
    "artifact_id": "text",
    "is_external": "int",
    "external_source_url": "text",
    "external_source_version": "text",
    "base_model_id": "text",
    "code_repo_url": "text",
    "code_commit_sha": "text",
    "code_entrypoint": "text",
    "training_started_at": "ts",
    "training_completed_at": "ts",
    "trained_by": "text",
    "gpu_allocation_id": "text",
    "training_params_json": "json",
    "eval_metrics_json": "json",
    "eval_dataset_artifact_id": "text",
    "benchmark_id": "text",
    "promotion_state": "text",
    "promotion_notes": "text",
    "created_at": "ts",
}

EVENT_COLUMNS: dict[str, Kind] = {
    "commit_sha": "text",
    "path": "text",
    "old_path": "text",
    "artifact_id": "text",
    "model_name": "text",
    "version": "text",
    "change_type": "text",
    "author_name": "text",
    "author_email": "text",
    "committed_at": "ts",
    "message": "text",
    "changed_fields_json": "json",
    "promotion_state_before": "text",
    "promotion_state_after": "text",
}

# The seed-000 metadata fields (schemas/model_artifact_metadata.json) copied into artifacts.metadata.
METADATA_FIELDS = (
    *MODEL_FIELDS,
    "training_data",
    "evaluation_dataset",
    "evaluation_metrics",
    "benchmark_id",
    "base_model_id",
    "training_config",
)

EXTERNAL_MARK = "external reference"  # metadata["afsreg"] of the external rows afsreg owns
SOURCE_URLS = {
    "huggingface": "https://huggingface.co/{id}",
    "github": "https://github.com/{id}",
}


@dataclass(frozen=True)
class History:
    """What git says about one artifact: its changelog and first and last change."""

    changelog: str | None
    first_at: str | None
    last_at: str | None


NO_HISTORY = History(None, None, None)


# -- value conversion ---------------------------------------------------------


def canonical_ts(value: Any, where: str = "", field: str = "") -> str | None:
    """An ISO 8601 timestamp in UTC, or None; raises ValidationError on a value that is not one."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            raise ValidationError(
                [
                    Problem(
                        where or "<database>",
                        0,
                        0,
                        field or "<timestamp>",
                        f"not a date-time: {text!r}",
                    )
                ]
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


# The one text afsreg writes for a JSON value, and digests (afsreg.db.ownership): keys
# sorted, no spaces, UTF-8. One encoder object: json.dumps with options builds one a call.
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
json_text = _JSON.encode


def to_db(value: Any, kind: Kind) -> Any:
    """A canonical value as a driver parameter (JSON as text: both databases parse it)."""
    if value is None:
        return None
    if isinstance(value, NotJson):
        return value.text
    if isinstance(value, Verbatim):
        raw = value.value
        return json.dumps(raw, ensure_ascii=False) if isinstance(raw, (dict, list)) else raw
    if kind == "json":
        return json_text(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return value


# A timestamp as canonical_ts writes it: UTC, to the second, microseconds only when not 0.
_CANONICAL_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.(?!000000)\d{6})?\+00:00")


def from_db(value: Any, kind: Kind) -> Any:
    """A value read from either database, in canonical form."""
    if value is None:
        return None
    if kind == "json":
        if not isinstance(value, (str, bytes)):
            return value
        try:
            return json.loads(value)
        except ValueError:
            text = value if isinstance(value, str) else value.decode("utf-8", "replace")
            return NotJson(text)
    if kind == "bool":
        return int(bool(value))
    if kind == "ts":
        if value.__class__ is str and _CANONICAL_TS.fullmatch(value):
            return value  # what canonical_ts gives back for it (or, not a date, str(value))
        try:
            return canonical_ts(value)
        except ValidationError:
            return str(value)
    if kind == "int":
        return int(value)
    return str(value)


# A value of exactly this class read from a column of this kind is already canonical.
_READ_AS_IS: dict[Kind, type | None] = {
    "text": str,
    "int": int,
    "ts": None,
    "json": None,
    "bool": None,
}


def row_reader(columns: Mapping[str, Kind], names: Sequence[str]) -> Callable[[Sequence[Any]], Row]:
    """What turns one row as a driver returns it (``names`` order) into a canonical Row.

    ``from_db`` of every value; a text or an int that is already one passes without a call.
    """
    spec = [(name, columns[name], _READ_AS_IS[columns[name]]) for name in names]

    def read(values: Sequence[Any]) -> Row:
        return {
            name: value if value is None or value.__class__ is as_is else from_db(value, kind)
            for (name, kind, as_is), value in zip(spec, values, strict=True)
        }

    return read


def row_values(
    row: Mapping[str, Any], columns: Mapping[str, Kind], names: Sequence[str]
) -> tuple[Any, ...]:
    return tuple(to_db(row.get(name), columns[name]) for name in names)


# A value of exactly this class is its own driver parameter in a column of this kind.
_AS_IS: dict[Kind, type | None] = {"text": str, "ts": str, "int": int, "json": None, "bool": None}


def rows_values(
    rows: Iterable[Mapping[str, Any]], columns: Mapping[str, Kind], names: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``row_values`` of many rows; the common values (text, ints, NULL) pass without a call."""
    spec = [(name, _AS_IS[columns[name]], columns[name]) for name in names]
    return [
        tuple(
            [
                value
                if (value := row.get(name)) is None or value.__class__ is as_is
                else to_db(value, kind)
                for name, as_is, kind in spec
            ]
        )
        for row in rows
    ]


def differing_columns(desired: Row, actual: Row, columns: Iterable[str]) -> list[str]:
    return [c for c in columns if not same(desired.get(c), actual.get(c))]


# -- references ---------------------------------------------------------------


def external_model_id(base: Mapping[str, Any]) -> str:
    ident = f"external:{base.get('source') or 'other'}:{base['external']}"
    revision = base.get("revision")
    return f"{ident}@{revision}" if revision else ident


def dataset_id(dataset: Any) -> str | None:
    """The artifacts.id an evaluation_dataset value points at (None when there is none)."""
    if dataset is None:
        return None
    if isinstance(dataset, str):
        return f"external:dataset:{dataset}"
    if isinstance(dataset, Mapping):
        if dataset.get("artifact_id"):
            return str(dataset["artifact_id"])
        ident = f"external:dataset:{dataset['name']}"
        return f"{ident}@{dataset['revision']}" if dataset.get("revision") else ident
    return None


def external_row(ident: str) -> Row:
    """The artifacts row afsreg owns for an external reference: a function of the id alone.

    Its times are NULL: when an outside model or dataset came to be is not
    something the registry knows.
    """
    kind = "model"
    name = ident
    revision = None
    url = None
    meta: dict[str, Any] = {"afsreg": EXTERNAL_MARK}
    if ident.startswith("external:"):
        _, source, rest = ident.split(":", 2)
        name, _, revision_text = rest.partition("@")
        revision = revision_text or None
        if source == "dataset":
            kind = "dataset"
        else:
            meta["source"] = source
            template = SOURCE_URLS.get(source)
            url = template.format(id=name) if template else (name if source == "url" else None)
        meta["id"] = name
        if revision:
            meta["revision"] = revision
    else:
        kind = "dataset"
    return {
        "id": ident,
        "artifact_type": kind,
        "name": name,
        "title": name,
        "metadata": meta,
        "version_number": None,
        "parent_version_id": None,
        "version_tag": revision,
        "changelog": None,
        "is_latest": 0,
        "lifecycle_state": None,
        "superseded_by": None,
        "origin_type": "external",
        "origin_url": url,
        "created_at": None,
        "updated_at": None,
    }


def is_owned_external(row: Mapping[str, Any]) -> bool:
    meta = row.get("metadata")
    return (
        row.get("origin_type") == "external"
        and isinstance(meta, Mapping)
        and meta.get("afsreg") == EXTERNAL_MARK
    )


# -- projection -----------------------------------------------------------------


class Lookup:
    """Versions grouped by model, to resolve refs to artifact ids without I/O."""

    def __init__(
        self, versions: Iterable[VersionLike], latest: Mapping[str, str] | None = None
    ) -> None:
        self.by_model: dict[str, list[VersionLike]] = {}
        for version in versions:  # already in (name, numeric version) order
            self.by_model.setdefault(version.name, []).append(version)
        self.by_ref = {(v.name, v.version): v for vs in self.by_model.values() for v in vs}
        self.latest = dict(latest) if latest is not None else {}
        self.number = {
            (v.name, v.version): i
            for vs in self.by_model.values()
            for i, v in enumerate(vs, start=1)
        }

    def artifact_id(self, name: str, version: str | None) -> str | None:
        if version is None:
            return None
        found = self.by_ref.get((name, version))
        return found.artifact_id if found else None


def base_model_id(version: VersionLike, lookup: Lookup) -> str | None:
    """The first base model's artifacts.id (the seed has one column; the list stays in metadata)."""
    bases = (version.data.get("lineage") or {}).get("base_models") or []
    for base in bases:
        if not isinstance(base, Mapping):
            continue
        if base.get("model"):
            name, _, ver = str(base["model"]).partition("@")
            return lookup.artifact_id(name, ver)
        if base.get("external"):
            return external_model_id(base)
    return None


def seed_metadata(version: VersionLike, lookup: Lookup) -> dict[str, Any]:
    """artifacts.metadata: the seed-000 metadata fields of the file, base_model_id derived."""
    data = version.data
    meta = {key: data[key] for key in METADATA_FIELDS if key in data}
    base = base_model_id(version, lookup)
    if base is not None:
        meta["base_model_id"] = base
    return meta


def project_versions(
    versions: Iterable[VersionLike], lookup: Lookup, histories: Mapping[str, History]
) -> tuple[dict[str, Row], dict[str, Row]]:
    """Artifact id -> artifacts row, and -> model_versions row, of each of ``versions``."""
    artifacts: dict[str, Row] = {}
    model_versions: dict[str, Row] = {}
    for version in versions:
        artifact, model_version = project_version(
            version, lookup, histories.get(version.artifact_id, NO_HISTORY)
        )
        artifacts[version.artifact_id] = artifact
        model_versions[version.artifact_id] = model_version
    return artifacts, model_versions


def pointed_at(model_versions: Mapping[str, Row]) -> set[str]:
    """The artifact ids ``model_versions`` rows point at: base models and evaluation datasets."""
    return {
        i
        for row in model_versions.values()
        for i in (row["base_model_id"], row["eval_dataset_artifact_id"])
        if i
    }


def project_version(version: VersionLike, lookup: Lookup, history: History) -> tuple[Row, Row]:
    """(artifacts row, model_versions row) of one version."""
    data = version.data
    where = version.path
    code = data.get("code") or {}
    training = data.get("training") or {}
    promotion = data.get("promotion") or {}
    is_external = data.get("is_external") is True
    created = canonical_ts(data.get("created_at"), where, "created_at") or history.first_at
    updated = history.last_at or created
    if created is None:
        raise ValidationError(
            [Problem(where, 0, 0, "created_at", "no created_at and no git history to date it")]
        )
    superseded = promotion.get("superseded_by")
    artifact: Row = {
        "id": version.artifact_id,
        "artifact_type": "model",
        "name": version.name,
        "title": version.title,
        "metadata": seed_metadata(version, lookup),
        "version_number": lookup.number.get((version.name, version.version)),
        "parent_version_id": lookup.artifact_id(version.name, version.parent),
        "version_tag": version.version,
        "changelog": history.changelog,
        "is_latest": int(lookup.latest.get(version.name) == version.version),
        "lifecycle_state": version.status,
        "superseded_by": lookup.artifact_id(version.name, superseded) if superseded else None,
        "origin_type": "external" if is_external else "internal",
        "origin_url": data.get("external_source_url") if is_external else None,
        "created_at": created,
        "updated_at": updated,
    }
    model_version: Row = {
        "artifact_id": version.artifact_id,
        "is_external": int(is_external),
        "external_source_url": data.get("external_source_url"),
        "external_source_version": data.get("external_source_version"),
        "base_model_id": base_model_id(version, lookup),
        "code_repo_url": code.get("repo_url"),
        "code_commit_sha": code.get("commit_sha"),
        "code_entrypoint": code.get("entrypoint"),
        "training_started_at": canonical_ts(
            training.get("started_at"), where, "training.started_at"
        ),
        "training_completed_at": canonical_ts(
            training.get("completed_at"), where, "training.completed_at"
        ),
        "trained_by": training.get("trained_by"),
        "gpu_allocation_id": training.get("gpu_allocation_id"),
        "training_params_json": data.get("training_config"),
        "eval_metrics_json": data.get("evaluation_metrics"),
        "eval_dataset_artifact_id": dataset_id(data.get("evaluation_dataset")),
        "benchmark_id": data.get("benchmark_id"),
        "promotion_state": version.promotion_state,
        "promotion_notes": promotion.get("notes"),
        "created_at": created,
    }
    return artifact, model_version


def referenced_ids(model_version: Row) -> list[str]:
    return [
        i for i in (model_version["base_model_id"], model_version["eval_dataset_artifact_id"]) if i
    ]


# -- history --------------------------------------------------------------------


def histories(events: Iterable[Mapping[str, Any]]) -> dict[str, History]:
    """Per artifact id: changelog (one line per commit, oldest first) and first/last change time.

    Events are ordered by (committed_at, commit_sha): a total order that does
    not depend on how the history was walked, so full and incremental syncs agree.
    """
    grouped: dict[str, dict[str, tuple[str, str]]] = {}
    for event in events:
        ident = event.get("artifact_id")
        if not ident:
            continue
        grouped.setdefault(ident, {})[event["commit_sha"]] = (
            event["committed_at"],
            event["message"],
        )
    result = {}
    for ident, commits in grouped.items():
        ordered = sorted(commits.items(), key=lambda item: (item[1][0], item[0]))
        lines = []
        for sha, (when, message) in ordered:
            subject = message.strip().splitlines()[0] if message.strip() else "(no message)"
            lines.append(f"{when[:10]} {sha[:10]} {subject}")
        result[ident] = History("\n".join(lines), ordered[0][1][0], ordered[-1][1][0])
    return result
