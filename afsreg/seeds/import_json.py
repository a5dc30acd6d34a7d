"""Importing a registry kept in seed 001's JSON layout into version files.

Seed 001 kept its registry in ``registry.json`` (models -> metadata and
versions) and its lineage in ``lineage.json``. ``import_json`` writes one
``models/<name>/<version>.yaml`` per version, through the same validation as
every other write (all files or none). What maps with certainty is mapped;
anything else is kept, in a ``review`` flag that names the field, says why,
and holds the original value under ``known`` -- never guessed, never dropped.

registry.json::

    {"version": "1.0", "updated_at": "...",
     "models": {"majora": {"metadata": {"model_name", "description", "owner", "tags", "notes"},
                           "versions": {"v1": {"model_name", "version", "status", "training": {...},
                                               "evaluation_scores": {...}, "lora_path", "gguf_path",
                                               "git_commit", "deployed", "parent_version", ...}}}}}

lineage.json::

    {"version": "1.0", "updated_at": "...",
     "models": {"majora": {"versions": {"v2": {"parent": "v1", "relation": "fine-tune",
                                               "training_data": ["..."], "git_commit": "...",
                                               "notes": "..."}}}}}

Why ~620 lines in one module: it is a one-off bridge, and every mapping rule of
seed 001's layout (with its review flag when unsure) is read in one place, next
to the layout above.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afsreg.errors import AfsregError
from afsreg.format.editor import dump_yaml
from afsreg.format.field_paths import dotted
from afsreg.format.fields import FIELD_ORDER, KNOWN_METRICS, parse_assignment
from afsreg.format.loader import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    YamlError,
    read_limited,
)
from afsreg.format.refs import looks_like_hf_id
from afsreg.format.versions import is_valid_name, is_valid_version, sort_versions
from afsreg.write.change import Change, apply_change

if TYPE_CHECKING:
    from afsreg.registry import Registry

_SHA_RE = re.compile(r"^[0-9a-f]{7,40}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_STATUSES = ("draft", "training", "completed", "deployed", "deprecated", "archived")
_RELATIONS = {
    "fine-tune": "fine-tune", "finetune": "fine-tune", "fine_tune": "fine-tune", "fine-tuned": "fine-tune",
    "adapter": "adapter", "lora": "adapter", "quantized": "quantized", "quantization": "quantized",
    "merge": "merge", "merged": "merge",
}  # fmt: skip
_TRAINING_CONFIG = ("samples", "epochs", "batch_size", "learning_rate", "sequence_length")
_TRAINING_RUN = (
    "duration_hours",
    "cost_usd",
    "hardware",
    "started_at",
    "completed_at",
    "trained_by",
)
_FILES = {
    "lora_path": "lora",
    "gguf_path": "gguf",
    "checkpoint_path": "checkpoint",
    "config_path": "config",
}
_HANDLED_VERSION_KEYS = {
    "model_name", "version", "status", "training", "evaluation_scores", "git_commit", "deployed",
    "deployed_at", "deployed_by", "parent_version", "created_at", *_FILES,
}  # fmt: skip
_PLACEHOLDER = "unknown"


@dataclass
class ImportedVersion:
    """One imported version: where it went, and what a human has to look at."""

    ref: str
    path: str
    data: dict[str, Any]
    review: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # empty values with nothing to keep


@dataclass
class ImportReport:
    versions: list[ImportedVersion]
    change: Change | None = None

    def lines(self) -> list[str]:
        out = []
        for item in self.versions:
            out.append(
                f"{item.ref} -> {item.path} ({len(item.review)} field(s) flagged for review)"
            )
            for flag in item.review:
                out.append(f"    review {flag['field']}: {flag['reason']}")
            for skipped in item.skipped:
                out.append(f"    skipped {skipped}")
        flagged = sum(len(i.review) for i in self.versions)
        out.append(f"imported {len(self.versions)} version(s); {flagged} review flag(s) to clear")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "versions": [
                {"ref": i.ref, "path": i.path, "review": i.review, "skipped": i.skipped}
                for i in self.versions
            ],
            "commit": self.change.commit_id if self.change else None,
        }


# A registry.json holds every model; it may be much larger than one model file.
MAX_JSON_BYTES = 64 * 1024 * 1024


class _Refused(ValueError):
    """A JSON value afsreg will not import (raised from json's parse hooks)."""


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a number afsreg stores (no NaN or infinities)")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer has {len(text)} digits; at most {MAX_INT_DIGITS} are allowed")
    return int(text)


