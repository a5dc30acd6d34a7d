"""Writing to the registry: register, score, promote, reject, deploy, roll back, retire.

Every write is an edit of version files. A workflow function reads the
registry, computes the new text of each file it touches (with
``afsreg.format.editor``, so comments and formatting survive), checks the whole
registry with the change applied, and only then writes the files atomically
(temporary file, fsync, rename). An invalid change raises ValidationError and
writes nothing. With ``commit=True`` the files are committed through
``git commit`` so the pre-commit hook runs.

    >>> from afsreg import Registry
    >>> registry = Registry.open()
    >>> registry.register_model("majora", framework="unsloth", evaluation_scores={"accuracy": 0.9})
    >>> registry.promote("majora@v3", notes="beats v2 on accuracy", commit=True)

The rules the functions follow:

- ``promote``: the version becomes promoted; the version promoted before
  becomes superseded (``superseded_by`` names the new one).
- ``deploy``: only a promoted version; appends a deployment (env, when, who)
  and sets status deployed. The version deployed before in that environment
  gets ``undeployed_at``/``undeployed_by`` and goes back to completed (unless
  it is still deployed elsewhere).
- ``rollback``: redeploys the version deployed before in that environment
  (from the deployment history), or the version given; the promotion states
  are left as they are (rolling back is operations, not a verdict).
- ``deprecate`` / ``archive``: only versions not deployed anywhere.
- A change may not add a validation error anywhere in the registry, and the
  files it writes must have no error at all.
"""

from __future__ import annotations

import contextlib
import copy
import getpass
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from afsreg.errors import AfsregError, NotFoundError, ValidationError
from afsreg.format.editor import dump_yaml, edit_yaml, load_text
from afsreg.format.loader import YamlError, decode
from afsreg.format.refs import Ref, parse_name_or_ref, parse_ref
from afsreg.format.versions import Bump, is_valid_name, is_valid_version, next_version
from afsreg.git.commit import commit_paths
from afsreg.problems import Problem

if TYPE_CHECKING:
    from afsreg.format.record import ModelVersion
    from afsreg.registry import Registry

DEFAULT_ENV = "production"

# Fields of the seed-001 ``evaluation_scores`` that have a place of their own;
# any other metric goes under evaluation_metrics.custom.
KNOWN_METRICS = (
    "accuracy",
    "f1_score",
    "perplexity",
    "bleu",
    "inference_speed_tokens_per_sec",
    "memory_mb",
    "latency_ms",
)
_ROUGE_RE = re.compile(r"^rouge[0-9A-Za-z]+$")

# Fields a new version takes from the model's latest version when not given:
# they describe the model, not one training run.
MODEL_LEVEL_FIELDS = ("owner", "description", "tags", "model_family", "framework", "is_external")

# The order keys are written in a new file (the schema's order).
FIELD_ORDER = (
    "schema_version", "name", "version", "artifact_id", "title", "description", "owner", "tags",
    "created_at", "model_family", "framework", "parameter_count", "is_external",
    "external_source_url", "external_source_version", "training_data", "evaluation_dataset",
    "evaluation_metrics", "benchmark_id", "training_config", "code", "training", "files",
    "lineage", "promotion", "status", "deployments", "review",
)  # fmt: skip

# Seed 001's register_model() keywords, and where they go in a version file.
SEED_KEYWORDS: dict[str, tuple[str, ...]] = {
    "samples": ("training_config", "samples"),
    "epochs": ("training_config", "epochs"),
    "batch_size": ("training_config", "batch_size"),
    "learning_rate": ("training_config", "learning_rate"),
    "sequence_length": ("training_config", "sequence_length"),
    "duration_hours": ("training", "duration_hours"),
    "cost_usd": ("training", "cost_usd"),
    "hardware": ("training", "hardware"),
    "trained_by": ("training", "trained_by"),
    "lora_path": ("files", "lora", "path"),
    "gguf_path": ("files", "gguf", "path"),
    "checkpoint_path": ("files", "checkpoint", "path"),
    "config_path": ("files", "config", "path"),
    "git_commit": ("code", "commit_sha"),
    "code_repo_url": ("code", "repo_url"),
    "code_entrypoint": ("code", "entrypoint"),
}


