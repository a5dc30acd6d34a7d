"""The state vocabulary and the answers of afsreg.format.document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import REPO_ROOT

from afsreg.format.document import (
    PROMOTION_STATES,
    RELATIONS,
    STATUSES,
    active_deployments,
    active_envs,
    promotion_state,
    status,
)


def _schema() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "schemas" / "model_version.schema.json").read_text())  # type: ignore[no-any-return]  # json.loads is Any


def test_vocabulary_matches_the_schema_enums() -> None:
    props = _schema()["properties"]
    assert list(PROMOTION_STATES) == props["promotion"]["properties"]["state"]["enum"]
    assert list(STATUSES) == props["status"]["enum"]
    text = json.dumps(_schema())
    assert json.dumps({"enum": list(RELATIONS)}) in text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, None),
        ({"promotion": None}, None),
        ({"promotion": "promoted"}, None),
        ({"promotion": {"state": 3}}, None),
        ({"promotion": {"state": "promoted"}}, "promoted"),
    ],
)
def test_promotion_state_reads_text_only(data: dict[str, Any], expected: str | None) -> None:
    assert promotion_state(data) == expected


def test_status_reads_text_only() -> None:
    assert status({"status": "deployed"}) == "deployed"
    assert status({"status": ["deployed"]}) is None


def test_active_deployments_skip_undeployed_and_malformed_entries() -> None:
    data = {
        "deployments": [
            {"env": "staging", "undeployed_at": "2024-01-02T00:00:00Z"},
            "not a mapping",
            {"env": "production"},
            {"env": 7},
        ]
    }
    assert active_deployments(data) == [{"env": "production"}, {"env": 7}]
    assert active_envs(data) == ["production"]
    assert active_deployments({"deployments": "production"}) == []
