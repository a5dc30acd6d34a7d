"""``afsreg adopt``: bring the model rows of an existing database into version files.

Seed 000's backfill, done the git-native way: it reads ``artifacts`` rows of
type model and their ``model_versions`` rows, and writes version files for
them through the same validation as every write (afsreg.write.change):

- a row is matched to its file by artifact id, or, for a file whose
  ``artifact_id`` is still null, by the ``known`` prefix of its artifact_id
  review flag when exactly one row has it (the full id is then filled in and
  that flag closed: it is no longer unknown);
- a value the file leaves null is filled from the row, and a review flag
  says where it came from, for a person to confirm;
- a value the file has and the host's row contradicts stays as it is, with a
  review flag naming the database's value: ambiguity is held, never guessed;
- a row afsreg wrote that another writer changed since (WS3, WS4, a person)
  gives its new values to the file: that is how such a change is accepted;
- a model row with no file gets a new one, every unknown field null and flagged.

Running it again changes nothing. The result is a working-tree change to
review (``--commit`` commits it, so the pre-commit hook runs).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afsreg.checks.immutability import is_frozen
from afsreg.db.connect import connect, resolve_url
from afsreg.db.ownership import read_owned
from afsreg.db.project import METADATA_FIELDS, NotJson, Row
from afsreg.db.tables import fetch, tables
from afsreg.errors import AfsregError, ValidationError
from afsreg.format.document import release_reason
from afsreg.format.editor import dump_yaml, edit_yaml
from afsreg.format.fields import same
from afsreg.format.loader import decode
from afsreg.format.record import ModelVersion
from afsreg.registry import Registry

# model_versions column -> field path in the version file.
VERSION_FIELDS: dict[str, tuple[str, ...]] = {
    "is_external": ("is_external",),
    "external_source_url": ("external_source_url",),
    "external_source_version": ("external_source_version",),
    "code_repo_url": ("code", "repo_url"),
    "code_commit_sha": ("code", "commit_sha"),
    "code_entrypoint": ("code", "entrypoint"),
    "training_started_at": ("training", "started_at"),
    "training_completed_at": ("training", "completed_at"),
    "trained_by": ("training", "trained_by"),
    "gpu_allocation_id": ("training", "gpu_allocation_id"),
    "training_params_json": ("training_config",),
    "eval_metrics_json": ("evaluation_metrics",),
    "benchmark_id": ("benchmark_id",),
    "promotion_state": ("promotion", "state"),
    "promotion_notes": ("promotion", "notes"),
}
# metadata keys that are references or derived, not copied into a file as they are.
SKIPPED_METADATA = {"base_model_id", "evaluation_dataset"}
VERSION_RE = re.compile(r"^v(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}$")


@dataclass
class AdoptReport:
    database: str
    written: list[str] = field(default_factory=list)  # files created or changed
    lines: list[str] = field(default_factory=list)  # one per value taken, flag added, file made
    skipped: list[str] = field(default_factory=list)  # rows left alone, and why
    dry_run: bool = False
    commit_id: str | None = None

    def summary(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        head = f"adopt from {self.database}: {verb} {len(self.written)} file(s)"
        if self.commit_id:
            head += f", committed {self.commit_id[:12]}"
        if not self.written:
            head += " (nothing to change: the files already hold what the database has)"
        return "\n".join(
            [head, *(f"  {x}" for x in self.lines), *(f"  skipped: {x}" for x in self.skipped)]
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "written": self.written,
            "lines": self.lines,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "commit": self.commit_id,
        }


def _get(data: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = data
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _set(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    target = data
    for part in path[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[path[-1]] = value


def _flagged(data: Mapping[str, Any], dotted: str) -> bool:
    """A review flag names this field or one that contains it."""
    for flag in data.get("review") or []:
        name = str(flag.get("field", "")) if isinstance(flag, Mapping) else ""
        if name == dotted or dotted.startswith(name + "."):
            return True
    return False


def _flag(data: dict[str, Any], dotted: str, reason: str, known: Any = None) -> bool:
    if _flagged(data, dotted):
        return False
    flag: dict[str, Any] = {"field": dotted, "reason": reason}
    if known is not None and isinstance(known, (str, int, float, bool)):
        flag["known"] = known
    data.setdefault("review", []).append(flag)
    return True


def _values(artifact: Row, version: Row | None) -> dict[tuple[str, ...], Any]:
    """Field path -> the database's value, for what a version file records."""
    values: dict[tuple[str, ...], Any] = {}
    meta = artifact.get("metadata")
    if isinstance(meta, Mapping):
        for key in METADATA_FIELDS:
            if key in meta and key not in SKIPPED_METADATA and meta[key] is not None:
                values[(key,)] = meta[key]
    for column, path in VERSION_FIELDS.items():
        if version is not None and version.get(column) is not None:
            value = version[column]
            values[path] = bool(value) if column == "is_external" else value
    return values


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return slug[:100] or "model"


