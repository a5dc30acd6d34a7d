"""Build a synthetic afsreg registry: N models x M versions and K commits of history.

The registry is deterministic from the seed: the same arguments give the same
files, the same commits and the same commit ids. Every file is valid against
schemas/model_version.schema.json and the cross-file rules (unique artifact ids,
parents and base models that exist, at most one promoted version per model,
acyclic parent chains), at every commit of the history, not only at the tip.

History is written with `git fast-import`, which takes a whole history in one
stream, so 50,000 versions take seconds rather than the hours that 50,000
`git commit` calls would.

Example:
    python -m bench.generate /tmp/afsreg-bench/r10k --models 200 --versions-per-model 50 \\
        --commits 10000 --chain-depth 1000 --seed 1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 3  # bump when the output changes, so cached registries are rebuilt
STAMP_NAME = "afsreg-bench.json"  # inside .git/, describes what was generated
SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
BASE_TIME = 1_672_531_200  # 2023-01-01T00:00:00Z; commits advance from here

AUTHORS = [
    ("Ada Okafor", "ada@example.org"),
    ("Bruno Lindqvist", "bruno@example.org"),
    ("Chen Wei", "chen.wei@example.org"),
    ("Dana Reyes", "dana@example.org"),
    ("Emeka Nwosu", "emeka@example.org"),
    ("Farah Haddad", "farah@example.org"),
    ("Goran Petrovic", "goran@example.org"),
    ("Hana Sato", "hana@example.org"),
]
OWNERS = ["ml-platform", "search-team", "code-assist", "vision", "speech", "scawful", "research"]
ADJECTIVES = [
    "amber", "brisk", "cobalt", "dusky", "ember", "fallow", "gilded", "hollow", "ivory",
    "jade", "keen", "lunar", "mossy", "nimble", "onyx", "pale", "quiet", "russet",
    "silver", "tidal", "umber", "vivid", "woven", "young", "zesty",
]  # fmt: skip
NOUNS = [
    "heron", "otter", "falcon", "marten", "ibis", "lynx", "badger", "crane", "finch",
    "gecko", "hare", "koi", "lemur", "mole", "newt", "orca", "puffin", "quail", "raven",
    "stoat", "tern", "vole", "wren", "yak", "zebu",
]  # fmt: skip
FAMILIES = [
    ("qwen2.5-coder", "unsloth"), ("llama-3", "pytorch"), ("mistral", "huggingface"),
    ("transformer", "pytorch"), ("logistic-regression", "scikit-learn"), ("gemma-2", "mlx"),
    ("phi-3", "llama_cpp"), ("ode", "scipy"),
]  # fmt: skip
EXTERNAL_BASES = [
    ("qwen2-5-coder-7b", "Qwen/Qwen2.5-Coder-7B", 7_615_616_512),
    ("llama-3-8b", "meta-llama/Meta-Llama-3-8B", 8_030_261_248),
    ("mistral-7b", "mistralai/Mistral-7B-v0.3", 7_248_023_552),
    ("gemma-2-9b", "google/gemma-2-9b", 9_241_705_984),
    ("phi-3-mini", "microsoft/Phi-3-mini-4k-instruct", 3_821_079_552),
    ("deepseek-coder-6b", "deepseek-ai/deepseek-coder-6.7b-base", 6_740_000_000),
]
DATASETS = ["code-corpus", "asm-corpus", "support-tickets", "docs-qa", "wiki-clean", "chat-logs"]
HARDWARE = ["1xA100-80G", "8xA100-80G", "4xH100", "1xL4", "2xA10G", "M2-Ultra"]
ENVS = ["production", "staging", "canary"]


@dataclasses.dataclass
class Version:
    """One version file's fields, rendered to YAML on demand (names can change in a rename)."""

    model: int  # index into Generator.models
    version: str
    created_at: int
    external: bool
    family: str
    framework: str
    parameter_count: int | None
    description: str
    owner: str
    tags: list[str]
    parent: str | None = None
    base_models: list[tuple[str, int | str, str]] = dataclasses.field(default_factory=list)
    # ("model", model index, "version|relation") or ("external", hf id, relation)
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    dataset: str = ""
    samples: int = 0
    epochs: int = 3
    lr: str = "0.0002"
    commit_sha: str = ""
    sha256: str = ""
    size_bytes: int = 0
    trained_by: str = ""
    hardware: str = ""
    hours: float = 0.0
    promotion_state: str = "candidate"
    promotion_notes: str | None = None
    decided_by: str | None = None
    decided_at: int | None = None
    superseded_by: str | None = None
    status: str = "completed"
    deployments: list[dict[str, str]] = dataclasses.field(default_factory=list)
    review_parameter_count: bool = False
    edits: int = 0


