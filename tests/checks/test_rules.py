"""Every validation rule, each with a failing and a passing registry."""

from pathlib import Path

from conftest import GitRegistry, dump, model_doc

from afsreg.registry import Registry


def errors(root: Path) -> list[str]:
    return [str(p) for p in Registry.open(root).errors]


def test_a_valid_registry_has_no_errors(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1")
    git_registry.write_model("m", "v2", lineage={"parent": "v1"})
    assert errors(git_registry.root) == []


def test_schema_error_points_at_the_line_of_the_value(git_registry: GitRegistry) -> None:
    path = git_registry.write_model("m", "v1", parameter_count="many")
    line = path.read_text().splitlines().index("parameter_count: many") + 1
    assert errors(git_registry.root) == [
        f'models/m/v1.yaml:{line}:1: parameter_count: expected integer or null, got string "many"'
    ]


def test_all_problems_are_reported_in_one_run(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", status="shipped", owner="", promotion={"state": "maybe"})
    found = errors(git_registry.root)
    assert {e.split(": ")[1] for e in found} == {"status", "owner", "promotion.state"}


def test_unknown_field(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", acuracy=0.9)
    [problem] = errors(git_registry.root)
    assert "acuracy: unknown field" in problem


def test_external_model_branch(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", is_external=True)
    found = errors(git_registry.root)
    assert any("external_source_url: required field is missing" in e for e in found)
    assert not any("any of the given schemas" in e for e in found)
    git_registry.write_model(
        "m",
        "v1",
        is_external=True,
        external_source_url="https://hf.co/x",
        external_source_version="abc",
    )
    assert errors(git_registry.root) == []


def test_unquoted_dates_are_checked_as_dates(git_registry: GitRegistry) -> None:
    good = dump(model_doc("m", "v1")) + "training:\n  started_at: 2026-01-14T12:00:00Z\n"
    git_registry.write("models/m/v1.yaml", good)
    assert errors(git_registry.root) == []
    git_registry.write(
        "models/m/v1.yaml", good.replace("2026-01-14T12:00:00Z", "2026-13-45T99:00:00Z")
    )
    [problem] = errors(git_registry.root)
    assert "training.started_at: expected an ISO 8601 date and time" in problem
    git_registry.write("models/m/v1.yaml", good.replace("2026-01-14T12:00:00Z", "2026-01-14"))
    [problem] = errors(git_registry.root)
    assert "training.started_at" in problem and "not of type" not in problem


def test_null_without_review_flag(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", parameter_count=None)
    [problem] = errors(git_registry.root)
    assert "parameter_count: is null (unknown) but no review flag names it" in problem
    git_registry.write_model(
        "m", "v1", parameter_count=None, review=[{"field": "parameter_count", "reason": "unknown"}]
    )
    registry = Registry.open(git_registry.root)
    assert registry.errors == []
    assert [w.message for w in registry.warnings] == ["open review flag: unknown"]


def test_path_must_match_name_and_version(git_registry: GitRegistry) -> None:
    git_registry.write("models/m/v1.yaml", dump(model_doc("other", "v2")))
    found = errors(git_registry.root)
    assert any("name: is 'other' but the file is at models/m/v1.yaml" in e for e in found)
    assert any("version: is 'v2'" in e for e in found)


def test_layout_rules(git_registry: GitRegistry) -> None:
    git_registry.write("models/m/v1.yml", dump(model_doc("m", "v1")))
    git_registry.write("models/loose.yaml", dump(model_doc("m", "v1")))
    git_registry.write("models/Bad_Name/v1.yaml", dump(model_doc("Bad_Name", "v1")))
    found = "\n".join(errors(git_registry.root))
    assert "models/m/v1.yml:1:1: (file): model files end in .yaml" in found
    assert (
        "models/loose.yaml:1:1: (file): model files live at models/<name>/<version>.yaml" in found
    )
    assert "models/Bad_Name/v1.yaml:1:1: name: folder 'Bad_Name' is not a valid model name" in found


def test_case_only_collision(git_registry: GitRegistry) -> None:
    git_registry.write_model("majora", "v1")
    git_registry.write("models/Majora/v2.yaml", dump(model_doc("Majora", "v2")))
    found = "\n".join(errors(git_registry.root))
    assert "differs only in case" in found


def test_symlink_is_refused(git_registry: GitRegistry, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(dump(model_doc("m", "v1")))
    (git_registry.root / "models" / "m").mkdir()
    (git_registry.root / "models" / "m" / "v1.yaml").symlink_to(outside)
    [problem] = errors(git_registry.root)
    assert "is a symbolic link" in problem


def test_unique_artifact_ids(git_registry: GitRegistry) -> None:
    git_registry.write_model("a", "v1", artifact_id="model-1")
    git_registry.write_model("b", "v1", artifact_id="model-1")
    found = errors(git_registry.root)
    assert len(found) == 2 and all("'model-1' is also the artifact id of" in e for e in found)


def test_equal_version_numbers(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1")
    git_registry.write_model("m", "v1.0", artifact_id="other")
    assert any("same version number" in e for e in errors(git_registry.root))


def test_parent_and_base_must_exist(git_registry: GitRegistry) -> None:
    git_registry.write_model(
        "m",
        "v2",
        lineage={"parent": "v1", "base_models": [{"model": "base@v3", "relation": "fine-tune"}]},
    )
    found = "\n".join(errors(git_registry.root))
    assert "lineage.parent: m@v1 does not exist" in found
    assert "lineage.base_models[0].model: base@v3 does not exist" in found
    git_registry.write_model("m", "v1")
    git_registry.write_model("base", "v3")
    assert errors(git_registry.root) == []


def test_cycles_are_found(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", lineage={"parent": "v2"})
    git_registry.write_model("m", "v2", lineage={"parent": "v1"})
    found = errors(git_registry.root)
    assert any("lineage cycle: m@v" in e for e in found)


def test_deep_chain_has_no_recursion_limit(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1")
    for i in range(2, 1500):
        git_registry.write_model("m", f"v{i}", lineage={"parent": f"v{i - 1}"})
    assert errors(git_registry.root) == []


def test_at_most_one_promoted(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", promotion={"state": "promoted"})
    git_registry.write_model("m", "v2", promotion={"state": "promoted"})
    found = errors(git_registry.root)
    assert len(found) == 2 and all("2 versions of m are promoted (v1, v2)" in e for e in found)
    git_registry.write_model("m", "v1", promotion={"state": "superseded", "superseded_by": "v2"})
    assert errors(git_registry.root) == []


def test_deployments_are_consistent(git_registry: GitRegistry) -> None:
    deployment = {"env": "prod", "deployed_at": "2026-01-01T00:00:00Z", "deployed_by": "alice"}
    git_registry.write_model(
        "m", "v1", promotion={"state": "candidate"}, status="deployed", deployments=[deployment]
    )
    assert any("only a promoted version can be deployed" in e for e in errors(git_registry.root))
    git_registry.write_model(
        "m", "v1", promotion={"state": "promoted"}, status="completed", deployments=[deployment]
    )
    assert any("set status: deployed" in e for e in errors(git_registry.root))
    git_registry.write_model(
        "m", "v1", promotion={"state": "promoted"}, status="deployed", deployments=[deployment]
    )
    git_registry.write_model(
        "m", "v2", promotion={"state": "superseded"}, status="deployed", deployments=[deployment]
    )
    assert any("2 versions of m are deployed in prod" in e for e in errors(git_registry.root))


def test_base_model_is_internal_or_external_not_both(git_registry: GitRegistry) -> None:
    git_registry.write_model(
        "m",
        "v1",
        lineage={
            "base_models": [
                {
                    "model": "m@v0",
                    "external": "Qwen/Qwen2.5",
                    "source": "huggingface",
                    "relation": "merge",
                }
            ]
        },
    )
    assert any("not both" in e for e in errors(git_registry.root))