def _read_json(path: Path) -> Any:
    """The document, or an error naming the file: invalid JSON, NaN, huge integers, deep nesting."""
    content = read_limited(path, MAX_JSON_BYTES, "JSON registry")
    try:
        document = json.loads(
            content.decode("utf-8"), parse_constant=_no_constant, parse_int=_integer
        )
    except _Refused as exc:
        raise AfsregError(f"{path}: {exc}") from None
    except RecursionError:
        raise AfsregError(f"{path}: nested deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AfsregError(f"{path}: not valid JSON ({exc})") from None
    where = _too_deep(document)
    if where is not None:
        raise AfsregError(f"{path}: {where}: nested deeper than {MAX_DEPTH} levels")
    return document


def _too_deep(document: Any) -> str | None:
    """The dotted path of a value nested deeper than MAX_DEPTH, if any (iterative walk)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return dotted(path[: MAX_DEPTH + 1])
        if isinstance(value, dict):
            stack.extend((v, (*path, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return None


def _models_of(document: Any, path: Path) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get("models"), dict):
        raise AfsregError(f'{path}: expected seed 001\'s layout, an object with a "models" object')
    models: dict[str, Any] = document["models"]
    return models


def _legacy_field(*parts: str) -> str:
    cleaned = [re.sub(r"[^a-z0-9_]", "_", p.lower()) or "_" for p in parts]
    head = cleaned[0] if re.match(r"^[a-z_]", cleaned[0]) else "_" + cleaned[0]
    return ".".join(["legacy", head, *cleaned[1:]])


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return False


class _VersionImport:
    """Maps one seed-001 version record (plus its lineage record) to version-file data."""

    def __init__(self, name: str, version: str, known_versions: set[str]) -> None:
        self.name = name
        self.version = version
        self.known_versions = known_versions
        self.data: dict[str, Any] = {}
        self.review: list[dict[str, Any]] = []
        self.skipped: list[str] = []

    def flag(self, field_name: str, reason: str, known: Any = None) -> None:
        flag: dict[str, Any] = {"field": field_name, "reason": reason}
        if known is not None:
            # A null inside a file means "unknown, flagged"; in a kept value it
            # would need a flag of its own, so it is written as JSON text.
            flag["known"] = json.dumps(known) if _has_null(known) else known
        self.review.append(flag)

    def set(self, *path_and_value: Any) -> None:
        *path, value = path_and_value
        node = self.data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value

    def metadata(self, metadata: dict[str, Any]) -> None:
        for key, value in metadata.items():
            if key == "model_name":
                if value != self.name:
                    self.flag(
                        "name",
                        f"seed 001 metadata names the model {value!r}, filed under {self.name!r}",
                        value,
                    )
            elif key in ("description", "owner") and isinstance(value, str) and value.strip():
                self.set(key, value)
            elif key == "tags" and isinstance(value, list):
                good = [t for t in value if isinstance(t, str) and _SLUG_RE.match(t)]
                bad = [t for t in value if t not in good]
                if good:
                    self.set("tags", list(dict.fromkeys(good)))
                if bad:
                    self.flag(
                        "tags",
                        "seed 001 tags that are not lowercase slugs; rename them to keep them",
                        bad,
                    )
            elif value in (None, "", [], {}):
                self.skipped.append(f"metadata.{key} (empty)")
            elif key == "notes":
                self.flag(
                    "description",
                    "seed 001 model notes have no field of their own; "
                    "merge them into description or drop them",
                    value,
                )
            else:
                self.flag(
                    _legacy_field("metadata", key),
                    f"seed 001 metadata field {key!r} has no place in a version file",
                    value,
                )

    def record(self, record: dict[str, Any], updated_at: Any) -> None:
        self._identity(record)
        training = record.get("training")
        self._training(training if isinstance(training, dict) else {})
        self._scores(record.get("evaluation_scores"))
        for key, slot in _FILES.items():
            value = record.get(key)
            if isinstance(value, str) and value:
                self.set("files", slot, {"path": value})
            elif value not in (None, ""):
                self.flag(f"files.{slot}", f"seed 001 {key} is not a path", value)
        commit = record.get("git_commit")
        if isinstance(commit, str) and _SHA_RE.match(commit):
            self.set("code", {"commit_sha": commit})
        elif commit not in (None, ""):
            self.flag("code.commit_sha", "seed 001 git_commit is not a hex commit id", commit)
        parent = record.get("parent_version")
        if parent is not None:
            self._parent(parent, "registry.json parent_version")
        created = record.get("created_at")
        if _is_timestamp(created):
            self.set("created_at", created)
        elif created not in (None, ""):
            self.flag(
                "created_at",
                "seed 001 created_at has no time zone (or is not a timestamp)",
                created,
            )
        self._deployment(record, updated_at)
        if "training" in record and not isinstance(record["training"], dict):
            self.flag(
                _legacy_field("training"), "seed 001 training is not an object", record["training"]
            )
        for key, value in record.items():
            if key not in _HANDLED_VERSION_KEYS:
                if value in (None, "", [], {}):
                    self.skipped.append(f"{key} (empty)")
                else:
                    self.flag(
                        _legacy_field(key),
                        f"seed 001 field {key!r} has no place in a version file",
                        value,
                    )

    def _identity(self, record: dict[str, Any]) -> None:
        for key, expected in (("model_name", self.name), ("version", self.version)):
            value = record.get(key)
            if value is not None and value != expected:
                self.flag(
                    "name" if key == "model_name" else "version",
                    f"seed 001 record says {key} {value!r} but is filed under {expected!r}",
                    value,
                )

    def _training(self, training: dict[str, Any]) -> None:
        for key, value in training.items():
            if value is None:
                self.skipped.append(f"training.{key} (null)")
            elif key == "framework" and isinstance(value, str) and value:
                self.set("framework", value)
            elif key == "base_model":
                self._base_model(value)
            elif key in _TRAINING_CONFIG:
                self.set("training_config", key, value)
            elif key in _TRAINING_RUN:
                self.set("training", key, value)
            elif key in ("datasets", "training_data"):
                self._datasets(value, f"registry.json training.{key}")
            else:
                self.flag(
                    _legacy_field("training", key),
                    f"seed 001 training field {key!r} has no place in a version file",
                    value,
                )

    def _base_model(self, value: Any) -> None:
        if not isinstance(value, str) or not value:
            self.flag("lineage.base_models", "seed 001 base_model is not a name", value)
            return
        match = re.match(r"^([a-z0-9][a-z0-9._-]*)[@:](v[0-9][0-9A-Za-z.-]*)$", value)
        if match and match.group(1) == self.name and match.group(2) in self.known_versions:
            self.set(
                "lineage",
                "base_models",
                [{"model": f"{self.name}@{match.group(2)}", "relation": "fine-tune"}],
            )
            return
        source = "huggingface" if looks_like_hf_id(value) else "other"
        self.set(
            "lineage",
            "base_models",
            [{"external": value, "source": source, "relation": "fine-tune"}],
        )
        if source == "huggingface":
            reason = f"seed 001 names the Hugging Face model {value!r} with no revision"
        else:
            reason = (
                f"seed 001 names the base model {value!r} with no source or revision; "
                "the source is written as 'other' until someone confirms it (e.g. a Hugging Face id)"
            )
        self.flag("lineage.base_models", reason, value)

    def _scores(self, scores: Any) -> None:
        if scores is None:
            return
        if not isinstance(scores, dict):
            self.flag("evaluation_metrics", "seed 001 evaluation_scores is not an object", scores)
            return
        metrics: dict[str, Any] = {}
        for key, value in scores.items():
            if value is None:
                self.skipped.append(f"evaluation_scores.{key} (null: not measured)")
            elif (
                key in KNOWN_METRICS
                and isinstance(value, (int, float))
                and not isinstance(value, bool)
            ):
                metrics[key] = value
            elif (
                key == "rouge"
                and isinstance(value, dict)
                and value
                and all(
                    re.match(r"^rouge[0-9A-Za-z]+$", k) and isinstance(v, (int, float))
                    for k, v in value.items()
                )
            ):
                metrics["rouge"] = value
            elif (
                key == "custom"
                and isinstance(value, dict)
                and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
                )
            ):
                metrics.setdefault("custom", {}).update(value)
            elif (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and re.match(r"^[A-Za-z0-9_.-]+$", key)
            ):
                metrics.setdefault("custom", {})[key] = value
            else:
                self.flag(
                    "evaluation_metrics", f"seed 001 score {key!r} is not a number", {key: value}
                )
        self.set("evaluation_metrics", metrics or None)

    def _datasets(self, value: Any, source: str) -> None:
        items = value if isinstance(value, list) else [value]
        datasets = []
        for item in items:
            if isinstance(item, str) and item:
                datasets.append({"name": item})
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                datasets.append(item)
            else:
                self.flag(
                    "training_data", f"{source} holds an entry that is not a dataset name", item
                )
        if datasets:
            existing = self.data.get("training_data") or []
            names = {d["name"] for d in existing}
            self.set("training_data", existing + [d for d in datasets if d["name"] not in names])

    def _parent(self, parent: Any, source: str) -> None:
        current = self.data.get("lineage", {}).get("parent")
        if (
            not isinstance(parent, str)
            or parent not in self.known_versions
            or parent == self.version
        ):
            self.flag(
                "lineage.parent",
                f"{source} names {parent!r}, which is not another imported version of {self.name}",
                parent,
            )
        elif current is not None and current != parent:
            self.flag(
                "lineage.parent",
                f"registry.json and lineage.json disagree on the parent "
                f"({current!r} vs {parent!r}); afsreg kept {current!r}",
                parent,
            )
        else:
            self.set("lineage", "parent", parent)

    def _deployment(self, record: dict[str, Any], updated_at: Any) -> None:
        deployed = record.get("deployed")
        status = record.get("status")
        if isinstance(status, str) and status in _STATUSES:
            self.set("status", status)
        elif status is not None:
            self.flag("status", "seed 001 status is not one of " + ", ".join(_STATUSES), status)
        if deployed is not True:
            if status == "deployed":
                self.flag(
                    "status",
                    "seed 001 says status deployed but deployed is not true; "
                    "afsreg wrote completed",
                    {"status": status, "deployed": deployed},
                )
                self.set("status", "completed")
            return
        # Seed 001 records that a version is deployed, not when, by whom or where.
        when = record.get("deployed_at")
        by = record.get("deployed_by")
        known: dict[str, Any] = {"deployed": True}
        filled = []
        if not _is_timestamp(when):
            if when is not None:
                known["deployed_at"] = when
            when = updated_at if _is_timestamp(updated_at) else None
            if when is None:
                raise AfsregError(
                    f"{self.name}@{self.version}: deployed, but neither the version's deployed_at "
                    "nor the registry's updated_at is a timestamp with a time zone; add one to the JSON"
                )
            known["registry_updated_at"] = updated_at
            filled.append("deployed_at is the registry's updated_at (the deployment began by then)")
        if not isinstance(by, str) or not by:
            if by is not None:
                known["deployed_by"] = by
            by = _PLACEHOLDER
            filled.append(f"deployed_by is {_PLACEHOLDER!r}")
        filled.append("env is production (seed 001 has one deployment target)")
        filled.append("promotion.state is promoted (a deployed version must be)")
        self.set("deployments", [{"env": "production", "deployed_at": when, "deployed_by": by}])
        self.set("status", "deployed")
        self.set("promotion", {"state": "promoted"})
        self.flag(
            "deployments", "seed 001 records deployed: true only; " + "; ".join(filled), known
        )

    def lineage(self, record: dict[str, Any]) -> None:
        for key, value in record.items():
            if key in ("model_name", "version"):
                continue
            if key in ("parent", "parent_version"):
                if value is not None:
                    self._parent(value, f"lineage.json {key}")
            elif key in ("training_data", "datasets"):
                self._datasets(value, f"lineage.json {key}")
            elif key == "git_commit":
                current = self.data.get("code", {}).get("commit_sha")
                if isinstance(value, str) and _SHA_RE.match(value) and current in (None, value):
                    self.set("code", "commit_sha", value)
                elif value is not None:
                    self.flag(
                        "code.commit_sha",
                        "lineage.json git_commit disagrees with registry.json "
                        "or is not a hex commit id",
                        value,
                    )
            elif key == "relation":
                self._relation(value, record.get("parent") or record.get("parent_version"))
            elif value in (None, "", [], {}):
                self.skipped.append(f"lineage.{key} (empty)")
            else:
                self.flag(
                    _legacy_field("lineage", key),
                    f"lineage.json field {key!r} has no place in a version file",
                    value,
                )

    def _relation(self, value: Any, parent: Any) -> None:
        relation = _RELATIONS.get(str(value).lower()) if isinstance(value, str) else None
        if relation is None or not isinstance(parent, str) or parent not in self.known_versions:
            self.flag(
                "lineage.base_models",
                "lineage.json relation could not be mapped",
                {"relation": value, "parent": parent},
            )
            return
        bases = self.data.setdefault("lineage", {}).setdefault("base_models", [])
        entry = {"model": f"{self.name}@{parent}", "relation": relation}
        if entry not in bases:
            bases.insert(0, entry)

    def finish(self, defaults: dict[str, Any]) -> dict[str, Any]:
        """Complete the data: identity, defaults, required fields held for review."""
        data = self.data
        data.update(schema_version=1, name=self.name, version=self.version)
        data.setdefault("title", f"{self.name} {self.version}")
        data.setdefault("is_external", False)
        data.setdefault("promotion", {"state": "candidate"})
        data.setdefault("status", "completed")
        for key, value in defaults.items():
            data.setdefault(key, value)
        if not data.get("owner"):
            data["owner"] = _PLACEHOLDER
            self.flag("owner", f"seed 001 names no owner; {_PLACEHOLDER!r} is a placeholder")
        for key in ("model_family", "framework"):
            if not data.get(key):
                data[key] = _PLACEHOLDER
                self.flag(
                    key,
                    f"seed 001 does not give the {key.replace('_', ' ')}; "
                    f"{_PLACEHOLDER!r} is a placeholder",
                )
        for key, why in (
            ("parameter_count", "seed 001 does not give the parameter count"),
            (
                "evaluation_dataset",
                "seed 001 gives scores but not the dataset they were measured on",
            ),
            ("training_data", "seed 001 does not name the training data"),
            ("training_config", "seed 001 gives no training parameters"),
            ("evaluation_metrics", "seed 001 gives no evaluation scores"),
        ):
            if data.get(key) is None:
                data[key] = None
                self.flag(key, why)
        lineage = data.get("lineage")
        if isinstance(lineage, dict):
            if not lineage.get("base_models"):
                lineage.pop("base_models", None)
            data["lineage"] = dict(sorted(lineage.items(), key=lambda item: item[0] != "parent"))
        if self.review:
            data["review"] = self.review
        rank = {key: index for index, key in enumerate(FIELD_ORDER)}
        return dict(sorted(data.items(), key=lambda item: rank.get(item[0], len(rank))))


def import_defaults(assignments: Iterable[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` texts (VALUE is YAML) as ``import_json(defaults=...)``: top-level fields only."""
    defaults: dict[str, Any] = {}
    for text in assignments:
        path, value = parse_assignment(text)
        if len(path) != 1:
            raise AfsregError(f"--set {text}: import defaults are top-level fields")
        defaults[str(path[0])] = value
    return defaults


def import_json(
    registry: Registry,
    registry_json: Path,
    lineage_json: Path | None = None,
    *,
    defaults: dict[str, Any] | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> ImportReport:
    """Write every version of a seed-001 registry.json (and lineage.json) as version files.

    ``defaults`` fills top-level fields the JSON does not give (e.g.
    ``{"model_family": "qwen2.5-coder"}``). All files are validated
    together and written only if the registry stays valid; an existing
    version file stops the import.
    """
    document = _read_json(registry_json)
    models = _models_of(document, registry_json)
    lineage_models: dict[str, Any] = {}
    if lineage_json is not None:
        lineage_models = _models_of(_read_json(lineage_json), lineage_json)
        for name in lineage_models:
            if name not in models:
                raise AfsregError(f"{lineage_json}: model {name!r} is not in {registry_json}")
    updated_at = document.get("updated_at")
    imported: list[ImportedVersion] = []
    files: dict[str, bytes | None] = {}
    for name, model in models.items():
        if not is_valid_name(name):
            raise AfsregError(
                f"{registry_json}: model name {name!r} is not a lowercase slug; rename it in the JSON"
            )
        if not isinstance(model, dict) or not isinstance(model.get("versions"), dict):
            raise AfsregError(f'{registry_json}: models.{name} has no "versions" object')
        versions = model["versions"]
        bad = [v for v in versions if not is_valid_version(v)]
        if bad:
            raise AfsregError(
                f"{registry_json}: models.{name} has versions afsreg cannot name a file after: "
                f"{', '.join(map(repr, bad))} (write them as v1, v1.2, v1.2.3)"
            )
        lineage_versions = (lineage_models.get(name) or {}).get("versions") or {}
        for extra in set(lineage_versions) - set(versions):
            raise AfsregError(f"{lineage_json}: {name}@{extra} is not in {registry_json}")
        for version in sort_versions(list(versions)):
            record = versions[version]
            if not isinstance(record, dict):
                raise AfsregError(
                    f"{registry_json}: models.{name}.versions.{version} is not an object"
                )
            item = _VersionImport(name, version, set(versions))
            metadata = model.get("metadata")
            if isinstance(metadata, dict):
                item.metadata(metadata)
            item.record(record, updated_at)
            lineage_record = lineage_versions.get(version)
            if isinstance(lineage_record, dict):
                item.lineage(lineage_record)
            data = item.finish(dict(defaults or {}))
            path = f"models/{name}/{version}.yaml"
            if registry.file(path) is not None or (registry.root / path).exists():
                raise AfsregError(f"{path} already exists; import never overwrites a version file")
            try:
                files[path] = dump_yaml(data).encode("utf-8")
            except YamlError as exc:  # too big, say: name the JSON entry and the file
                raise AfsregError(
                    f"{registry_json}: models.{name}.versions.{version} cannot become "
                    f"{path}: {exc.message}"
                ) from None
            imported.append(
                ImportedVersion(f"{name}@{version}", path, data, item.review, item.skipped)
            )
    if not files:
        raise AfsregError(f"{registry_json}: no versions to import")
    change = Change(
        action="import-json",
        ref=registry_json.name,
        files=files,
        message=f"afsreg: import {len(files)} version(s) from {registry_json.name}",
        details=[f"{i.ref}: imported ({i.path})" for i in imported],
    )
    apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)
    return ImportReport(imported, change)
