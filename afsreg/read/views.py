"""What the read commands show, as plain data (the CLI only formats it).

The field helpers (afsreg.format.fields, which imports the YAML loader) are
imported where used: a warm ``list`` reads stored rows and parses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from afsreg.format.record import ModelVersion
from afsreg.registry import ModelValues, Registry, latest_of


def model_rows(registry: Registry, *, with_metrics: bool = False) -> list[dict[str, Any]]:
    """A row per model: versions, latest, promoted, where deployed, framework, lifecycle state.

    ``deployed`` maps each environment to its version (``{"production": "v2"}``);
    ``with_metrics`` adds the latest version's metrics. A row depends on its
    model's folder alone, so it is read from the store by the folder's tree id
    (Registry.per_model): a warm listing of 100,000 versions reads a row per model.
    """
    computes: dict[str, ModelValues] = {ROW_KIND: _rows}
    if with_metrics:
        computes[METRICS_KIND] = lambda batch: _latest_metrics(registry, batch)
    rows = []
    for name, values in registry.per_model(computes):
        row: dict[str, Any] = {"name": name, **values[ROW_KIND]}
        if with_metrics:
            row["metrics"] = values[METRICS_KIND]
        rows.append(row)
    return rows


# Names of the per-model values of a listing; rename one when what it computes changes.
ROW_KIND = "views:model-row"
METRICS_KIND = "views:latest-metrics"


def _rows(batch: Mapping[str, list[ModelVersion]]) -> dict[str, dict[str, Any]]:
    """Each model's row, less its name, from its versions (in version order)."""
    rows = {}
    for name, versions in batch.items():
        latest = latest_of(versions)
        promoted = next((v for v in versions if v.promotion_state == "promoted"), None)
        deployed = {env: v.version for v in versions for env in v.active_envs}
        rows[name] = {
            "versions": len(versions),
            "latest": latest.version if latest else None,
            "promoted": promoted.version if promoted else None,
            "deployed": dict(sorted(deployed.items())),
            "framework": latest.framework if latest else None,
            "state": latest.status if latest else None,
        }
    return rows


def _latest_metrics(
    registry: Registry, batch: Mapping[str, list[ModelVersion]]
) -> dict[str, dict[str, Any]]:
    """Each model's latest version's metrics (from the field store by blob id)."""
    latest = {name: latest_of(versions) for name, versions in batch.items()}
    found = metrics_of(registry, [v for v in latest.values() if v is not None], prune=False)
    return {name: found[v.blob_id] if v else {} for name, v in latest.items()}


def metrics_of(
    registry: Registry, versions: list[ModelVersion], *, prune: bool = True
) -> dict[str, dict[str, Any]]:
    """blob id -> the version's numeric metrics, flattened (afsreg.format.fields.metrics)."""
    from afsreg.format.fields import metrics
    from afsreg.git.projections import project
    from afsreg.git.repo import git_dir

    key = "views:metrics"
    compute = {key: lambda v: metrics(v.data)}
    return project(versions, compute, git_dir(registry.root), prune=prune)[key]


def version_row(
    v: ModelVersion, *, with_metrics: bool = False, known: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One version as a row; ``known`` is its metrics when the caller has them (metrics_of)."""
    from afsreg.format.fields import metrics

    row: dict[str, Any] = {
        "version": v.version,
        "title": v.title,
        "promotion": v.promotion_state,
        "status": v.status,
        "parent": v.parent,
        "base_models": v.base_refs,
        "deployed": v.active_envs,
        "review_flags": v.summary.get("review_count", 0),
        "artifact_id": v.artifact_id,
    }
    if with_metrics:
        row["metrics"] = known if known is not None else metrics(v.data)
    return row


def version_rows(
    registry: Registry, name: str, *, with_metrics: bool = False
) -> list[dict[str, Any]]:
    versions = registry.versions(name)
    found = metrics_of(registry, versions) if with_metrics else {}
    return [version_row(v, with_metrics=with_metrics, known=found.get(v.blob_id)) for v in versions]


def show(v: ModelVersion) -> dict[str, Any]:
    """The whole version, with where it lives and its effective artifact id."""
    return {"path": v.path, "artifact_id": v.artifact_id, "blob": v.blob_id, **v.data}


def compare(a: ModelVersion, b: ModelVersion) -> dict[str, Any]:
    """Metrics side by side with deltas, then every other field that differs."""
    from afsreg.format.fields import field_changes, metrics

    ma, mb = metrics(a.data), metrics(b.data)
    metric_rows = []
    for metric in sorted(ma.keys() | mb.keys()):
        va, vb = ma.get(metric), mb.get(metric)
        delta = round(vb - va, 10) if va is not None and vb is not None else None
        metric_rows.append({"metric": metric, str(a.ref): va, str(b.ref): vb, "delta": delta})
    skip = {"version", "evaluation_metrics"}
    field_rows = [
        {"field": c.field, str(a.ref): _present(c.old), str(b.ref): _present(c.new)}
        for c in field_changes(a.data, b.data)
        if c.field.split(".", 1)[0] not in skip
    ]
    return {"a": str(a.ref), "b": str(b.ref), "metrics": metric_rows, "fields": field_rows}


def _present(value: Any) -> Any:
    from afsreg.format.fields import MISSING

    return None if value is MISSING else value


def review_rows(registry: Registry) -> list[dict[str, Any]]:
    """Every open review flag: which version, which field, why, and what is known."""
    rows = []
    for v in registry:
        if not v.summary.get("review_count"):
            continue
        for flag in v.review:
            rows.append(
                {
                    "version": str(v.ref),
                    "field": flag.get("field"),
                    "reason": flag.get("reason"),
                    "known": flag.get("known"),
                    "path": v.path,
                }
            )
    return rows