def _new_doc(ident: str, artifact: Row, version: Row | None) -> dict[str, Any]:
    """A file for a model row that has none: what the row says, every other required field flagged."""
    title = str(artifact.get("title") or artifact.get("name") or ident)
    name = _slug(str(artifact.get("name") or title))
    tag = str(artifact.get("version_tag") or "")
    doc: dict[str, Any] = {
        "schema_version": 1,
        "name": name,
        "version": tag if VERSION_RE.match(tag) else f"v{artifact.get('version_number') or 1}",
        "artifact_id": ident,
        "title": title,
        "owner": str((version or {}).get("trained_by") or "unknown"),
        "model_family": None,
        "framework": None,
        "parameter_count": None,
        "is_external": False,
        "promotion": {"state": "candidate"},
        "status": "completed",
        "review": [],
    }
    reason = f"not recorded in the database row {ident}; afsreg adopt could not fill it"
    if not (version or {}).get("trained_by"):
        doc["review"].append({"field": "owner", "reason": reason})
    doc["review"].append({"field": "status", "reason": reason + " (completed is a placeholder)"})
    return doc


def _required_nulls(doc: dict[str, Any], ident: str) -> None:
    """Fields a variant requires that are still null get a review flag (the schema asks for one)."""
    external = doc.get("is_external") is True
    needed = ["model_family", "framework", "parameter_count"] + (
        ["external_source_url", "external_source_version"]
        if external
        else ["training_data", "training_config", "evaluation_dataset", "evaluation_metrics"]
    )
    for key in needed:
        if doc.get(key) is None:
            doc[key] = None
            _flag(
                doc,
                key,
                f"not recorded in the database row {ident}; afsreg adopt could not fill it",
            )


def adopt(
    root: str | Path,
    database_url: str | None = None,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> AdoptReport:
    """Write (or with ``dry_run`` only plan) version files for the database's model rows."""
    from afsreg.write.change import Change, apply_change

    root_path = Path(root).resolve()
    registry = Registry.open(root_path)
    url = resolve_url(database_url, root_path)
    with connect(url, create=False) as db:
        report = AdoptReport(db.url, dry_run=dry_run)
        artifacts_t, versions_t, _ = tables(db)
        models = fetch(db, artifacts_t, where="artifact_type = 'model'")
        rows = fetch(db, versions_t) if db.table_exists("model_versions") else {}
        owned = read_owned(db)
    externals = {k[1] for k, r in owned.items() if r.role == "external"}

    by_id = {v.artifact_id: v for v in registry if v.data}
    by_prefix = _prefix_matches(registry, models, set(by_id), report)
    docs: dict[str, tuple[ModelVersion | None, dict[str, Any]]] = {}

    for ident in sorted(models):
        artifact = models[ident]
        if ident in externals:
            continue  # afsreg's own reference rows
        if isinstance(artifact.get("metadata"), NotJson):
            report.skipped.append(f"artifacts {ident}: its metadata is not JSON; fix the row first")
            continue
        version = by_id.get(ident)
        fill_id = version is None and ident in by_prefix
        if fill_id:
            version = by_prefix[ident]
        elif version is None and any(ident in x for x in report.skipped):
            continue  # an ambiguous prefix match: said so already
        if version is None:
            doc = _new_doc(ident, artifact, rows.get(ident))
            path = f"models/{doc['name']}/{doc['version']}.yaml"
            if registry.file(path) is not None or path in docs:
                report.skipped.append(f"artifacts {ident}: {path} exists for another artifact id")
                continue
            _take_values(doc, ident, artifact, rows.get(ident), owned, report, path, new=True)
            _required_nulls(doc, ident)
            docs[path] = (None, doc)
            report.lines.append(f"{path}: new file for artifacts row {ident}")
            continue
        doc = copy.deepcopy(version.data)
        if fill_id:
            doc["artifact_id"] = ident
            doc["review"] = [
                f
                for f in doc.get("review") or []
                if not (isinstance(f, Mapping) and f.get("field") == "artifact_id")
            ]
            report.lines.append(
                f"{version.path}: artifact_id = {ident} (the one row with the known prefix)"
            )
        _take_values(doc, ident, artifact, rows.get(ident), owned, report, version.path, new=False)
        if not same(doc, version.data):
            docs[version.path] = (version, doc)

    files = _render(docs)
    if not files:
        return report
    change = Change("adopt", "models", files, message or "Adopt the model rows of the database")
    try:
        done = apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)
    except ValidationError as exc:
        raise AfsregError(
            f"adopt: the files it would write do not validate; nothing was written:\n{exc}"
        ) from None
    report.written = sorted(files)
    report.commit_id = done.commit_id
    return report