@dataclasses.dataclass
class Model:
    name: str  # current name; a model to be renamed starts as "<final>-exp"
    final_name: str
    external: bool
    style: str  # "semver" (v1.2.0) or "simple" (v7)
    versions: list[str] = dataclasses.field(default_factory=list)  # added so far, in order
    promoted: str | None = None
    family: str = ""
    framework: str = ""
    owner: str = ""


def _ts(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _version_names(count: int, style: str, rng: random.Random) -> list[str]:
    if style == "simple":
        return [f"v{i}" for i in range(1, count + 1)]
    major, minor, patch = 1, 0, 0
    names = []
    for _ in range(count):
        names.append(f"v{major}.{minor}.{patch}")
        roll = rng.random()
        if roll < 0.08:
            major, minor, patch = major + 1, 0, 0
        elif roll < 0.6:
            minor, patch = minor + 1, 0
        else:
            patch += 1
    return names


def render(v: Version, models: list[Model]) -> bytes:
    """The YAML text of one version file, in the layout of models/majora/v1.yaml."""
    m = models[v.model]
    name = m.name
    out = [
        f"# {name} {v.version}: generated by bench/generate.py",
        "schema_version: 1",
        f"name: {name}",
        f"version: {v.version}",
        f"title: {name.replace('-', ' ').title()} {v.version}",
        f"description: {v.description}",
        f"owner: {v.owner}",
        f"tags: [{', '.join(v.tags)}]",
        f'created_at: "{_ts(v.created_at)}"',
        "",
        f"model_family: {v.family}",
        f"framework: {v.framework}",
        f"parameter_count: {'null' if v.parameter_count is None else v.parameter_count}",
        f"is_external: {'true' if v.external else 'false'}",
    ]
    if v.external:
        hf_id = next(b[1] for b in EXTERNAL_BASES if b[0] == m.final_name)
        out += [
            f"external_source_url: https://huggingface.co/{hf_id}",
            f'external_source_version: "{v.commit_sha}"',
        ]
    else:
        out += [
            "training_data:",
            f"  - name: {v.dataset}",
            f"    revision: r{v.samples % 7 + 1}",
            f"    samples: {v.samples}",
            f"evaluation_dataset: {v.dataset}-eval",
            "evaluation_metrics:",
        ]
        out += [f"  {k}: {val}" for k, val in v.metrics.items()]
        out += [
            "training_config:",
            f"  samples: {v.samples}",
            f"  epochs: {v.epochs}",
            "  batch_size: 8",
            f"  learning_rate: {v.lr}",
            "  sequence_length: 4096",
            "",
            "code:",
            f"  repo_url: https://github.com/example/{m.final_name}",
            f'  commit_sha: "{v.commit_sha}"',
            "  entrypoint: training/train.py",
            "",
            "training:",
            f'  started_at: "{_ts(v.created_at - int(v.hours * 3600) - 600)}"',
            f'  completed_at: "{_ts(v.created_at - 600)}"',
            f"  trained_by: {v.trained_by}",
            f"  hardware: {v.hardware}",
            f"  duration_hours: {v.hours}",
            f"  cost_usd: {round(v.hours * 2.5, 2)}",
        ]
    out += [
        "",
        "files:",
        "  checkpoint:",
        f"    uri: s3://models/{m.final_name}/{v.version}/model.safetensors",
        f'    sha256: "{v.sha256}"',
        f"    size_bytes: {v.size_bytes}",
    ]
    if v.parent or v.base_models:
        out.append("")
        out.append("lineage:")
        if v.parent:
            out.append(f"  parent: {v.parent}")
        if v.base_models:
            out.append("  base_models:")
            for kind, target, relation in v.base_models:
                if kind == "model":
                    assert isinstance(target, int)
                    ver, rel = relation.split("|")
                    out += [f"    - model: {models[target].name}@{ver}", f"      relation: {rel}"]
                else:
                    out += [
                        f"    - external: {target}",
                        "      source: huggingface",
                        f"      relation: {relation}",
                    ]
    out += ["", "promotion:", f"  state: {v.promotion_state}"]
    if v.promotion_notes:
        out.append(f"  notes: {v.promotion_notes}")
    if v.decided_by:
        out.append(f"  decided_by: {v.decided_by}")
    if v.decided_at is not None:
        out.append(f'  decided_at: "{_ts(v.decided_at)}"')
    if v.superseded_by:
        out.append(f"  superseded_by: {v.superseded_by}")
    out.append(f"status: {v.status}")
    if v.deployments:
        out.append("deployments:")
        for d in v.deployments:
            out.append(f"  - env: {d['env']}")
            for key in ("deployed_at", "deployed_by", "undeployed_at", "undeployed_by", "reason"):
                if key in d:
                    val = f'"{d[key]}"' if key.endswith("_at") else d[key]
                    out.append(f"    {key}: {val}")
    if v.review_parameter_count:
        out += [
            "",
            "review:",
            "  - field: parameter_count",
            "    reason: the training run did not record the parameter count of the adapter.",
        ]
    return ("\n".join(out) + "\n").encode()


@dataclasses.dataclass
class Commit:
    author: tuple[str, str]
    when: int
    message: str
    changes: list[
        tuple[str, str, bytes | str]
    ]  # ("M", path, content) | ("D", path, "") | ("R", old, new)
    mark: int = 0


class Generator:
    def __init__(
        self,
        models: int,
        versions_per_model: int,
        commits: int,
        chain_depth: int,
        seed: int,
        rename_fraction: float = 0.03,
    ) -> None:
        self.rng = random.Random(seed)
        self.models: list[Model] = []
        self.versions: dict[tuple[int, str], Version] = {}
        self.commit_count = commits
        self.renames: list[tuple[str, str]] = []
        self.promotions: list[tuple[int, str, int]] = []  # (model, version, commit index)
        self.added_at: dict[tuple[int, str], int] = {}  # version -> commit index that added it
        self.edit_counts: dict[tuple[int, str], int] = {}
        rng = self.rng
        n_external = min(len(EXTERNAL_BASES), max(1, models // 10))
        plan: list[tuple[int, int]] = []
        used: set[str] = set()
        for i in range(models):
            if i < n_external:
                final = EXTERNAL_BASES[i][0]
                model = Model(final, final, True, "simple")
                count = max(1, min(versions_per_model, 5))
            else:
                final = self._unique_name(i, used)
                renamed = rng.random() < rename_fraction
                model = Model(f"{final}-exp" if renamed else final, final, False, "semver")
                count = versions_per_model
                if rng.random() < 0.3:
                    model.style = "simple"
            used.add(model.name)
            used.add(model.final_name)
            fam, fw = FAMILIES[rng.randrange(len(FAMILIES))]
            model.family, model.framework = fam, fw
            model.owner = OWNERS[rng.randrange(len(OWNERS))]
            self.models.append(model)
            plan.append((i, count))
        # External models keep a few revisions; their share goes to the internal models,
        # so the registry holds exactly models x versions_per_model (+ the chain).
        internal = [i for i, m in enumerate(self.models) if not m.external]
        shortfall = models * versions_per_model - sum(count for _, count in plan)
        for j in range(shortfall if internal else 0):
            i = internal[j % len(internal)]
            plan[i] = (i, plan[i][1] + 1)
        named = [(i, _version_names(count, self.models[i].style, rng)) for i, count in plan]
        if chain_depth:
            final = "deep-chain"
            model = Model(final, final, False, "simple", family="transformer", framework="pytorch")
            model.owner = "research"
            self.models.append(model)
            named.append((len(self.models) - 1, _version_names(chain_depth, "simple", rng)))
        self.plan = named
        self.total_versions = sum(len(names) for _, names in named)

    def _unique_name(self, i: int, used: set[str]) -> str:
        adj = ADJECTIVES[i % len(ADJECTIVES)]
        noun = NOUNS[(i // len(ADJECTIVES)) % len(NOUNS)]
        name = f"{adj}-{noun}"
        if name in used or i >= len(ADJECTIVES) * len(NOUNS):
            name = f"{name}-{i}"
        return name

    def path(self, model: int, version: str) -> str:
        return f"models/{self.models[model].name}/{version}.yaml"

    def _new_version(self, mi: int, version: str, when: int) -> Version:
        rng, m = self.rng, self.models[mi]
        prior = m.versions
        ext_params = next((b[2] for b in EXTERNAL_BASES if b[0] == m.final_name), None)
        v = Version(
            model=mi,
            version=version,
            created_at=when,
            external=m.external,
            family=m.family,
            framework=m.framework,
            parameter_count=ext_params if m.external else rng.randrange(10**6, 10**10),
            description=f"{m.family} model for {rng.choice(DATASETS)}, run {rng.randrange(10**6)}.",
            owner=m.owner,
            tags=sorted({rng.choice(["coder", "chat", "eval", "lora", "gguf", "nightly", "rag"])}),
            commit_sha=f"{rng.getrandbits(160):040x}",
            sha256=f"{rng.getrandbits(256):064x}",
            size_bytes=rng.randrange(10**6, 2 * 10**10),
        )
        if m.external:
            v.parameter_count = ext_params
            v.status = "completed"
            return v
        v.dataset = rng.choice(DATASETS)
        v.samples = rng.randrange(100, 500_000)
        v.epochs = rng.randrange(1, 6)
        v.lr = rng.choice(["0.0001", "0.0002", "0.00005", "0.001"])
        v.metrics = {"accuracy": round(rng.uniform(0.5, 0.99), 4)}
        if rng.random() < 0.7:
            v.metrics["f1_score"] = round(rng.uniform(0.4, 0.99), 4)
        if rng.random() < 0.5:
            v.metrics["latency_ms"] = round(rng.uniform(5, 900), 1)
        v.trained_by = f"agent-{rng.randrange(1, 20)}"
        v.hardware = rng.choice(HARDWARE)
        v.hours = round(rng.uniform(0.2, 40), 2)
        if rng.random() < 0.04:
            v.parameter_count = None
            v.review_parameter_count = True
        if prior:
            # Usually the newest version; sometimes branch from an older one.
            v.parent = (
                prior[-1]
                if m.final_name == "deep-chain" or rng.random() < 0.85
                else rng.choice(prior)
            )
            v.base_models.append(("model", mi, f"{v.parent}|fine-tune"))
        else:
            bases = [j for j, b in enumerate(self.models) if b.external and b.versions]
            if bases and rng.random() < 0.8:
                j = rng.choice(bases)
                v.base_models.append(
                    ("model", j, f"{rng.choice(self.models[j].versions)}|fine-tune")
                )
            else:
                hf = rng.choice(EXTERNAL_BASES)[1]
                v.base_models.append(("external", hf, "fine-tune"))
        if rng.random() < 0.03 and prior:
            # A merge with a second base from another internal model that will keep its name.
            others = [
                j
                for j, b in enumerate(self.models)
                if not b.external and b.versions and b.name == b.final_name and j != mi
            ]
            if others:
                j = rng.choice(others)
                v.base_models.append(("model", j, f"{rng.choice(self.models[j].versions)}|merge"))
        return v

    # -- history --------------------------------------------------------------

    def commits(self) -> Iterator[Commit]:
        """Yield the history, oldest first. Each commit leaves a valid registry."""
        rng = self.rng
        order: list[int] = []
        for mi, names in self.plan:
            order += [mi] * len(names)
        # External base models come first, so fine-tunes have something to point at;
        # the rest interleave at random, each model's versions in order.
        externals = [mi for mi in order if self.models[mi].external]
        rest = [mi for mi in order if not self.models[mi].external]
        rng.shuffle(rest)
        order = externals + rest
        total = len(order)
        k = max(2, self.commit_count)
        # At least a fifth of the commits edit (promote, rename, update); the rest add.
        edit_commits = max(k - 1 - total, (k - 1) // 5)
        add_commits = max(1, k - 1 - edit_commits)
        edit_commits = k - 1 - add_commits
        tail = ["add"] * (add_commits - 1) + ["edit"] * edit_commits
        rng.shuffle(tail)
        slots = ["add", *tail]
        when = BASE_TIME
        first: list[tuple[str, str, bytes | str]] = [
            ("M", f"schemas/{p.name}", p.read_bytes()) for p in sorted(SCHEMAS_DIR.glob("*.json"))
        ]
        first.append(("M", "README.md", b"# Synthetic afsreg registry (bench/generate.py)\n"))
        yield Commit(AUTHORS[0], when, "Start the registry", first, mark=1)
        names_left = {mi: names[::-1] for mi, names in self.plan}  # pop() takes the oldest
        add_seen = 0
        pos = 0
        for index, kind in enumerate(slots, start=2):
            when += rng.randrange(60, 3600)
            author = AUTHORS[rng.randrange(len(AUTHORS))]
            if kind == "edit":
                commit = self._edit(index, when, author)
                if commit is not None:
                    yield commit
                continue
            add_seen += 1
            batch = total * add_seen // add_commits - total * (add_seen - 1) // add_commits
            changes: list[tuple[str, str, bytes | str]] = []
            refs = []
            for mi in order[pos : pos + batch]:
                version = names_left[mi].pop()
                v = self._new_version(mi, version, when)
                self.models[mi].versions.append(version)
                self.versions[(mi, version)] = v
                self.added_at[(mi, version)] = index
                changes.append(("M", self.path(mi, version), render(v, self.models)))
                refs.append(f"{self.models[mi].name}@{version}")
            pos += batch
            if changes:
                msg = (
                    f"Add {refs[0]}"
                    if len(refs) == 1
                    else f"Add {len(refs)} versions: {', '.join(refs[:3])}"
                )
                yield Commit(author, when, msg, changes, mark=index)

    def _edit(self, index: int, when: int, author: tuple[str, str]) -> Commit | None:
        rng = self.rng
        pending = [i for i, m in enumerate(self.models) if m.name != m.final_name and m.versions]
        roll = rng.random()
        if pending and roll < 0.15:
            return self._rename(rng.choice(pending), when, author, index)
        candidates = [i for i, m in enumerate(self.models) if m.versions and not m.external]
        if not candidates:
            candidates = [i for i, m in enumerate(self.models) if m.versions]
        mi = rng.choice(candidates)
        m = self.models[mi]
        if roll < 0.55 and not m.external:
            promoted = self._promote(mi, m.versions[-1], when, author, index)
            if promoted is not None:
                return promoted
        if roll < 0.65 and len(m.versions) > 1:
            target = m.versions[-2]
            v = self.versions[(mi, target)]
            if v.promotion_state == "candidate":
                v.promotion_state = "rejected"
                v.decided_by = author[1].split("@")[0]
                v.decided_at = when
                v.promotion_notes = "Regressed on the held-out set."
                return self._touch(mi, target, when, author, index, f"Reject {m.name}@{target}")
        version = rng.choice(m.versions)
        v = self.versions[(mi, version)]
        v.description = f"{v.description.split(' (edit')[0]} (edit {index})"
        if "accuracy" in v.metrics and rng.random() < 0.5:
            v.metrics["accuracy"] = round(min(0.999, v.metrics["accuracy"] + 0.001), 4)
        return self._touch(mi, version, when, author, index, f"Update {m.name}@{version}")

    def _touch(
        self, mi: int, version: str, when: int, author: tuple[str, str], index: int, message: str
    ) -> Commit:
        v = self.versions[(mi, version)]
        self.edit_counts[(mi, version)] = self.edit_counts.get((mi, version), 0) + 1
        return Commit(
            author,
            when,
            message,
            [("M", self.path(mi, version), render(v, self.models))],
            mark=index,
        )

    def _promote(
        self, mi: int, version: str, when: int, author: tuple[str, str], index: int
    ) -> Commit | None:
        m = self.models[mi]
        v = self.versions[(mi, version)]
        if v.promotion_state != "candidate":
            return None
        who = author[1].split("@")[0]
        changes: list[tuple[str, str, bytes | str]] = []
        if m.promoted:
            old = self.versions[(mi, m.promoted)]
            old.promotion_state = "superseded"
            old.superseded_by = version
            old.status = "deprecated"
            for d in old.deployments:
                if "undeployed_at" not in d:
                    d["undeployed_at"] = _ts(when)
                    d["undeployed_by"] = who
                    d["reason"] = f"superseded by {version}"
            self.edit_counts[(mi, m.promoted)] = self.edit_counts.get((mi, m.promoted), 0) + 1
            changes.append(("M", self.path(mi, m.promoted), render(old, self.models)))
        v.promotion_state = "promoted"
        v.decided_by = who
        v.decided_at = when
        v.promotion_notes = "Beats the current production model on the eval set."
        v.status = "deployed"
        v.deployments.append({"env": "production", "deployed_at": _ts(when), "deployed_by": who})
        m.promoted = version
        self.edit_counts[(mi, version)] = self.edit_counts.get((mi, version), 0) + 1
        changes.append(("M", self.path(mi, version), render(v, self.models)))
        self.promotions.append((mi, version, index))
        return Commit(
            author, when, f"Promote {m.name}@{version} to production", changes, mark=index
        )

    def _rename(self, mi: int, when: int, author: tuple[str, str], index: int) -> Commit:
        m = self.models[mi]
        old = m.name
        old_paths = [self.path(mi, ver) for ver in m.versions]
        m.name = m.final_name
        changes: list[tuple[str, str, bytes | str]] = []
        for ver, old_path in zip(m.versions, old_paths, strict=True):
            new_path = self.path(mi, ver)
            changes.append(("R", old_path, new_path))
            changes.append(("M", new_path, render(self.versions[(mi, ver)], self.models)))
        self.renames.append((old, m.name))
        return Commit(author, when, f"Rename {old} to {m.name}", changes, mark=index)


def _fast_import_stream(
    commits: Iterator[Commit], gen: Generator, gto_tags: bool
) -> Iterator[bytes]:
    last_mark = 0
    for c in commits:
        mark = c.mark or last_mark + 1
        last_mark = mark
        name, email = c.author
        msg = c.message.encode()
        parts = [
            b"commit refs/heads/main\n",
            f"mark :{mark}\n".encode(),
            f"author {name} <{email}> {c.when} +0000\n".encode(),
            f"committer {name} <{email}> {c.when} +0000\n".encode(),
            f"data {len(msg)}\n".encode(),
            msg,
            b"\n",
        ]
        for op, a, b in c.changes:
            if op == "M":
                assert isinstance(b, bytes)
                parts += [f"M 100644 inline {a}\n".encode(), f"data {len(b)}\n".encode(), b, b"\n"]
            elif op == "R":
                assert isinstance(b, str)
                parts.append(f'R "{a}" "{b}"\n'.encode())
            else:
                parts.append(f"D {a}\n".encode())
        parts.append(b"\n")
        yield b"".join(parts)
    if gto_tags:
        yield from _gto_tags(gen)
    yield b"done\n"


def _gto_tags(gen: Generator) -> Iterator[bytes]:
    """GTO's registry is git tags: name@vX.Y.Z for a version, name#stage#N for a promotion."""

    def semver(v: str) -> str:
        return v if v.count(".") == 2 else v + ".0" * (2 - v.count("."))

    tagger = f"{AUTHORS[0][0]} <{AUTHORS[0][1]}>"
    for (mi, version), mark in sorted(gen.added_at.items(), key=lambda kv: kv[1]):
        v = gen.versions[(mi, version)]
        name = gen.models[mi].name
        msg = f"Registering artifact {name} version {semver(version)}".encode()
        yield (
            (
                f"tag {name}@{semver(version)}\nfrom :{mark}\ntagger {tagger} {v.created_at} +0000\n"
                f"data {len(msg)}\n"
            ).encode()
            + msg
            + b"\n"
        )
    counters: dict[int, int] = {}
    for mi, version, _index in gen.promotions:
        counters[mi] = counters.get(mi, 0) + 1
        name = gen.models[mi].name
        mark = gen.added_at[(mi, version)]
        when = gen.versions[(mi, version)].decided_at or BASE_TIME
        msg = f"Assigning stage prod to artifact {name} version {semver(version)}".encode()
        yield (
            (
                f"tag {name}#prod#{counters[mi]}\nfrom :{mark}\ntagger {tagger} {when} +0000\n"
                f"data {len(msg)}\n"
            ).encode()
            + msg
            + b"\n"
        )


def generate(
    dest: Path,
    models: int,
    versions_per_model: int,
    commits: int,
    chain_depth: int = 0,
    seed: int = 1,
    gto_tags: bool = False,
) -> dict[str, object]:
    """Write a registry repository at dest (replacing it) and return its description."""
    started = time.perf_counter()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    git = ["git", "-C", str(dest)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    for key, value in (
        ("user.name", "afsreg bench"),
        ("user.email", "bench@example.org"),
        ("gc.auto", "0"),
        ("commit.gpgsign", "false"),
        ("tag.gpgsign", "false"),
    ):
        subprocess.run([*git, "config", key, value], check=True)
    gen = Generator(models, versions_per_model, commits, chain_depth, seed)
    proc = subprocess.Popen(
        [*git, "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    count = 0
    for chunk in _fast_import_stream(gen.commits(), gen, gto_tags):
        proc.stdin.write(chunk)
        count += chunk.startswith(b"commit ")
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"git fast-import failed in {dest}")
    # Parallel checkout: writing 50,000 files is most of the time left after fast-import.
    subprocess.run(
        [
            *git,
            "-c",
            "checkout.workers=4",
            "-c",
            "checkout.thresholdForParallelism=100",
            "reset",
            "-q",
            "--hard",
            "main",
        ],
        check=True,
    )
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    most_edited = max(gen.edit_counts.items(), key=lambda kv: (kv[1], -kv[0][0]), default=None)
    internal = [
        i for i, m in enumerate(gen.models) if not m.external and m.final_name != "deep-chain"
    ]
    sample_model = gen.models[internal[0]] if internal else gen.models[0]
    info: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "params": {
            "models": models,
            "versions_per_model": versions_per_model,
            "commits": commits,
            "chain_depth": chain_depth,
            "seed": seed,
            "gto_tags": gto_tags,
        },
        "versions": gen.total_versions,
        "commits": count,
        "head": head,
        "renames": gen.renames,
        "promotions": len(gen.promotions),
        "most_edited": (
            f"{gen.models[most_edited[0][0]].name}@{most_edited[0][1]}" if most_edited else None
        ),
        "sample_file": f"models/{sample_model.name}/{sample_model.versions[-1]}.yaml",
        "sample_model": sample_model.name,
        "chain_head": f"deep-chain@{gen.models[-1].versions[-1]}" if chain_depth else None,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (dest / ".git" / STAMP_NAME).write_text(json.dumps(info, indent=2) + "\n")
    return info


def check_files(files: dict[str, bytes]) -> list[str]:
    """Problems in a generated tree, found independently of afsreg (schema + cross-file rules).

    The generator's own test: afsreg's validator is what is being measured, so the
    generator is checked against the schema directly with PyYAML and jsonschema.
    """
    import jsonschema
    import yaml
    from referencing import Registry, Resource

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    schemas = {p.name: json.loads(p.read_text()) for p in SCHEMAS_DIR.glob("*.json")}
    registry = Registry().with_resources(
        (name, Resource.from_contents(body)) for name, body in schemas.items()
    )
    validator = jsonschema.Draft7Validator(
        schemas["model_version.schema.json"],
        registry=registry,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    problems: list[str] = []
    docs: dict[tuple[str, str], dict[str, object]] = {}
    for path, content in sorted(files.items()):
        doc = yaml.load(content, Loader=loader)
        problems += [f"{path}: {e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
        parts = path.split("/")
        if parts[1] != doc.get("name") or parts[2] != f"{doc.get('version')}.yaml":
            problems.append(f"{path}: name/version do not match the path")
        docs[(doc["name"], doc["version"])] = doc
    artifact_ids: set[str] = set()
    promoted: dict[str, str] = {}
    for (name, version), doc in docs.items():
        artifact_id = str(doc.get("artifact_id") or f"{name}@{version}")
        if artifact_id in artifact_ids:
            problems.append(f"{name}@{version}: duplicate artifact id")
        artifact_ids.add(artifact_id)
        lineage = doc.get("lineage") or {}
        assert isinstance(lineage, dict)
        seen = {version}
        parent = lineage.get("parent")
        while parent:
            if (name, parent) not in docs:
                problems.append(f"{name}@{version}: parent {parent} missing")
                break
            if parent in seen:
                problems.append(f"{name}@{version}: parent cycle")
                break
            seen.add(parent)
            parent_lineage = docs[(name, parent)].get("lineage") or {}
            assert isinstance(parent_lineage, dict)
            parent = parent_lineage.get("parent")
        for base in lineage.get("base_models") or []:
            if "model" in base and tuple(base["model"].split("@")) not in docs:
                problems.append(f"{name}@{version}: base model {base['model']} missing")
        promotion = doc.get("promotion") or {}
        assert isinstance(promotion, dict)
        if promotion.get("state") == "promoted":
            if name in promoted:
                problems.append(f"{name}: two promoted versions")
            promoted[name] = version
        superseded_by = promotion.get("superseded_by")
        if superseded_by and (name, superseded_by) not in docs:
            problems.append(f"{name}@{version}: superseded_by {superseded_by} missing")
    return problems


def tree_files(root: Path, rev: str) -> dict[str, bytes]:
    """The model files at a revision of the generated repository."""
    import pygit2

    repo: Any = pygit2.Repository(str(root))
    tree = repo.revparse_single(rev).peel(pygit2.Tree)
    out: dict[str, bytes] = {}
    if "models" not in tree:
        return out
    for model in repo[tree["models"].id]:
        for entry in repo[model.id]:
            out[f"models/{model.name}/{entry.name}"] = repo[entry.id].data
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dest", type=Path)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--versions-per-model", type=int, default=20)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--chain-depth", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--gto-tags", action="store_true", help="also write GTO version and stage tags"
    )
    parser.add_argument(
        "--check",
        type=int,
        default=0,
        metavar="N",
        help="check the tip and N commits spread over history against the schema and rules",
    )
    args = parser.parse_args(argv)
    info = generate(
        args.dest,
        args.models,
        args.versions_per_model,
        args.commits,
        args.chain_depth,
        args.seed,
        args.gto_tags,
    )
    json.dump(info, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if args.check:
        revs = subprocess.run(
            ["git", "-C", str(args.dest), "rev-list", "main"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        step = max(1, len(revs) // args.check)
        problems: list[str] = []
        for rev in revs[::step]:
            problems += [f"{rev[:10]} {p}" for p in check_files(tree_files(args.dest, rev))]
        for problem in problems[:50]:
            print(problem, file=sys.stderr)
        print(f"checked {len(revs[::step])} commits: {len(problems)} problems", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