@dataclass
class Change:
    """What a workflow did: the files it wrote and a one-line account of it."""

    action: str
    ref: str  # the version (or model) acted on, e.g. "majora@v2"
    files: dict[str, bytes | None]  # path -> new content (None: removed)
    message: str  # the default commit message
    details: list[str] = field(default_factory=list)  # one line per effect
    registry: Registry | None = None  # the registry after the change
    written: bool = False
    commit_id: str | None = None

    @property
    def paths(self) -> list[str]:
        return sorted(self.files)


# -- who and when -------------------------------------------------------------


def now_utc() -> str:
    """The current time as ISO 8601 in UTC with a Z, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def current_user(root: Path) -> str:
    """Who is acting: git's user.name (else user.email), else the login name."""
    try:
        from afsreg.git.repo import open_repo

        config = open_repo(root).config
        for key in ("user.name", "user.email"):
            if key in config:
                value = str(config[key]).strip()
                if value:
                    return value
    except (AfsregError, KeyError, OSError):
        pass
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "unknown"


def _check_timestamp(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise AfsregError(
            f"{value!r} is not an ISO 8601 timestamp (e.g. 2026-01-14T12:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        raise AfsregError(f"{value!r} has no time zone; write it in UTC with a Z")
    return value


# -- reading and writing files ------------------------------------------------


def _text_of(version: ModelVersion) -> str:
    try:
        return decode(version.content)
    except YamlError as exc:
        raise AfsregError(f"{version.path}: {exc}") from None


def _version(registry: Registry, ref: str | Ref) -> ModelVersion:
    version = registry.get(ref)
    if not version.data:
        raise AfsregError(f"{version.path}: cannot be read as a model file; fix it first")
    return version


def _edit(version: ModelVersion, data: Mapping[str, Any]) -> bytes:
    return edit_yaml(_text_of(version), data, path=version.path).encode("utf-8")


def _active(deployment: Any) -> bool:
    return isinstance(deployment, dict) and not deployment.get("undeployed_at")


def _active_envs(data: Mapping[str, Any]) -> set[str]:
    return {str(d.get("env")) for d in data.get("deployments") or [] if _active(d)}


def _check_writable(registry: Registry) -> None:
    if registry.rev is not None:
        raise AfsregError(
            f"this registry was read at {registry.rev}; writes go to the working tree "
            "(open it without a revision)"
        )


def validate_change(registry: Registry, files: Mapping[str, bytes | None]) -> Registry:
    """The registry with ``files`` applied; ValidationError if the change adds an error.

    The whole registry is checked again. Errors that were already there in
    files the change does not touch do not block it (they are someone
    else's); every error in a file it writes, and every new error
    elsewhere (a cross-file rule it breaks), does.
    """
    after = registry.with_changes(dict(files))
    before = set(registry.errors)
    blocking: list[Problem] = [p for p in after.errors if p.path in files or p not in before]
    # What the pre-commit hook would refuse anyway: changing a frozen field of
    # a version released at HEAD (afsreg.checks.immutability).
    blocking += [p for p in _immutability_problems(after) if p.path in files]
    if blocking:
        raise ValidationError(
            blocking, summary="the change was not written; it would leave these problems:"
        )
    return after


def _immutability_problems(after: Registry) -> list[Problem]:
    from afsreg.git.repo import git_dir, open_repo
    from afsreg.read.validate import immutability_against

    if git_dir(after.root) is None or open_repo(after.root).head_is_unborn:
        return []
    return [p for p in immutability_against(after, after.root, "HEAD") if p.severity == "error"]


def write_files(
    root: Path, files: Mapping[str, bytes | None], expected: Mapping[str, bytes | None]
) -> None:
    """Write each file atomically; refuse if one changed on disk since it was read.

    ``expected`` is what each path held when the registry was read (None: it
    did not exist). New content goes to a temporary file in the same folder,
    is flushed to disk, then renamed over the old file, so an interrupted
    write leaves the old file whole. A new file is linked into place, which
    fails instead of overwriting a file that appeared meanwhile.
    """
    staged: list[tuple[str, Path, Path | None]] = []
    rel = ""
    renamed = 0
    try:
        for rel, content in files.items():
            target = root / rel
            current = target.read_bytes() if target.is_file() else None
            if current != expected.get(rel):
                raise AfsregError(f"{rel}: changed on disk while afsreg was working; run it again")
            if content is None:
                staged.append((rel, target, None))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            tmp = Path(tmp_name)
            staged.append((rel, target, tmp))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            if current is not None:
                os.chmod(tmp, target.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
        for rel, destination, written in staged:
            if written is None:
                destination.unlink()
            elif expected.get(rel) is None:
                try:
                    os.link(written, destination)
                except FileExistsError:
                    raise AfsregError(
                        f"{rel} already exists; afsreg never overwrites a version file"
                    ) from None
                written.unlink()
            else:
                os.replace(written, destination)
            renamed += 1
        for folder in {destination.parent for _, destination, _ in staged}:
            _fsync_dir(folder)
    except OSError as exc:
        # Everything is staged before the first rename, so a failure before
        # then changes nothing; only the rename phase can leave a multi-file
        # change part-way (each file itself is always whole).
        outcome = (
            "nothing was changed"
            if renamed == 0
            else f"{renamed} of {len(staged)} files were written"
        )
        raise AfsregError(f"{rel}: cannot write ({exc.strerror or exc}); {outcome}") from None
    finally:
        for _, _, leftover in staged:
            if leftover is not None and leftover.exists():
                leftover.unlink()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def apply_change(
    registry: Registry,
    change: Change,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Validate ``change`` against ``registry``, write it, and commit it if asked."""
    _check_writable(registry)
    change.registry = validate_change(registry, change.files)
    if dry_run:
        return change
    expected: dict[str, bytes | None] = {}
    for rel in change.files:
        existing = registry.file(rel)
        expected[rel] = existing.content if existing is not None else None
    write_files(registry.root, change.files, expected)
    change.written = True
    if commit:
        change.commit_id = commit_paths(registry.root, change.paths, message or change.message)
    return change


# -- register -----------------------------------------------------------------


def _set_path(data: dict[str, Any], path: Sequence[str | int], value: Any) -> None:
    node: Any = data
    for index, part in enumerate(path[:-1]):
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                raise AfsregError(f"{_dotted(path)}: no item {part} in {_dotted(path[:index])}")
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise AfsregError(f"{_dotted(path)}: {_dotted(path[:index])} is not a mapping")
        nxt = node.get(part)
        if not isinstance(nxt, (dict, list)):
            nxt = node[part] = {}
        node = nxt
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not -len(node) <= last < len(node):
            raise AfsregError(f"{_dotted(path)}: no such list item")
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise AfsregError(f"{_dotted(path)}: {_dotted(path[:-1])} is not a mapping")


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def parse_field_path(text: str) -> tuple[str | int, ...]:
    """``training_config.epochs`` -> ("training_config", "epochs"); ``review.0.known`` has an index."""
    parts: list[str | int] = []
    for part in text.split("."):
        if not part:
            raise AfsregError(f"{text!r}: empty part in a field path (write a.b.c)")
        parts.append(int(part) if part.isdigit() else part)
    if isinstance(parts[0], int):
        raise AfsregError(f"{text!r}: a field path starts with a field name")
    return tuple(parts)


def parse_assignment(text: str) -> tuple[tuple[str | int, ...], Any]:
    """``FIELD=VALUE`` where VALUE is YAML: ``epochs=3``, ``tags=[a, b]``, ``notes=yes please``."""
    name, sep, raw = text.partition("=")
    if not sep:
        raise AfsregError(f"{text!r}: expected FIELD=VALUE, e.g. training_config.epochs=3")
    try:
        value = load_text(raw) if raw.strip() else ""
    except YamlError as exc:
        raise AfsregError(f"{text!r}: the value is not valid YAML ({exc})") from None
    return parse_field_path(name.strip()), value


def metric_path(name: str) -> tuple[str, ...]:
    """Where a metric goes under evaluation_metrics: its own field, rouge.X or custom.X."""
    if name in KNOWN_METRICS:
        return ("evaluation_metrics", name)
    if _ROUGE_RE.match(name):
        return ("evaluation_metrics", "rouge", name)
    if name.startswith("custom.") and len(name) > len("custom."):
        return ("evaluation_metrics", "custom", name[len("custom.") :])
    return ("evaluation_metrics", "custom", name)


def _base_model_entry(base_model: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(base_model, Mapping):
        entry = dict(base_model)
        entry.setdefault("relation", "fine-tune")
        return entry
    if "@" in base_model:
        ref = parse_ref(base_model)
        return {"model": str(ref), "relation": "fine-tune"}
    # An id from outside the registry: where it comes from is not guessed.
    return {"external": base_model, "source": "other", "relation": "fine-tune"}


def _ordered(data: Mapping[str, Any]) -> dict[str, Any]:
    rank = {key: index for index, key in enumerate(FIELD_ORDER)}
    return dict(sorted(data.items(), key=lambda item: rank.get(item[0], len(rank))))


def choose_version(registry: Registry, name: str, version: str | None, bump: Bump | None) -> str:
    """The version a new registration gets: ``version`` if given, else the next one."""
    existing = [v.version for v in registry.versions(name)]
    if version is not None:
        if bump is not None:
            raise AfsregError("give either a version or a bump, not both")
        if not is_valid_version(version):
            raise AfsregError(
                f"{version!r}: version must look like v1, v1.2, v1.2.3 or v2.0.0-rc.1"
            )
        return version
    return next_version(existing, bump)


def register_model(
    registry: Registry,
    model_name: str,
    *,
    version: str | None = None,
    bump: Bump | None = None,
    parent: str | None = None,
    base_model: str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]] | None = None,
    evaluation_scores: Mapping[str, float] | None = None,
    template: str | bytes | Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    review: Iterable[Mapping[str, Any]] = (),
    by: str | None = None,
    at: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
    **seed_keywords: Any,
) -> Change:
    """Register a new version of ``model_name`` as ``models/<name>/<version>.yaml``.

    The version is ``version`` when given, else the next one (v1 -> v2, or a
    semantic ``bump``: "major", "minor", "patch"). The file starts from
    ``template`` (YAML text, kept with its comments, or data) when given,
    else from the model-level fields of the model's latest version; then
    ``fields`` (top-level or dotted paths, e.g. ``{"training_config.epochs": 3}``)
    and seed 001's keywords (``samples``, ``epochs``, ``lora_path``,
    ``gguf_path``, ``git_commit``, ``evaluation_scores`` ...) are applied.

    A new version starts as promotion candidate, status completed. An
    existing version file is never overwritten.
    """
    if not is_valid_name(model_name):
        raise AfsregError(
            f"{model_name!r}: model name must be a lowercase slug ([a-z0-9][a-z0-9._-]*)"
        )
    unknown = sorted(set(seed_keywords) - set(SEED_KEYWORDS) - set(FIELD_ORDER))
    if unknown:
        raise AfsregError(
            f"unknown field(s) {', '.join(unknown)}: a keyword is a top-level field of a version "
            f"file or one of {', '.join(sorted(SEED_KEYWORDS))}; pass others as fields={{...}}"
        )
    new_version = choose_version(registry, model_name, version, bump)
    ref = Ref(model_name, new_version)
    if ref in registry or (registry.root / ref.path).exists():
        raise AfsregError(f"{ref} already exists ({ref.path}); afsreg never overwrites a version")
    at = _check_timestamp(at) if at else now_utc()

    template_text: str | None = None
    if isinstance(template, bytes):
        template = decode(template)
    if isinstance(template, str):
        template_text = template
        loaded = load_text(template)
        if not isinstance(loaded, dict):
            raise AfsregError("the template is not a mapping of fields")
        data = copy.deepcopy(loaded)
        # A copied version file is a new version: its identity, decisions,
        # deploy history, training run, weights, scores and lineage belong
        # to the version it was copied from, and do not carry over
        # (--parent and --base-model say where the new one comes from).
        for key in ("artifact_id", "deployments", "created_at", "training", "files", "lineage"):
            data.pop(key, None)
        if "evaluation_metrics" in data:
            data["evaluation_metrics"] = {}
    elif template is not None:
        data = copy.deepcopy(dict(template))
    else:
        data = {}
        latest = registry.latest(model_name)
        if latest is not None:
            for key in MODEL_LEVEL_FIELDS:
                if key in latest.data:
                    data[key] = copy.deepcopy(latest.data[key])

    data.update(
        {
            "schema_version": 1,
            "name": model_name,
            "version": new_version,
            "created_at": at,
            "promotion": {"state": "candidate"},
            "status": data.get("status")
            if data.get("status") in ("draft", "training")
            else "completed",
        }
    )
    data.setdefault("title", f"{model_name} {new_version}")
    data.setdefault("owner", by or current_user(registry.root))
    for key, value in seed_keywords.items():
        if value is not None:
            _set_path(data, SEED_KEYWORDS.get(key, (key,)), value)
    for name, score in (evaluation_scores or {}).items():
        _set_path(data, metric_path(name), score)
    if parent is not None:
        parent_version = parent.split("@", 1)[1] if "@" in parent else parent
        if "@" in parent and parse_ref(parent).name != model_name:
            raise AfsregError(
                f"--parent {parent}: a parent is a version of the same model; "
                "use a base model for another model"
            )
        _set_path(data, ("lineage", "parent"), parent_version)
    if base_model is not None:
        bases = [base_model] if isinstance(base_model, (str, Mapping)) else list(base_model)
        _set_path(data, ("lineage", "base_models"), [_base_model_entry(b) for b in bases])
    for key, value in (fields or {}).items():
        _set_path(data, parse_field_path(key), value)
    if data.get("is_external") is False:
        # A new version has not been measured yet: scores come with `afsreg score`.
        data.setdefault("evaluation_metrics", {})
    flags = [dict(flag) for flag in review]
    if flags:
        data["review"] = [*(data.get("review") or []), *flags]
    data = _ordered(data) if template_text is None else data

    if template_text is not None:
        text = edit_yaml(template_text, data, path=ref.path)
    else:
        text = dump_yaml(data)
    change = Change(
        action="add",
        ref=str(ref),
        files={ref.path: text.encode("utf-8")},
        message=f"afsreg: add {ref}",
        details=[f"{ref}: registered ({ref.path})"],
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


# -- scores -------------------------------------------------------------------


def update_evaluation_scores(
    registry: Registry,
    ref: str | Ref,
    scores: Mapping[str, float] | None = None,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
    **metrics: float,
) -> Change:
    """Record evaluation metrics of a version (seed 001's update_evaluation_scores).

    Known metrics (accuracy, f1_score, perplexity, bleu, inference speed,
    memory, latency) have their own field; rouge1/rouge2/rougeL... go under
    ``rouge``; any other name under ``custom``.
    """
    version = _version(registry, ref)
    all_scores = {**(scores or {}), **metrics}
    if not all_scores:
        raise AfsregError("no scores given (e.g. accuracy=0.87)")
    data = copy.deepcopy(version.data)
    if not isinstance(data.get("evaluation_metrics"), dict):
        data["evaluation_metrics"] = {}
    details = []
    for name, value in all_scores.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AfsregError(f"{name}={value!r}: a score is a number")
        path = metric_path(name)
        _set_path(data, path, value)
        details.append(f"{version.ref}: {_dotted(path)} = {value}")
    change = Change(
        action="score",
        ref=str(version.ref),
        files={version.path: _edit(version, data)},
        message=f"afsreg: score {version.ref} ({', '.join(f'{k}={v}' for k, v in all_scores.items())})",
        details=details,
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


# -- promotion ----------------------------------------------------------------


def promote(
    registry: Registry,
    ref: str | Ref,
    *,
    notes: str | None = None,
    by: str | None = None,
    at: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Promote a version; the version promoted before becomes superseded by it."""
    version = _version(registry, ref)
    if version.promotion_state == "promoted":
        raise AfsregError(f"{version.ref} is already promoted")
    if version.status in ("deprecated", "archived"):
        raise AfsregError(
            f"{version.ref} is {version.status}; a retired version cannot be promoted"
        )
    by = by or current_user(registry.root)
    at = _check_timestamp(at) if at else now_utc()
    files: dict[str, bytes | None] = {}
    details = []
    data = copy.deepcopy(version.data)
    before = data.get("promotion", {}).get("state", "candidate")
    promotion = data.setdefault("promotion", {})
    promotion.pop("superseded_by", None)
    promotion.update({"state": "promoted", "decided_by": by, "decided_at": at})
    if notes is not None:
        promotion["notes"] = notes
    files[version.path] = _edit(version, data)
    details.append(f"{version.ref}: promotion {before} -> promoted")
    for other in registry.versions(version.name):
        if other.ref == version.ref or other.promotion_state != "promoted":
            continue
        other_data = copy.deepcopy(other.data)
        other_data["promotion"]["state"] = "superseded"
        other_data["promotion"]["superseded_by"] = version.version
        files[other.path] = _edit(other, other_data)
        details.append(f"{other.ref}: promotion promoted -> superseded (by {version.version})")
    change = Change("promote", str(version.ref), files, f"afsreg: promote {version.ref}", details)
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


def reject(
    registry: Registry,
    ref: str | Ref,
    *,
    notes: str,
    by: str | None = None,
    at: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Reject a version (with a reason in ``notes``); it can no longer be deployed."""
    version = _version(registry, ref)
    if not notes or not notes.strip():
        raise AfsregError("a rejection needs notes saying why")
    if version.promotion_state == "rejected":
        raise AfsregError(f"{version.ref} is already rejected")
    envs = _active_envs(version.data)
    if envs:
        raise AfsregError(
            f"{version.ref} is deployed in {', '.join(sorted(envs))}; roll it back or deploy "
            "another version first"
        )
    data = copy.deepcopy(version.data)
    before = data.get("promotion", {}).get("state", "candidate")
    promotion = data.setdefault("promotion", {})
    promotion.pop("superseded_by", None)
    promotion.update(
        {
            "state": "rejected",
            "notes": notes,
            "decided_by": by or current_user(registry.root),
            "decided_at": _check_timestamp(at) if at else now_utc(),
        }
    )
    change = Change(
        "reject",
        str(version.ref),
        {version.path: _edit(version, data)},
        f"afsreg: reject {version.ref}",
        [f"{version.ref}: promotion {before} -> rejected"],
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


# -- deployment ---------------------------------------------------------------


def deployed_in(registry: Registry, name: str, env: str) -> ModelVersion | None:
    """The version of ``name`` actively deployed in ``env``, if any."""
    for version in registry.versions(name):
        if env in (version.summary.get("active_envs") or []):
            return version
    return None


def _undeploy(data: dict[str, Any], env: str, by: str, at: str) -> None:
    for deployment in data.get("deployments") or []:
        if _active(deployment) and deployment.get("env") == env:
            deployment["undeployed_at"] = at
            deployment["undeployed_by"] = by
    if data.get("status") == "deployed" and not _active_envs(data):
        data["status"] = "completed"


def _deploy_files(
    registry: Registry,
    version: ModelVersion,
    env: str,
    by: str,
    at: str,
    reason: str | None,
) -> tuple[dict[str, bytes | None], list[str]]:
    files: dict[str, bytes | None] = {}
    details = []
    current = deployed_in(registry, version.name, env)
    if current is not None and current.ref != version.ref:
        current_data = copy.deepcopy(current.data)
        _undeploy(current_data, env, by, at)
        files[current.path] = _edit(current, current_data)
        details.append(f"{current.ref}: undeployed from {env}")
    data = copy.deepcopy(version.data)
    record: dict[str, Any] = {"env": env, "deployed_at": at, "deployed_by": by}
    if reason:
        record["reason"] = reason
    deployments = data.get("deployments")
    data["deployments"] = [*(deployments if isinstance(deployments, list) else []), record]
    data["status"] = "deployed"
    files[version.path] = _edit(version, data)
    details.append(f"{version.ref}: deployed to {env} at {at} by {by}")
    return files, details


def _check_env(env: str) -> str:
    if not re.match(r"^[a-z0-9][a-z0-9._-]*$", env):
        raise AfsregError(f"{env!r}: an environment name is a lowercase slug, e.g. production")
    return env


def deploy(
    registry: Registry,
    ref: str | Ref,
    *,
    env: str = DEFAULT_ENV,
    by: str | None = None,
    at: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Deploy a promoted version to ``env``; the version deployed there before is undeployed."""
    version = _version(registry, ref)
    env = _check_env(env)
    if version.promotion_state != "promoted":
        raise AfsregError(
            f"{version.ref} is {version.promotion_state}; only the promoted version can be deployed "
            f"(afsreg promote {version.ref})"
        )
    if version.status in ("deprecated", "archived"):
        raise AfsregError(
            f"{version.ref} is {version.status}; a retired version cannot be deployed"
        )
    if env in _active_envs(version.data):
        raise AfsregError(f"{version.ref} is already deployed in {env}")
    by = by or current_user(registry.root)
    at = _check_timestamp(at) if at else now_utc()
    files, details = _deploy_files(registry, version, env, by, at, reason)
    suffix = "" if env == DEFAULT_ENV else f" to {env}"
    change = Change(
        "deploy", str(version.ref), files, f"afsreg: deploy {version.ref}{suffix}", details
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


def deployment_history(registry: Registry, name: str, env: str) -> list[tuple[str, dict[str, Any]]]:
    """Every deployment of ``name`` in ``env`` as (version, record), oldest first."""
    history = []
    for version in registry.versions(name):
        for record in version.data.get("deployments") or []:
            if isinstance(record, dict) and record.get("env") == env:
                history.append((version.version, record))
    # Timestamps are UTC ISO 8601 strings of one format, so they sort as text;
    # at equal times an active record comes last.
    history.sort(key=lambda item: (str(item[1].get("deployed_at")), _active(item[1])))
    return history


def previous_deployment(registry: Registry, name: str, env: str) -> str | None:
    """The version that was deployed in ``env`` before the current one."""
    current = deployed_in(registry, name, env)
    history = deployment_history(registry, name, env)
    current_version = current.version if current is not None else None
    # The record that the current deployment replaced was undeployed when
    # the current one was deployed; prefer it, then the latest other record.
    candidates = [(v, r) for v, r in history if v != current_version and not _active(r)]
    if not candidates:
        return None
    if current is not None:
        started = [
            str(r.get("deployed_at")) for r in current.data.get("deployments") or [] if _active(r)
        ]
        replaced = [
            (v, r) for v, r in candidates if started and r.get("undeployed_at") == started[-1]
        ]
        if replaced:
            return replaced[-1][0]
    return candidates[-1][0]


def rollback(
    registry: Registry,
    name: str,
    *,
    env: str = DEFAULT_ENV,
    to: str | None = None,
    by: str | None = None,
    at: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Redeploy the version deployed before in ``env`` (or version ``to``).

    The version deployed now is undeployed. Promotion states stay as they
    are: rolling back is an operational step, not a verdict on a version.
    """
    model, version_in_name = parse_name_or_ref(name)
    env = _check_env(env)
    if version_in_name is not None and to is not None and version_in_name != to:
        raise AfsregError(f"rollback {name} --to {to}: name two different target versions")
    to = to or version_in_name
    if not registry.versions(model):
        raise NotFoundError(f"no model named {model!r} in the registry")
    current = deployed_in(registry, model, env)
    if to is None:
        if current is None:
            raise AfsregError(f"no version of {model} is deployed in {env}; nothing to roll back")
        to = previous_deployment(registry, model, env)
        if to is None:
            raise AfsregError(
                f"{current.ref} is the only version of {model} ever deployed in {env}; "
                "there is nothing to roll back to (name one with --to)"
            )
    target = _version(registry, Ref(model, to))
    if current is not None and current.ref == target.ref:
        raise AfsregError(f"{target.ref} is already the version deployed in {env}")
    if target.promotion_state == "rejected":
        raise AfsregError(f"{target.ref} was rejected; it cannot be deployed again")
    if target.status in ("deprecated", "archived"):
        raise AfsregError(f"{target.ref} is {target.status}; a retired version cannot be deployed")
    by = by or current_user(registry.root)
    at = _check_timestamp(at) if at else now_utc()
    why = reason or (f"rollback from {current.version}" if current is not None else "rollback")
    files, details = _deploy_files(registry, target, env, by, at, why)
    suffix = "" if env == DEFAULT_ENV else f" in {env}"
    change = Change(
        "rollback",
        str(target.ref),
        files,
        f"afsreg: rollback {model} to {target.version}{suffix}",
        details,
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


# -- lifecycle ----------------------------------------------------------------


def _set_status(
    registry: Registry,
    ref: str | Ref,
    status: str,
    dry_run: bool,
    commit: bool,
    message: str | None,
) -> Change:
    version = _version(registry, ref)
    if version.status == status:
        raise AfsregError(f"{version.ref} is already {status}")
    envs = _active_envs(version.data)
    if envs:
        raise AfsregError(
            f"{version.ref} is deployed in {', '.join(sorted(envs))}; deploy another version "
            f"or roll back first, then {'deprecate' if status == 'deprecated' else 'archive'} it"
        )
    if status == "deprecated" and version.status == "archived":
        raise AfsregError(f"{version.ref} is archived already (past deprecated)")
    data = copy.deepcopy(version.data)
    before = data.get("status")
    data["status"] = status
    verb = "deprecate" if status == "deprecated" else "archive"
    change = Change(
        verb,
        str(version.ref),
        {version.path: _edit(version, data)},
        f"afsreg: {verb} {version.ref}",
        [f"{version.ref}: status {before} -> {status}"],
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)


def deprecate(
    registry: Registry,
    ref: str | Ref,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Mark a version deprecated: kept, but not to be used for anything new."""
    return _set_status(registry, ref, "deprecated", dry_run, commit, message)


def archive(
    registry: Registry,
    ref: str | Ref,
    *,
    dry_run: bool = False,
    commit: bool = False,
    message: str | None = None,
) -> Change:
    """Mark a version archived: kept for the record only."""
    return _set_status(registry, ref, "archived", dry_run, commit, message)


# -- the methods on Registry ----------------------------------------------------


class RegistryWriteMixin:
    """The write API as methods of ``afsreg.Registry`` (see the functions above).

    Each method returns a Change; ``change.registry`` is the registry after it.
    The object itself is not updated: open the registry again, or use
    ``change.registry``, to read the new state.
    """

    def _registry(self) -> Registry:
        return cast("Registry", self)

    def register_model(self, model_name: str, **kwargs: Any) -> Change:
        return register_model(self._registry(), model_name, **kwargs)

    def update_evaluation_scores(
        self, ref: str | Ref, scores: Mapping[str, float] | None = None, **kwargs: Any
    ) -> Change:
        return update_evaluation_scores(self._registry(), ref, scores, **kwargs)

    def promote(self, ref: str | Ref, **kwargs: Any) -> Change:
        return promote(self._registry(), ref, **kwargs)

    def reject(self, ref: str | Ref, *, notes: str, **kwargs: Any) -> Change:
        return reject(self._registry(), ref, notes=notes, **kwargs)

    def deploy(self, ref: str | Ref, **kwargs: Any) -> Change:
        return deploy(self._registry(), ref, **kwargs)

    def rollback(self, name: str, **kwargs: Any) -> Change:
        return rollback(self._registry(), name, **kwargs)

    def deprecate(self, ref: str | Ref, **kwargs: Any) -> Change:
        return deprecate(self._registry(), ref, **kwargs)

    def archive(self, ref: str | Ref, **kwargs: Any) -> Change:
        return archive(self._registry(), ref, **kwargs)
