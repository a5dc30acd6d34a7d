"""The summary of a version file: what it holds, and its cached form (JSON) read back."""

from __future__ import annotations

import json

import pytest

from afsreg.format.record import (
    SUMMARY_FIELDS,
    ModelVersion,
    summarize,
    summary_from_json,
    summary_to_json,
)

DATA = {
    "name": "majora",
    "version": "v2",
    "title": "Majora v2",
    "owner": "ana",
    "promotion": {"state": "superseded", "superseded_by": "v3"},
    "status": "completed",
    "lineage": {"parent": "v1", "base_models": [{"external": "Qwen/Qwen2.5-Coder-7B"}, "junk"]},
    "deployments": [
        {"env": "production", "deployed_at": "2026-01-01T00:00:00Z"},
        {
            "env": "staging",
            "deployed_at": "2026-01-02T00:00:00Z",
            "undeployed_at": "2026-01-03T00:00:00Z",
        },
    ],
    "review": [{"field": "owner", "reason": "guessed"}],
}


class _Source:
    path = "models/majora/v2.yaml"
    blob_id = "0" * 40
    content = b""


def test_a_summary_survives_the_json_round_trip_unchanged() -> None:
    summary = summarize(DATA, "majora", "v2")
    cached = json.loads(json.dumps(summary_to_json(summary)))
    assert summary_from_json(cached) == summary
    assert list(summary) == list(SUMMARY_FIELDS)


def test_a_cached_row_of_another_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        summary_from_json(["majora", "v2"])
    with pytest.raises(ValueError):
        summary_from_json({"name": "majora"})


def test_model_version_reads_its_fields_from_the_summary() -> None:
    version = ModelVersion(_Source(), summarize(DATA, "majora", "v2"))
    assert (version.name, version.version, version.ref_text) == ("majora", "v2", "majora@v2")
    assert (version.promotion_state, version.superseded_by) == ("superseded", "v3")
    assert (version.status, version.parent, version.owner) == ("completed", "v1", "ana")
    assert version.artifact_id == "majora@v2"
    assert version.active_envs == ["production"]
    assert version.deployed_spans == [
        ("production", "2026-01-01T00:00:00Z", None),
        ("staging", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"),
    ]
    assert version.review_count == 1
    assert version.base_models == [{"external": "Qwen/Qwen2.5-Coder-7B"}]


def test_a_malformed_file_summarizes_leniently() -> None:
    summary = summarize(["not", "a", "mapping"], "majora", "v1")
    assert summary["promotion_state"] == "candidate"
    assert summary["active_envs"] == [] and summary["deployed_spans"] == []
