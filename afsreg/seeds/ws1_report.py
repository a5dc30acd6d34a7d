"""``afsreg report ws1``: seed 000's migration report, old state vs new state of the 8 backfilled models.

The old state is what seed 000 records of its own backfill (migrations
099/100 wrote 8 model_versions rows through raw SQL, every one candidate,
with best-effort values pulled from the artifacts.metadata blob). The new
state is read back from the database after syncing REV, and the review
flags from the version files: what is held for a human rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afsreg.db.connect import connect, resolve_url
from afsreg.db.project import ARTIFACT_COLUMNS, MODEL_VERSION_COLUMNS
from afsreg.db.sync import sync
from afsreg.db.tables import fetch, tables
from afsreg.errors import AfsregError
from afsreg.git.repo import open_repo, resolve_commit
from afsreg.git.store import write_atomically
from afsreg.registry import Registry

REPORT_PATH = "docs/model_artifacts/migration_report_ws1.md"


@dataclass(frozen=True)
class SeedArtifact:
    seed_id: str  # as seed 000 writes it (the UUID-style ids are truncated there)
    seed_title: str
    seed_note: str
    model: str  # the model name in this registry

    @property
    def truncated(self) -> bool:
        return self.seed_id.endswith("…")

    def is_own_id(self, artifact_id: object) -> bool:
        """Whether ``artifact_id`` is this seed artifact's own row id (a full id, not a stand-in)."""
        if not isinstance(artifact_id, str):
            return False
        if self.truncated:
            prefix = self.seed_id.rstrip("…")
            return artifact_id.startswith(prefix) and len(artifact_id) > len(prefix)
        return artifact_id == self.seed_id


SEED_000 = (
    SeedArtifact(
        "model-29ce54ef-…",
        "Neurodegeneration Risk Predictor",
        "internal, no code link yet",
        "neurodegeneration-risk-predictor",
    ),
    SeedArtifact(
        "model-56e6e50d-…",
        "Amyloid Production-Clearance Model",
        "biophysical ODE",
        "amyloid-production-clearance",
    ),
    SeedArtifact(
        "model-14307274-…", "Cell Type Classifier", "transformer, SEA-AD", "cell-type-classifier"
    ),
    SeedArtifact(
        "model-8479a365-…", "AD Risk Prediction Model", "logistic regression", "ad-risk-prediction"
    ),
    SeedArtifact("model-45e16a37-…", "Microglial Activation Model", "", "microglial-activation"),
    SeedArtifact(
        "model-9ccc79de-…",
        "Microglial-Amyloid-Cytokine Activation Model v1",
        "",
        "microglial-amyloid-cytokine-activation",
    ),
    SeedArtifact(
        "model_ot_ad_zscore_rules_v1", "OT-AD Target Ranking baseline", "", "ot-ad-target-ranking"
    ),
    SeedArtifact(
        "model-biophys-microglia-001",
        "Microglial Activation ODE (TREM2/APOE/IL-6)",
        "",
        "microglial-activation-ode",
    ),
)

OLD_STATE = (
    "model_versions row written by raw SQL (migration 100_backfill_model_versions.py, not through "
    "artifact_catalog); promotion_state='candidate'; code pin and metadata best-effort from the "
    "artifacts.metadata blob; no review flags; no migration report"
)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 90 else text[:89] + "…"


