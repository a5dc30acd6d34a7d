"""Read views that used to hide problems, and data validate used to accept (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import GitRegistry, dump, model_doc, run_afsreg

BROKEN = "schema_version: 1\nname: m\nversion: v2\ntitle: [unclosed\n"


@pytest.fixture
def with_broken_version(git_registry: GitRegistry) -> GitRegistry:
    """m@v1 fine, m@v2 promoted then broken in the working tree; n@v1 whose only file is broken."""
    git_registry.write_model("m", "v1")
    git_registry.write_model("m", "v2", promotion={"state": "promoted"})
    git_registry.write("models/n/v1.yaml", BROKEN.replace("name: m", "name: n"))
    git_registry.commit("start")
    git_registry.write("models/m/v2.yaml", BROKEN)
    return git_registry


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--format", "json"],
        ["versions", "m"],
        ["tree", "m"],
        ["graph"],
        ["graph", "m", "--format", "dot"],
        ["review"],
        ["lineage", "m@v1"],
    ],
)
def test_read_views_name_unreadable_files_and_exit_1(
    with_broken_version: GitRegistry, args: list[str]
) -> None:
    result = run_afsreg(args, with_broken_version.root)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    assert "models/m/v2.yaml doesn't parse: " in result.stderr
    assert "models/n/v1.yaml doesn't parse: " in result.stderr
    assert result.stdout  # the rest of the registry is still answered


def test_show_of_a_broken_version_names_its_file_and_the_parse_error(
    with_broken_version: GitRegistry,
) -> None:
    result = run_afsreg(["show", "m@v2"], with_broken_version.root)
    assert result.returncode == 1
    assert "models/m/v2.yaml doesn't parse: " in result.stderr
    assert "is not in the registry" not in result.stderr
    result = run_afsreg(["versions", "n"], with_broken_version.root)
    assert result.returncode == 1
    assert "models/n/v1.yaml doesn't parse" in result.stderr


def test_read_views_at_a_clean_revision_still_exit_0(with_broken_version: GitRegistry) -> None:
    result = run_afsreg(["list", "--rev", "HEAD~0"], with_broken_version.root)
    # At HEAD n@v1 is broken too (committed broken): still named, still exit 1.
    assert result.returncode == 1 and "models/n/v1.yaml" in result.stderr
    with_broken_version.remove("models/n/v1.yaml")
    with_broken_version.write_model("m", "v2", promotion={"state": "promoted"})
    result = run_afsreg(["list"], with_broken_version.root)
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_diff_says_no_longer_parses_not_removed(with_broken_version: GitRegistry, fmt: str) -> None:
    result = run_afsreg(["diff", "HEAD", "--format", fmt], with_broken_version.root)
    assert "Traceback" not in result.stderr
    out = result.stdout
    if fmt == "json":
        import json

        data = json.loads(out)
        kinds = {v["ref"]: v["change"] for v in data["versions"]}
        assert kinds == {"m@v2": "unparseable"}
        assert data["summary"]["removed"] == 0
    else:
        assert "no longer parses" in out
        assert "removed" not in out.replace("0 removed", "")
    assert "models/m/v2.yaml doesn't parse" in result.stderr


def test_diff_still_reports_a_real_removal(with_broken_version: GitRegistry) -> None:
    with_broken_version.remove("models/m/v2.yaml")
    result = run_afsreg(["diff", "HEAD", "--format", "json"], with_broken_version.root)
    assert '"change": "removed"' in result.stdout


def test_two_promoted_versions_committed_without_the_hook_are_warned(
    git_registry: GitRegistry,
) -> None:
    git_registry.write_model("m", "v1", promotion={"state": "promoted"})
    git_registry.write_model("m", "v2", promotion={"state": "promoted"})
    git_registry.commit("skip the hook")  # --no-verify
    for args in (["list"], ["list", "--rev", "HEAD"], ["show", "m@v1"]):
        result = run_afsreg(args, git_registry.root)
        assert "2 versions of m are promoted" in result.stderr, args
        assert "warning: models/m/v1.yaml:" in result.stderr


# -- data validate must refuse ------------------------------------------------------


def deployment(env: str, at: str, until: str | None = None) -> dict[str, Any]:
    entry = {"env": env, "deployed_at": at, "deployed_by": "alice"}
    if until:
        entry["undeployed_at"] = until
    return entry


DAY = "2026-01-0{}T00:00:00Z".format


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # two active deployments of one model in one env, in different files
            {
                "v1": {
                    "promotion": {"state": "superseded", "superseded_by": "v2"},
                    "status": "deployed",
                    "deployments": [deployment("production", DAY(1))],
                },
                "v2": {
                    "promotion": {"state": "promoted"},
                    "status": "deployed",
                    "deployments": [deployment("production", DAY(2))],
                },
            },
            "models/m/v1.yaml:22:1: deployments: 2 versions of m are deployed in production",
        ),
        (  # undeployed_at before deployed_at
            {
                "v1": {
                    "promotion": {"state": "promoted"},
                    "deployments": [deployment("production", DAY(2), DAY(1))],
                }
            },
            "deployments[0].undeployed_at: is before deployed_at",
        ),
        (  # overlapping records in one file
            {
                "v1": {
                    "promotion": {"state": "promoted"},
                    "status": "deployed",
                    "deployments": [
                        deployment("production", DAY(1), DAY(5)),
                        deployment("production", DAY(3)),
                    ],
                }
            },
            "deployments[1]: overlaps deployments[0] in production",
        ),
        (  # two active records in one file
            {
                "v1": {
                    "promotion": {"state": "promoted"},
                    "status": "deployed",
                    "deployments": [
                        deployment("production", DAY(1)),
                        deployment("production", DAY(3)),
                    ],
                }
            },
            "deployments[1]: overlaps deployments[0] in production",
        ),
        (  # overlapping records across files
            {
                "v1": {
                    "promotion": {"state": "superseded", "superseded_by": "v2"},
                    "deployments": [deployment("production", DAY(1), DAY(5))],
                },
                "v2": {
                    "promotion": {"state": "promoted"},
                    "status": "deployed",
                    "deployments": [deployment("production", DAY(3))],
                },
            },
            "models/m/v2.yaml:21:1: deployments: deployed in production at 2026-01-03",
        ),
        (  # superseded_by naming itself
            {"v1": {"promotion": {"state": "superseded", "superseded_by": "v1"}}},
            "promotion.superseded_by: a version cannot be superseded by itself",
        ),
    ],
)
def test_validate_refuses_inconsistent_deployment_and_promotion_data(
    git_registry: GitRegistry, files: dict[str, dict[str, Any]], expected: str
) -> None:
    for version, overrides in files.items():
        git_registry.write_model("m", version, **overrides)
    result = run_afsreg(["validate"], git_registry.root)
    assert result.returncode == 1, result
    assert expected in result.stderr


def test_back_to_back_deployments_and_a_rollback_are_fine(git_registry: GitRegistry) -> None:
    git_registry.write_model(
        "m",
        "v1",
        promotion={"state": "superseded", "superseded_by": "v2"},
        status="deployed",
        deployments=[deployment("production", DAY(1), DAY(2)), deployment("production", DAY(3))],
    )
    git_registry.write_model(
        "m",
        "v2",
        promotion={"state": "promoted"},
        deployments=[deployment("production", DAY(2), DAY(3)), deployment("staging", DAY(1))],
        status="deployed",
    )
    result = run_afsreg(["validate"], git_registry.root)
    assert result.returncode == 0, result


def test_a_newline_in_a_folder_name_cannot_fake_a_problem_line(git_registry: GitRegistry) -> None:
    # Printed raw, "models/x<newline>models/v1.yaml:1:1: ..." shows a line for models/v1.yaml.
    git_registry.write("models/x\nmodels/v1.yaml", dump(model_doc("m", "v1")))
    for args in (["validate"], ["list"], ["validate", "--format", "json"]):
        result = run_afsreg(args, git_registry.root)
        lines = (result.stdout + result.stderr).splitlines()
        assert not any(
            line.removeprefix("warning: ").startswith("models/v1.yaml") for line in lines
        )
        assert any("x\\nmodels" in line for line in lines), lines


def test_deployments_replaced_within_one_second_do_not_overlap(git_registry: GitRegistry) -> None:
    """Timestamps are to the second: deploy, roll back and deploy again can share one."""
    at = DAY(1)
    git_registry.write_model(
        "m",
        "v1",
        promotion={"state": "superseded", "superseded_by": "v2"},
        status="deployed",
        deployments=[deployment("production", at, at), deployment("production", at)],
    )
    git_registry.write_model(
        "m",
        "v2",
        promotion={"state": "promoted"},
        status="completed",
        deployments=[deployment("production", at, at)],
    )
    result = run_afsreg(["validate"], git_registry.root)
    assert result.returncode == 0, result
