"""The vocabulary of a version file, and the answers every layer asks of one.

One home for "what promotion state is this file in", "which deployments are
active" and "does it count as released", so listings, checks, diffs, lineage,
writes and the database projection cannot disagree. The names mirror the
enums of ``schemas/model_version.schema.json`` (a test holds them together).

Every function here takes the file's plain data as loaded, valid or not, and
never raises on a wrong type: a missing or malformed field reads as absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, get_args

PromotionState = Literal["candidate", "promoted", "rejected", "superseded"]
Status = Literal["draft", "training", "completed", "deployed", "deprecated", "archived"]
Relation = Literal["fine-tune", "adapter", "quantized", "merge", "distill"]

PROMOTION_STATES: Final[tuple[PromotionState, ...]] = get_args(PromotionState)
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
RELATIONS: Final[tuple[Relation, ...]] = get_args(Relation)

# What the model is (family, framework, size) and where an outside model comes
# from: frozen once released, the "Model" section of a version's page, and
# seed 000's artifact metadata.
MODEL_FIELDS: Final[tuple[str, ...]] = (
    "model_family",
    "framework",
    "parameter_count",
    "is_external",
    "external_source_url",
    "external_source_version",
)

# A file without promotion.state is a candidate.
DEFAULT_PROMOTION_STATE: Final[PromotionState] = "candidate"

# What makes a version "released" (and so immutable in its frozen fields).
RELEASED_PROMOTION_STATES: Final[tuple[PromotionState, ...]] = ("promoted", "superseded")
RELEASED_STATUSES: Final[tuple[Status, ...]] = ("deployed",)
# Statuses after which a version takes no new promotion or deployment.
RETIRED_STATUSES: Final[tuple[Status, ...]] = ("deprecated", "archived")


def promotion_state(data: Mapping[str, Any]) -> str | None:
    """``promotion.state`` when it is text, else None."""
    promotion = data.get("promotion")
    state = promotion.get("state") if isinstance(promotion, Mapping) else None
    return state if isinstance(state, str) else None


def status(data: Mapping[str, Any]) -> str | None:
    """``status`` when it is text, else None."""
    value = data.get("status")
    return value if isinstance(value, str) else None


def is_active(deployment: Any) -> bool:
    """A deployment entry that has not been undeployed."""
    return isinstance(deployment, Mapping) and not deployment.get("undeployed_at")


def active_deployments(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The entries of ``deployments`` that are still active, in file order."""
    deployments = data.get("deployments")
    return [d for d in deployments if is_active(d)] if isinstance(deployments, list) else []


def active_envs(data: Mapping[str, Any]) -> list[str]:
    """The environments of the active deployments, in file order."""
    return [d["env"] for d in active_deployments(data) if isinstance(d.get("env"), str)]


def release_reason(data: Mapping[str, Any]) -> str | None:
    """Why a version counts as released (``promotion.state: promoted``), or None."""
    state = promotion_state(data)
    if state in RELEASED_PROMOTION_STATES:
        return f"promotion.state: {state}"
    if data.get("status") in RELEASED_STATUSES:
        return f"status: {data['status']}"
    deployments = data.get("deployments")
    if isinstance(deployments, list) and deployments:
        return "it has deployments"
    return None