def ws1_report(root: Path, database_url: str | None = None, rev: str = "HEAD") -> str:
    """Sync ``rev``, then render the report as Markdown."""
    synced = sync(root, database_url, rev)
    repo = open_repo(root)
    commit = resolve_commit(repo, rev)
    registry = Registry.at_commit(root, repo, commit, rev)
    found = {}
    for seed in SEED_000:
        versions = registry.versions(seed.model)
        if not versions:
            raise AfsregError(
                f"{seed.seed_id} ({seed.seed_title}): no model {seed.model!r} under models/ at {rev}"
            )
        found[seed.model] = versions[-1]
    with connect(resolve_url(database_url, root), create=False) as db:
        db_kind = "PostgreSQL" if db.dialect == "postgresql" else "SQLite"
        artifacts_t, versions_t, _ = tables(db)
        ids = [v.artifact_id for v in found.values()]
        artifact_rows = fetch(db, artifacts_t, ids)
        version_rows = fetch(db, versions_t, ids)

    # Backfilled means: a model_versions row attached to the seed's own artifacts row. A file
    # without the full id projects to a row of its own (name@version), which does not count.
    attached = {
        seed.model
        for seed in SEED_000
        if seed.is_own_id(found[seed.model].data.get("artifact_id"))
        and found[seed.model].artifact_id in version_rows
    }
    unknown = [
        seed for seed in SEED_000 if not seed.is_own_id(found[seed.model].data.get("artifact_id"))
    ]
    states = [v.promotion_state for v in found.values()]
    lines = [
        "# Migration report: seed 000 (WS1), the 8 backfilled model artifacts",
        "",
        f"Generated by `afsreg report ws1` from commit `{synced.commit[:12]}` ({rev}) after syncing it "
        f"into a {db_kind} database; regenerate it the same way.",
        "",
        "Seed 000 backfilled 8 model artifacts into `model_versions`. Its work log records how: the",
        "rows were written with raw SQL by `migrations/100_backfill_model_versions.py` (not through",
        "`artifact_catalog`, as the spec asked), every row landed at `promotion_state='candidate'`",
        "although the success criteria want at least 6 promoted, values were extracted best-effort",
        "from the `artifacts.metadata` blob, and this report was never written.",
        "",
        "Now each artifact is one reviewed YAML file under `models/`, validated against",
        "`schemas/model_artifact_metadata.json` by the pre-commit hook, and projected into the seed's",
        "`model_versions` table (with the `artifacts` lineage columns and the git audit trail) by",
        "`afsreg sync`. A value seed 000 does not give is left null with a review flag saying why;",
        "nothing is guessed.",
        "",
        "## Success criteria",
        "",
        f"- backfilled (a model_versions row attached to the seed's own artifacts row): {len(attached)} of 8",
        f"- promotion_state='promoted' in the files: {states.count('promoted')} (at least 6 required)",
        f"- promotion_state='rejected' in the files: {states.count('rejected')} (none allowed)",
        f"- left candidate: {states.count('candidate')} (the biophysical ODEs may stay candidate pending WS4)",
        f"- review flags held for a human: {sum(len(v.review) for v in found.values())}",
        "",
    ]
    if unknown:
        lines += [
            f"**Not backfilled yet: {len(unknown)} artifact id{'s are' if len(unknown) != 1 else ' is'} "
            "still unknown.** Seed 000 prints "
            + ", ".join(f"`{seed.seed_id}`" for seed in unknown)
            + " truncated, so their files carry `artifact_id: null` (held for review) and sync "
            "projects them into rows of their own (`name@version`), not into the seed's rows. Run "
            "`afsreg adopt --database-url <the seed database>` against the database that holds the "
            "seed's rows: it fills in each full id from the row it matches, for review and commit.",
            "",
        ]
    lines += [
        "## Overview",
        "",
        "| seed 000 id | title | file | artifacts.id | attached to the seed's row | old promotion_state | new promotion_state | review flags |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for seed in SEED_000:
        version = found[seed.model]
        row = version_rows.get(version.artifact_id, {})
        lines.append(
            f"| `{seed.seed_id}` | {_cell(seed.seed_title)} | `{version.path}` | `{version.artifact_id}` | "
            f"{'yes' if seed.model in attached else 'no: id unknown' if seed in unknown else 'no'} | "
            f"candidate | {_cell(row.get('promotion_state'))} | {len(version.review)} |"
        )
    for seed in SEED_000:
        version = found[seed.model]
        artifact = artifact_rows.get(version.artifact_id, {})
        model_version = version_rows.get(version.artifact_id, {})
        lines += [
            "",
            f"## {seed.seed_title}",
            "",
            f"Seed 000: `{seed.seed_id}` {seed.seed_title}"
            + (f" ({seed.seed_note})." if seed.seed_note else "."),
            "",
            f"**Old state (seed 000):** {OLD_STATE}.",
            "",
            f"**New state:** `{version.path}`, artifacts.id `{version.artifact_id}`.",
            "",
            "| column | value |",
            "|---|---|",
        ]
        for column in MODEL_VERSION_COLUMNS:
            if column not in ("artifact_id", "created_at"):
                lines.append(f"| model_versions.{column} | {_cell(model_version.get(column))} |")
        for column in (
            "version_number",
            "version_tag",
            "is_latest",
            "lifecycle_state",
            "origin_type",
            "parent_version_id",
        ):
            if column in ARTIFACT_COLUMNS:
                lines.append(f"| artifacts.{column} | {_cell(artifact.get(column))} |")
        metadata = artifact.get("metadata") or {}
        filled = sorted(k for k, v in metadata.items() if v is not None)
        lines += ["", f"Metadata fields with a value: {', '.join(filled) or 'none'}.", ""]
        if version.review:
            lines.append("**Held for review:**")
            lines.append("")
            for flag in version.review:
                known = f" Known so far: {flag['known']}." if flag.get("known") is not None else ""
                lines.append(f"- `{flag.get('field')}`: {flag.get('reason')}{known}")
        else:
            lines.append("Nothing held for review.")
    lines.append("")
    return "\n".join(lines)


def write_ws1_report(
    root: Path, database_url: str | None = None, rev: str = "HEAD", output: Path | None = None
) -> Path:
    """Write the WS1 report (default docs/model_artifacts/migration_report_ws1.md); returns its path."""
    path = output if output is not None else root / REPORT_PATH
    write_atomically(path, ws1_report(root, database_url, rev))
    return path
