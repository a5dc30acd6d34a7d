"""The live server: JSON API answers, HEAD following, and a schemathesis fuzz of its OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRegistry, run_afsreg
from hypothesis import HealthCheck, given, settings
from web_fixtures import build_web_registry

pytest.importorskip("fastapi", reason="the serve extra installs FastAPI")
schemathesis = pytest.importorskip("schemathesis", reason="the test extra installs schemathesis")
from fastapi.testclient import TestClient  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from afsreg.web.server import create_app  # noqa: E402

# No 5xx, only documented status codes and content types, bodies as described.
# (Not "every schema-valid input is accepted": a malformed MLflow filter is a
# schema-valid string that MLflow itself answers with 400.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> GitRegistry:
    return build_web_registry(GitRegistry(tmp_path_factory.mktemp("server") / "registry"))


@pytest.fixture(scope="module")
def app(registry: GitRegistry) -> Any:
    return create_app(registry.root)


@pytest.fixture(scope="module")
def client(app: Any) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_api_fuzz(api_schema: Any) -> None:
    """Any input the OpenAPI allows, per operation: no 5xx, and every answer matches the description.

    Driven through schemathesis's Python API (bounded examples per operation)
    rather than its pytest plugin, which lags behind new pytest releases.
    """
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14  # the afsreg JSON API and the MLflow read API
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        check()


def afsreg_json(registry: GitRegistry, *args: str) -> Any:
    result = run_afsreg([*args, "--format", "json"], cwd=registry.root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_api_matches_the_cli(client: TestClient, registry: GitRegistry) -> None:
    assert client.get("/api/models").json() == afsreg_json(registry, "list")
    detail = client.get("/api/models/coder").json()
    assert detail["version_rows"] == afsreg_json(registry, "versions", "coder")
    assert client.get("/api/versions/coder@v2").json() == afsreg_json(registry, "show", "coder@v2")
    assert client.get("/api/resolve", params={"ref": "coder@production"}).json()["resolved"] == (
        "coder@v2"
    )
    assert client.get("/api/resolve", params={"ref": "tiny-coder@promoted"}).json()["path"] == (
        "models/tiny-coder/v1.yaml"
    )
    up = client.get("/api/lineage/tiny-coder@v1").json()
    assert [s["ref"] for s in up][:2] == ["tiny-coder@v1", "coder@v2"]
    log = client.get("/api/history/coder@v2").json()
    assert log == afsreg_json(registry, "log", "coder@v2")["commits"]
    found = client.get("/api/search", params={"q": "metrics.accuracy > 0.8"}).json()
    assert [r["ref"] for r in found] == ["coder@v2"]
    assert len(client.get("/api/search").json()) == 4
    assert client.get("/api/search", params={"q": "accuracy >"}).status_code == 400


def test_errors_are_json_with_status(client: TestClient) -> None:
    assert client.get("/api/versions/coder@v9").status_code == 404
    assert client.get("/api/versions/Coder").status_code == 422
    assert client.get("/api/resolve", params={"ref": "coder@canary"}).status_code == 404
    assert client.get("/models/nope/index.html").status_code == 404
    assert client.get("/static/../../etc/passwd").status_code == 404
    assert client.get("/models/coder/v9.html").status_code == 404
    runs = client.get("/api/2.0/mlflow/runs/get", params={"run_id": "1"})
    assert runs.status_code == 404 and runs.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_pages_and_card(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200 and "coder" in index.text
    moved = client.get("/models/coder", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "coder/index.html"
    assert client.get("/models/coder").url.path == "/models/coder/index.html"
    assert "<svg" in client.get("/models/coder/v2.html").text
    card = client.get("/models/coder/v2.card.md")
    assert card.headers["content-type"].startswith("text/markdown")
    assert card.text.startswith("---\n")


def test_server_follows_head_and_never_writes(tmp_path: Path) -> None:
    repo = build_web_registry(GitRegistry(tmp_path / "registry"))
    before = repo.git("status", "--porcelain", "--ignored")
    client = TestClient(create_app(repo.root))
    head = client.get("/api/health").json()["commit"]
    assert head == repo.git("rev-parse", "HEAD").strip()
    repo.write_model("fresh", "v1")
    repo.commit("a fresh model")
    after = client.get("/api/health").json()
    assert after["commit"] != head and after["versions"] == 5
    assert "fresh" in client.get("/").text
    repo.git("reset", "-q", "--hard", "HEAD~1")  # HEAD may also move back
    assert client.get("/api/health").json()["commit"] == head
    assert repo.git("status", "--porcelain") == before.replace("!! .afsreg/\n", "")


def test_the_serve_command(registry: GitRegistry) -> None:
    """``afsreg serve`` as a user runs it: answers on 127.0.0.1, stops on SIGTERM."""
    import http.client
    import subprocess
    import time

    from conftest import BIN_DIR
    from web_fixtures import free_port

    port = free_port()
    proc = subprocess.Popen(
        [f"{BIN_DIR}/afsreg", "serve", "--port", str(port)],
        cwd=registry.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/health")
                health = json.loads(conn.getresponse().read())
                break
            except OSError:
                assert time.monotonic() < deadline, "afsreg serve did not answer"
                time.sleep(0.2)
        assert health["commit"] == registry.git("rev-parse", "HEAD").strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
