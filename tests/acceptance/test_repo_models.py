"""This repository's own registry: the models of seed 000 and seed 001."""

from conftest import REPO_ROOT

from afsreg import Registry

REPO = REPO_ROOT

SEED_000 = {
    "neurodegeneration-risk-predictor": "model-29ce54ef-",
    "amyloid-production-clearance": "model-56e6e50d-",
    "cell-type-classifier": "model-14307274-",
    "ad-risk-prediction": "model-8479a365-",
    "microglial-activation": "model-45e16a37-",
    "microglial-amyloid-cytokine-activation": "model-9ccc79de-",
    "ot-ad-target-ranking": "model_ot_ad_zscore_rules_v1",
    "microglial-activation-ode": "model-biophys-microglia-001",
}
ODES = {"amyloid-production-clearance", "microglial-activation-ode"}


def test_every_file_is_valid() -> None:
    registry = Registry.open(REPO)
    assert registry.errors == []
    assert len(registry) == 10


def test_seed_000_backfill_criteria() -> None:
    registry = Registry.open(REPO)
    states = {name: registry.get(f"{name}@v1").promotion_state for name in SEED_000}
    assert "rejected" not in states.values()
    assert sum(s == "promoted" for s in states.values()) >= 6
    assert {n for n, s in states.items() if s != "promoted"} <= ODES


def test_truncated_artifact_ids_are_flagged_not_guessed() -> None:
    registry = Registry.open(REPO)
    for name, known in SEED_000.items():
        version = registry.get(f"{name}@v1")
        if known.endswith("-"):
            assert version.data["artifact_id"] is None
            flag = next(f for f in version.review if f["field"] == "artifact_id")
            assert flag["known"] == known
        else:
            assert version.artifact_id == known


def test_seed_001_majora() -> None:
    registry = Registry.open(REPO)
    v1, v2 = registry.get("majora@v1"), registry.get("majora@v2")
    assert v1.data["evaluation_metrics"]["accuracy"] == 0.85
    assert v2.data["evaluation_metrics"]["accuracy"] == 0.87
    assert v1.status == "deployed" and v2.status == "completed"
    assert v2.parent == "v1" and v1.data["code"]["commit_sha"] == "abc123def456"
    assert v1.data["files"]["gguf"]["path"] == "/models/majora-v1-Q8_0.gguf"
