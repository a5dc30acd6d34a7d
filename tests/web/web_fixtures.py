"""A small registry with history, lineage, deployments and card fields, and a live server on it.

Test modules import the helpers and declare their own module-scoped fixtures
from them (a second conftest.py would clash with tests/conftest.py by name).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

from conftest import GitRegistry, dump, model_doc

from afsreg import Registry

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
QWEN = {
    "external": "Qwen/Qwen2.5-Coder-7B",
    "source": "huggingface",
    "revision": "0123abcd",
    "relation": "fine-tune",
}
CARD_FIELDS: dict[str, Any] = {
    "license": "apache-2.0",
    "library_name": "peft",
    "pipeline_tag": "text-generation",
    "language": ["en", "code"],
}


def coder(version: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": f"Coder {version}",
        "description": "Writes 65816 assembly.",
        "owner": "alice",
        "tags": ["coder", "asm"],
        "framework": "unsloth",
        "model_family": "qwen2.5-coder",
        "created_at": "2026-01-10T09:00:00Z",
        "files": {"lora": {"path": f"/models/coder-{version}", "sha256": SHA}},
        "code": {"repo_url": "https://github.com/example/coder", "commit_sha": "3f2c9a1b7d4e"},
        **CARD_FIELDS,
    }
    return model_doc("coder", version, **{**fields, **overrides})


V1: dict[str, Any] = {
    "evaluation_metrics": {"accuracy": 0.8, "custom": {"pass@1": 0.4}},
    "evaluation_dataset": {"name": "asm-eval", "revision": "v3"},
    "lineage": {"base_models": [QWEN]},
}
V2: dict[str, Any] = {
    "evaluation_metrics": {"accuracy": 0.86, "custom": {"pass@1": 0.52}},
    "evaluation_dataset": {"name": "asm-eval", "revision": "v3"},
    "lineage": {"parent": "v1", "base_models": [{"model": "coder@v1", "relation": "fine-tune"}]},
    "created_at": "2026-01-14T09:00:00Z",
}


def deployed(env: str, at: str, until: str | None = None) -> dict[str, Any]:
    entry = {"env": env, "deployed_at": at, "deployed_by": "alice"}
    if until:
        entry.update(undeployed_at=until, undeployed_by="bob", reason="replaced")
    return entry


def put(repo: GitRegistry, doc: dict[str, Any]) -> None:
    repo.write(f"models/{doc['name']}/{doc['version']}.yaml", dump(doc))


def build_web_registry(repo: GitRegistry) -> GitRegistry:
    """Four commits by two authors: an external model, a fine-tune line, a distilled student."""
    repo.write_model(
        "qwen-coder",
        "v1",
        title="Qwen2.5 Coder 7B",
        is_external=True,
        external_source_url="https://huggingface.co/Qwen/Qwen2.5-Coder-7B",
        external_source_version="0123abcd",
        license="apache-2.0",
        tags=["external", "coder"],
        training_data=None,
        training_config=None,
        evaluation_dataset=None,
        evaluation_metrics=None,
        review=[
            {"field": "training_data", "reason": "not published"},
            {"field": "training_config", "reason": "not published"},
            {"field": "evaluation_dataset", "reason": "not measured here"},
            {"field": "evaluation_metrics", "reason": "not measured here"},
        ],
    )
    put(
        repo,
        coder(
            "v1",
            **V1,
        ),
    )
    repo.commit("register coder v1 and its base", date="2026-01-10T10:00:00Z")

    put(
        repo,
        coder(
            "v1",
            **V1,
            promotion={"state": "promoted", "decided_by": "alice"},
            status="deployed",
            deployments=[deployed("production", "2026-01-11T12:00:00Z")],
        ),
    )
    repo.commit("promote and deploy coder v1", date="2026-01-11T12:00:00Z")

    put(
        repo,
        coder(
            "v2",
            **V2,
        ),
    )
    repo.commit(
        "coder v2: more data", author="Bob Builder <bob@example.com>", date="2026-01-14T10:00:00Z"
    )

    put(
        repo,
        coder(
            "v1",
            **V1,
            promotion={"state": "superseded", "superseded_by": "v2"},
            status="completed",
            deployments=[deployed("production", "2026-01-11T12:00:00Z", "2026-01-15T12:00:00Z")],
        ),
    )
    put(
        repo,
        coder(
            "v2",
            **V2,
            promotion={"state": "promoted", "decided_by": "bob", "notes": "beats v1"},
            status="deployed",
            deployments=[deployed("production", "2026-01-15T12:00:00Z")],
        ),
    )
    repo.write_model(
        "tiny-coder",
        "v1",
        title="Tiny Coder",
        description="A 0.5B student distilled from coder v2.",
        framework="pytorch",
        tags=["coder", "small"],
        evaluation_metrics={"accuracy": 0.7},
        lineage={"base_models": [{"model": "coder@v2", "relation": "distill"}]},
        promotion={"state": "promoted"},
        status="deployed",
        deployments=[deployed("staging", "2026-01-16T08:00:00Z")],
        license="mit",
        pipeline_tag="text-generation",
        language="en",
    )
    repo.commit(
        "promote coder v2; distil tiny-coder",
        author="Bob Builder <bob@example.com>",
        date="2026-01-16T09:00:00Z",
    )
    registry = Registry.open(repo.root)
    assert registry.errors == [], registry.errors
    return repo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``afsreg serve``'s app under uvicorn in a thread, on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        import uvicorn

        from afsreg.web.server import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(root), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
