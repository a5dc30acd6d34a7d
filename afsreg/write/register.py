"""Registering a new version, and recording its evaluation scores.

    >>> from afsreg import Registry, register_model, update_evaluation_scores
    >>> registry = Registry.open()
    >>> change = register_model(registry, "majora", evaluation_scores={"accuracy": 0.9})
    >>> update_evaluation_scores(change.registry, "majora@v3", f1_score=0.86, commit=True)

A new version starts as promotion candidate, status completed; an existing
version file is never overwritten.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afsreg.errors import AfsregError
from afsreg.format.editor import dump_yaml, edit_yaml, load_text
from afsreg.format.field_paths import parse_field_path, path_text
from afsreg.format.fields import FIELD_ORDER, metric_path, parse_assignment, set_path
from afsreg.format.loader import MAX_INT_DIGITS, YamlError, decode, load_yaml, read_limited
from afsreg.format.refs import MLFLOW_PREFIX, Ref, looks_like_hf_id, parse_external, parse_ref
from afsreg.format.versions import Bump, is_valid_name, is_valid_version, next_version
from afsreg.write.change import (
    Change,
    apply_change,
    check_timestamp,
    current_user,
    edited,
    now_utc,
    version_to_edit,
)

if TYPE_CHECKING:
    from afsreg.registry import Registry

# Fields a new version takes from the model's latest version when not given:
# they describe the model, not one training run.
MODEL_LEVEL_FIELDS = ("owner", "description", "tags", "model_family", "framework", "is_external")

# register_model()'s flat keywords (seed 001's API, kept so its scripts run),
# and the field each one sets in a version file.
KEYWORD_FIELDS: dict[str, tuple[str, ...]] = {
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


def _base_model_entry(registry: Registry, base_model: str | Mapping[str, Any]) -> dict[str, Any]:
    """A ``lineage.base_models`` entry for what the caller named.

    A reference (``majora@v1``, ``majora@promoted``, ``models:/majora/1``)
    is resolved to the exact version it names; an outside id keeps its
    source (``hf:``, ``huggingface:``, ``github:``, a huggingface.co or
    github.com URL), and a bare ``org/name`` is a Hugging Face repo id.
    """
    if isinstance(base_model, Mapping):
        entry = dict(base_model)
        entry.setdefault("relation", "fine-tune")
        return entry
    if "@" in base_model or base_model.startswith(MLFLOW_PREFIX):
        ref = registry.get(base_model).ref
        return {"model": str(ref), "relation": "fine-tune"}
    source, ident = parse_external(base_model)
    if source is None and looks_like_hf_id(ident):
        source = "huggingface"
    return {"external": ident, "source": source or "other", "relation": "fine-tune"}


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


def read_template(path: Path) -> str:
    """A template file's text for ``register_model(template=...)``, checked before use.

    A file that is not acceptable YAML is refused naming its path, line,
    column and field, as the pre-commit hook would name them.
    """
    content = read_limited(path, what="model file")
    try:
        text = decode(content)
        load_yaml(content)
    except YamlError as exc:
        where = f"{exc.line}:{exc.col}: {exc.field or '(file)'}"
        raise AfsregError(f"{path}:{where}: {exc.message}") from None
    return text


def fields_from_assignments(assignments: Iterable[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` texts (VALUE is YAML) as ``register_model(fields=...)`` takes them."""
    fields = {}
    for text in assignments:
        path, value = parse_assignment(text)
        fields[".".join(str(p) for p in path)] = value
    return fields


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
    **keywords: Any,
) -> Change:
    """Register a new version of ``model_name`` as ``models/<name>/<version>.yaml``.

    The version is ``version`` when given, else the next one (v1 -> v2, or a
    semantic ``bump``: "major", "minor", "patch"). The file starts from
    ``template`` (YAML text, kept with its comments, or data) when given,
    else from the model-level fields of the model's latest version; then
    ``fields`` (top-level or dotted paths, e.g. ``{"training_config.epochs": 3}``)
    and the flat keywords (seed 001's ``samples``, ``epochs``, ``lora_path``,
    ``gguf_path``, ``git_commit`` ..., see KEYWORD_FIELDS, or any top-level
    field) are applied. ``read_template`` reads a template from a file.

    A new version starts as promotion candidate, status completed. An
    existing version file is never overwritten.
    """
    if not is_valid_name(model_name):
        raise AfsregError(
            f"{model_name!r}: model name must be a lowercase slug ([a-z0-9][a-z0-9._-]*)"
        )
    unknown = sorted(set(keywords) - set(KEYWORD_FIELDS) - set(FIELD_ORDER))
    if unknown:
        raise AfsregError(
            f"unknown field(s) {', '.join(unknown)}: a keyword is a top-level field of a version "
            f"file or one of {', '.join(sorted(KEYWORD_FIELDS))}; pass others as fields={{...}}"
        )
    new_version = choose_version(registry, model_name, version, bump)
    ref = Ref(model_name, new_version)
    if ref in registry or (registry.root / ref.path).exists():
        raise AfsregError(f"{ref} already exists ({ref.path}); afsreg never overwrites a version")
    at = check_timestamp(at) if at else now_utc()

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
    for key, value in keywords.items():
        if value is not None:
            set_path(data, KEYWORD_FIELDS.get(key, (key,)), value)
    for name, score in (evaluation_scores or {}).items():
        set_path(data, metric_path(name), score)
    if parent is not None:
        parent_version = parent.split("@", 1)[1] if "@" in parent else parent
        if "@" in parent and parse_ref(parent).name != model_name:
            raise AfsregError(
                f"--parent {parent}: a parent is a version of the same model; "
                "use a base model for another model"
            )
        set_path(data, ("lineage", "parent"), parent_version)
    if base_model is not None:
        bases = [base_model] if isinstance(base_model, (str, Mapping)) else list(base_model)
        entries = [_base_model_entry(registry, b) for b in bases]
        set_path(data, ("lineage", "base_models"), entries)
    for key, value in (fields or {}).items():
        set_path(data, parse_field_path(key), value)
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


def parse_score(text: str) -> tuple[str, float]:
    """``METRIC=VALUE``: an integer is kept exact (never through a float), a float must be finite."""
    metric, sep, raw = text.partition("=")
    if not sep or not metric:
        raise AfsregError(f"{text!r}: expected METRIC=VALUE, e.g. accuracy=0.87")
    raw = raw.strip()
    digits = raw.lstrip("+-")
    if digits.isdigit() and digits.isascii():
        if len(digits) > MAX_INT_DIGITS:
            raise AfsregError(
                f"{text!r}: an integer of {len(digits)} digits; at most {MAX_INT_DIGITS} are allowed"
            )
        return metric, int(raw)
    try:
        value = float(raw)
    except ValueError:
        raise AfsregError(f"{text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise AfsregError(f"{text!r}: {raw!r} is not a finite number")
    return metric, value


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
    version = version_to_edit(registry, ref)
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
        set_path(data, path, value)
        details.append(f"{version.ref}: {path_text(path)} = {value}")
    change = Change(
        action="score",
        ref=str(version.ref),
        files={version.path: edited(version, data)},
        message=f"afsreg: score {version.ref} ({', '.join(f'{k}={v}' for k, v in all_scores.items())})",
        details=details,
    )
    return apply_change(registry, change, dry_run=dry_run, commit=commit, message=message)
