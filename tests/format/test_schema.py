import json
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from jsonschema import Draft7Validator

from afsreg import ValidationError, validate_metadata
from afsreg.format.schema import SCHEMA_NAMES, Schemas, packaged_schema_dir, schema_dir_for

REPO = REPO_ROOT

GOOD_INTERNAL = {
    "model_family": "transformer",
    "framework": "pytorch",
    "parameter_count": 1000,
    "is_external": False,
    "training_data": [{"name": "SEA-AD"}],
    "training_config": {"epochs": 3},
    "evaluation_dataset": "held-out",
    "evaluation_metrics": {"accuracy": 0.9},
}
GOOD_EXTERNAL = {
    "model_family": "qwen2.5-coder",
    "framework": "huggingface",
    "parameter_count": 7_000_000_000,
    "is_external": True,
    "external_source_url": "https://huggingface.co/Qwen/Qwen2.5-Coder-7B",
    "external_source_version": "0123abcd",
}


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schemas_are_valid_draft7(name: str) -> None:
    schema = json.loads((REPO / "schemas" / name).read_text())
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_metadata_schema_branches_on_is_external_with_explicit_required_arrays() -> None:
    schema = json.loads((REPO / "schemas" / "model_artifact_metadata.json").read_text())
    branches = {b["title"]: b for b in schema["oneOf"]}
    assert branches["external model"]["properties"]["is_external"] == {"const": True}
    assert branches["external model"]["required"] == [
        "external_source_url",
        "external_source_version",
    ]
    assert branches["internal model"]["properties"]["is_external"] == {"const": False}
    assert "training_data" in branches["internal model"]["required"]


def test_validate_metadata_accepts_good_payloads() -> None:
    validate_metadata(GOOD_INTERNAL)
    validate_metadata(GOOD_EXTERNAL)


def test_validate_metadata_rejects_a_bad_payload_naming_every_problem() -> None:
    bad = {**GOOD_INTERNAL, "parameter_count": -1, "evaluation_metrics": {"accuracy": 1.5}}
    del bad["training_data"]
    with pytest.raises(ValidationError) as info:
        validate_metadata(bad)
    message = str(info.value)
    assert "training_data: required field is missing" in message
    assert "parameter_count: must be >= 0" in message
    assert "evaluation_metrics.accuracy: must be <= 1" in message
    assert len(info.value.problems) == 3


def test_external_without_source_reports_the_external_branch_not_oneof() -> None:
    bad = {k: v for k, v in GOOD_EXTERNAL.items() if k != "external_source_version"}
    with pytest.raises(ValidationError) as info:
        validate_metadata(bad)
    fields = [p.field for p in info.value.problems]
    assert fields == ["external_source_version"]
    assert "any of the given schemas" not in str(info.value)


def test_null_needs_a_review_flag() -> None:
    unknown = {**GOOD_INTERNAL, "parameter_count": None}
    with pytest.raises(ValidationError, match="parameter_count: is null"):
        validate_metadata(unknown)
    validate_metadata(unknown, review_fields=["parameter_count"])


def test_registry_schemas_take_precedence_over_packaged(tmp_path: Path) -> None:
    assert schema_dir_for(tmp_path) == packaged_schema_dir()
    (tmp_path / "schemas").mkdir()
    for name in SCHEMA_NAMES:
        (tmp_path / "schemas" / name).write_text((REPO / "schemas" / name).read_text())
    assert schema_dir_for(tmp_path) == tmp_path / "schemas"
    assert Schemas.load(tmp_path).digest == Schemas.load(None).digest


def test_packaged_schemas_are_this_repositorys_schemas() -> None:
    for name in SCHEMA_NAMES:
        assert (packaged_schema_dir() / name).read_bytes() == (REPO / "schemas" / name).read_bytes()


def test_fast_path_agrees_with_jsonschema_on_mutated_documents() -> None:
    """The compiled first pass may never call a file valid that jsonschema rejects."""
    import copy
    import random

    from conftest import model_doc

    schemas = Schemas.load(None)
    base = model_doc(
        "m",
        "v1",
        lineage={
            "parent": "v0",
            "base_models": [
                {"external": "Qwen/Qwen2.5", "source": "huggingface", "relation": "merge"}
            ],
        },
        training={"started_at": "2026-01-01T00:00:00Z"},
        code={"repo_url": "https://x.org/r"},
        files={"lora": {"path": "/x"}},
        deployments=[{"env": "prod", "deployed_at": "2026-01-01T00:00:00Z", "deployed_by": "a"}],
    )
    weird: list[object] = [None, -1, 1.5, "", "x", "2026-13-01", "not a uri", [], {}, True, 10**12]
    rng = random.Random(7)
    for _ in range(600):
        doc = copy.deepcopy(base)
        target = doc
        path = [rng.choice(list(doc))]
        while isinstance(target.get(path[-1]), dict) and target[path[-1]] and rng.random() < 0.6:
            target = target[path[-1]]
            path.append(rng.choice(list(target)))
        target[path[-1]] = rng.choice(weird)
        full = schemas.file_problems(doc, "x", lambda _: (1, 1))
        assert schemas.file_is_valid(doc) == (full == []), (path, target[path[-1]], full)


def test_the_shipped_compiled_check_is_made_from_the_packaged_schemas() -> None:
    from afsreg.format import compiled_check

    assert Schemas.load(None).digest == compiled_check.SCHEMA_DIGEST, (
        "schemas/ changed: run python -c 'from afsreg.format.schema import "
        "write_compiled_check; write_compiled_check()'"
    )


def test_a_registrys_own_schema_is_compiled_and_gates_the_same_way(tmp_path: Path) -> None:
    """A schema afsreg does not ship is compiled at first use, and still says no."""
    (tmp_path / "schemas").mkdir()
    for name in SCHEMA_NAMES:
        text = (REPO / "schemas" / name).read_text()
        (tmp_path / "schemas" / name).write_text(text + "\n")  # the same rules, another digest
    own = Schemas.load(tmp_path)
    assert own.digest != Schemas.load(None).digest
    assert own.file_is_valid({"name": "m"}) is False
    assert own.file_is_valid({}) is Schemas.load(None).file_is_valid({})
