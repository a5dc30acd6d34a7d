"""The real MLflow client reads the registry through afsreg serve's MLflow API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GitRegistry, run_afsreg
from web_fixtures import LiveServer, build_web_registry

from afsreg.web.mlflow import Clause, parse_filter

mlflow = pytest.importorskip("mlflow", reason="the test extra installs mlflow-skinny")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> GitRegistry:
    return build_web_registry(GitRegistry(tmp_path_factory.mktemp("mlflow") / "registry"))


@pytest.fixture(scope="module")
def server(registry: GitRegistry) -> Iterator[LiveServer]:
    with LiveServer(registry.root) as live:
        yield live


@pytest.fixture(scope="module")
def client(server: LiveServer) -> MlflowClient:
    return MlflowClient(tracking_uri=server.url, registry_uri=server.url)


def show(registry: GitRegistry, ref: str) -> dict:
    result = run_afsreg(["show", ref, "--format", "json"], cwd=registry.root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def tags(entity: object) -> dict[str, str]:
    return dict(entity.tags)  # type: ignore[attr-defined]


def test_registered_model_matches_afsreg(client: MlflowClient, registry: GitRegistry) -> None:
    model = client.get_registered_model("coder")
    assert model.name == "coder"
    assert model.description == show(registry, "coder@v2")["description"]
    assert model.aliases == {"production": "2", "promoted": "2"}


def test_versions_are_numbered_in_version_order(
    client: MlflowClient, registry: GitRegistry
) -> None:
    for number, ref in (("1", "coder@v1"), ("2", "coder@v2")):
        version = client.get_model_version("coder", number)
        data = show(registry, ref)
        assert tags(version)["afsreg.version"] == data["version"]
        assert tags(version)["afsreg.promotion_state"] == data["promotion"]["state"]
        assert version.user_id == data["owner"]
        assert version.source == data["files"]["lora"]["path"]
        assert version.run_id == data["code"]["commit_sha"]
    with pytest.raises(MlflowException) as missing:
        client.get_model_version("coder", "9")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_aliases_are_deployments_and_promotion(client: MlflowClient) -> None:
    production = client.get_model_version_by_alias("coder", "production")
    assert tags(production)["afsreg.version"] == "v2"
    assert client.get_model_version_by_alias("coder", "promoted").version == "2"
    staging = client.get_model_version_by_alias("tiny-coder", "staging")
    assert tags(staging)["afsreg.ref"] == "tiny-coder@v1"
    with pytest.raises(MlflowException) as missing:
        client.get_model_version_by_alias("coder", "staging")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_search_with_mlflow_filters(client: MlflowClient) -> None:
    every = client.search_model_versions()
    assert {(v.name, tags(v)["afsreg.version"]) for v in every} == {
        ("coder", "v1"),
        ("coder", "v2"),
        ("qwen-coder", "v1"),
        ("tiny-coder", "v1"),
    }
    coder = client.search_model_versions("name = 'coder'", order_by=["version_number ASC"])
    assert [v.version for v in coder] == ["1", "2"]
    like = client.search_model_versions("name LIKE '%coder' AND tags.`afsreg.status` = 'deployed'")
    assert sorted(v.name for v in like) == ["coder", "tiny-coder"]
    newer = client.search_model_versions("name = 'coder' AND version_number > 1")
    assert [tags(v)["afsreg.version"] for v in newer] == ["v2"]
    models = client.search_registered_models("name ILIKE 'TINY%'")
    assert [m.name for m in models] == ["tiny-coder"]
    assert {m.name for m in client.search_registered_models()} == {
        "coder",
        "qwen-coder",
        "tiny-coder",
    }
    with pytest.raises(MlflowException) as bad:
        client.search_model_versions("name === 'coder'")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"


def test_search_pages_through_results(client: MlflowClient) -> None:
    first = client.search_model_versions(max_results=3)
    assert len(first) == 3 and first.token
    rest = client.search_model_versions(max_results=3, page_token=first.token)
    assert len(rest) == 1 and not rest.token


@pytest.mark.filterwarnings("ignore::FutureWarning")  # stages are deprecated in MLflow
def test_latest_versions_by_stage(client: MlflowClient) -> None:
    latest = client.get_latest_versions("coder", stages=["Production"])
    assert [(v.version, v.current_stage) for v in latest] == [("2", "Production")]


def test_download_uri_is_the_first_file(client: MlflowClient, registry: GitRegistry) -> None:
    assert (
        client.get_model_version_download_uri("coder", "1")
        == show(registry, "coder@v1")["files"]["lora"]["path"]
    )
    external = client.get_model_version_download_uri("qwen-coder", "1")
    assert external == show(registry, "qwen-coder@v1")["external_source_url"]


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_writes_are_refused_naming_the_afsreg_command(client: MlflowClient) -> None:
    for write in (
        lambda: client.create_registered_model("new-model"),
        lambda: client.set_registered_model_alias("coder", "champion", "1"),
        lambda: client.transition_model_version_stage("coder", "1", "Production"),
    ):
        with pytest.raises(MlflowException) as refused:
            write()
        assert refused.value.error_code == "PERMISSION_DENIED", refused.value
        assert "pull request" in refused.value.message and "afsreg " in refused.value.message


def test_new_commits_show_without_a_restart(tmp_path: Path) -> None:
    repo = build_web_registry(GitRegistry(tmp_path / "registry"))
    with LiveServer(repo.root) as live:
        client = MlflowClient(tracking_uri=live.url, registry_uri=live.url)
        assert len(client.search_model_versions("name = 'coder'")) == 2
        repo.write_model("coder", "v3", title="Coder v3", created_at="2026-02-01T00:00:00Z")
        # Not committed yet: the server reads HEAD, not the working tree.
        assert len(client.search_model_versions("name = 'coder'")) == 2
        repo.commit("coder v3")
        v3 = client.get_model_version("coder", "3")
        assert tags(v3)["afsreg.version"] == "v3"
        assert (repo.root / "models" / "coder" / "v3.yaml").is_file()


def test_filter_grammar() -> None:
    keys = ("name", "version_number", "run_id", "source_path")
    assert parse_filter("name='a' and tags.`x y` != \"b\"", keys) == [
        Clause("name", "=", "a"),
        Clause("tags.x y", "!=", "b"),
    ]
    assert parse_filter("run_id IN ('a', 'b')", keys) == [Clause("run_id", "IN", ["a", "b"])]
    assert parse_filter("name NOT IN ('a')", keys) == [Clause("name", "NOT IN", ["a"])]
    assert parse_filter("version_number >= 2", keys) == [Clause("version_number", ">=", 2)]
    for bad in ("name", "name =", "name = 'a' OR name = 'b'", "colour = 'red'", "name ~ 'a'"):
        with pytest.raises(Exception, match="Invalid"):
            parse_filter(bad, keys)


def test_page_sizes_are_checked_per_search(server: LiveServer) -> None:
    """Each search has MLflow's own bounds; outside them, MLflow's error code."""
    import httpx

    base = f"{server.url}/api/2.0/mlflow"
    too_many = httpx.get(f"{base}/registered-models/search", params={"max_results": 1001})
    assert too_many.status_code == 400
    assert too_many.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    allowed = httpx.get(f"{base}/model-versions/search", params={"max_results": 1001})
    assert allowed.status_code == 200 and "next_page_token" not in allowed.json()
    first = httpx.get(f"{base}/model-versions/search", params={"max_results": 1})
    assert len(first.json()["model_versions"]) == 1 and first.json()["next_page_token"] == "1"
