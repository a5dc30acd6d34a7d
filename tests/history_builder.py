"""A generated registry history for the answer tests: deployments and rollbacks across many commits.

Every step is a real write (the library's workflows) committed in a real git
repository at a known time, equal to the time the step records in the file.
Not a test module: test files import it (it sits beside conftest.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from conftest import GitRegistry, model_doc

from afsreg.errors import AfsregError
from afsreg.registry import Registry
from afsreg.write.lifecycle import deploy, promote, rollback
from afsreg.write.register import register_model, update_evaluation_scores

MODELS = ("coder", "majora")  # majora derives from coder: register coder first
QWEN = {"external": "Qwen/Qwen2.5-Coder-7B", "source": "huggingface", "relation": "fine-tune"}
ENVS = ("production", "staging")
START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class History:
    repo: GitRegistry
    commits: list[tuple[str, str]]  # (commit id, commit time), oldest first


def build_history(repo: GitRegistry, seed: int, steps: int) -> History:
    """Register, score, promote, deploy and roll back at random; one commit per change."""
    rng = random.Random(seed)
    commits: list[tuple[str, str]] = []
    clock = START

    def commit(change: Any, moment: datetime) -> None:
        when = iso(moment)
        commits.append((repo.commit(change.message, date=when), when))

    # coder@v1 is a fine-tune of an outside model; majora@v1 an adapter on coder@v1.
    bases: dict[str, Any] = {"coder": QWEN, "majora": {"model": "coder@v1", "relation": "adapter"}}
    for name in MODELS:
        clock += timedelta(minutes=7)
        reg = Registry.open(repo.root)
        doc = model_doc(name, "v1", owner=rng.choice(["alice", "bob"]), tags=["coder"])
        change = register_model(
            reg, name, version="v1", template=doc, base_model=bases[name], by="alice", at=iso(clock)
        )
        commit(change, clock)
    done = 0
    while done < steps:
        clock += timedelta(minutes=rng.randint(1, 90))
        at, by = iso(clock), rng.choice(["alice", "bob", "deploy-bot"])
        reg = Registry.open(repo.root)
        name = rng.choice(MODELS)
        versions = [v.version for v in reg.versions(name)]
        action = rng.choice(["add", "score", "promote", "deploy", "deploy", "rollback", "rollback"])
        try:
            if action == "add":
                change = register_model(
                    reg, name, parent=versions[-1], template=model_doc(name, "v0"), by=by, at=at
                )
            elif action == "score":
                change = update_evaluation_scores(
                    reg, f"{name}@{rng.choice(versions)}", accuracy=round(rng.uniform(0.6, 0.95), 3)
                )
            elif action == "promote":
                change = promote(reg, f"{name}@{rng.choice(versions)}", by=by, at=at)
            elif action == "deploy":
                change = deploy(reg, f"{name}@promoted", env=rng.choice(ENVS), by=by, at=at)
            else:
                change = rollback(reg, name, env=rng.choice(ENVS), by=by, at=at)
        except AfsregError:
            continue  # not possible in this state (nothing promoted, nothing to roll back to)
        commit(change, clock)
        done += 1
    return History(repo, commits)


def files_at(repo: GitRegistry, commit: str) -> list[dict[str, Any]]:
    """What the files said at a commit, read with git itself (not with afsreg)."""
    names = repo.git("ls-tree", "-r", "--name-only", commit, "models").split()
    return [yaml.safe_load(repo.git("show", f"{commit}:{path}")) for path in names]


def deployed_per_files(docs: list[dict[str, Any]], name: str, env: str) -> str | None:
    for doc in docs:
        if doc["name"] == name and any(
            d["env"] == env and not d.get("undeployed_at") for d in doc.get("deployments") or []
        ):
            return str(doc["version"])
    return None