def _prefix_matches(
    registry: Registry, models: Mapping[str, Row], taken: set[str], report: AdoptReport
) -> dict[str, ModelVersion]:
    """Row id -> the file whose artifact_id flag's known prefix only that row has (and only that file)."""
    files: dict[str, list[ModelVersion]] = {}
    for version in registry:
        prefix = (
            _known_prefix(version)
            if version.data and version.data.get("artifact_id") is None
            else None
        )
        if prefix:
            for ident in models:
                if ident.startswith(prefix) and ident not in taken:
                    files.setdefault(ident, []).append(version)
    result = {}
    rows_per_file: dict[str, list[str]] = {}
    for ident, versions in files.items():
        for version in versions:
            rows_per_file.setdefault(version.path, []).append(ident)
    for ident, versions in sorted(files.items()):
        if len(versions) == 1 and len(rows_per_file[versions[0].path]) == 1:
            result[ident] = versions[0]
        else:
            report.skipped.append(
                f"artifacts {ident}: its id matches the known prefix of more than one file, or a file's "
                "prefix matches more than one row; set artifact_id in the right file by hand"
            )
    return result


def _known_prefix(version: ModelVersion) -> str | None:
    for flag in version.review:
        if (
            flag.get("field") == "artifact_id"
            and isinstance(flag.get("known"), str)
            and flag["known"]
        ):
            return str(flag["known"])
    return None


def _take_values(
    doc: dict[str, Any],
    ident: str,
    artifact: Row,
    version_row: Row | None,
    owned: Mapping[tuple[str, str], Any],
    report: AdoptReport,
    path: str,
    *,
    new: bool,
) -> None:
    """Merge the database's values into ``doc`` by the rules in the module docstring."""
    written = {}
    for table in ("artifacts", "model_versions"):
        record = owned.get((table, ident))
        if record is not None:
            written[table] = record.written
    # A released version's frozen fields take no new review flag (afsreg.checks.immutability):
    # a difference there is reported, for a new version to record.
    released = not new and release_reason(doc) is not None
    for field_path, value in _values(artifact, version_row).items():
        dotted = ".".join(field_path)
        current = _get(doc, field_path)
        if same(current, value):
            continue
        if released and is_frozen(dotted) and not (current is None and _flagged(doc, dotted)):
            report.lines.append(
                f"{path}: {dotted}: the database row {ident} has {value!r}; the version is released "
                "and the field frozen, so the file is left as it is (record it in a new version)"
            )
            continue
        if current is None:
            _set(doc, field_path, value)
            if not new or field_path != ("promotion", "state"):
                _flag(
                    doc, dotted, f"taken from the database row {ident} by afsreg adopt; confirm it"
                )
            report.lines.append(f"{path}: {dotted} from the database")
            continue
        if _changed_outside(field_path, value, written):
            _set(doc, field_path, value)
            report.lines.append(
                f"{path}: {dotted} = {value!r}, changed in the database since the last sync"
            )
            continue
        if _flag(
            doc,
            dotted,
            f"the database row {ident} has {value!r}; the file keeps its own value until a person decides",
            value,
        ):
            report.lines.append(f"{path}: {dotted} differs from the database; flagged for review")


def _changed_outside(field_path: tuple[str, ...], value: Any, written: Mapping[str, Row]) -> bool:
    """A value afsreg wrote that another writer changed since (the row is afsreg's, the value is new)."""
    column = next((c for c, p in VERSION_FIELDS.items() if p == field_path), None)
    if column is not None and "model_versions" in written:
        mine = written["model_versions"]
        return column in mine and not same(mine[column], value)
    meta = (written.get("artifacts") or {}).get("metadata")
    if len(field_path) == 1 and isinstance(meta, Mapping) and field_path[0] in meta:
        return not same(meta[field_path[0]], value)
    return False


def _render(
    docs: Mapping[str, tuple[ModelVersion | None, dict[str, Any]]],
) -> dict[str, bytes | None]:
    files: dict[str, bytes | None] = {}
    for path, (version, doc) in docs.items():
        if version is None:
            files[path] = dump_yaml(doc).encode("utf-8")
        else:
            files[path] = edit_yaml(decode(version.content), doc, path=path).encode("utf-8")
    return files
