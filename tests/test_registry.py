from pathlib import Path
from typing import Any

import pygit2
import pytest
import yaml
from conftest import GitRegistry, dump, model_doc

from afsreg import NotFoundError, Registry, ValidationError
from afsreg.git.cache import cache_path
from afsreg.git.sources import tree_files


def test_open_reads_working_tree_in_version_order(git_registry: GitRegistry) -> None:
    for v in ("v10", "v9", "v1"):
        git_registry.write_model("m", v)
    registry = Registry.open(git_registry.root)
    assert [v.version for v in registry.versions("m")] == ["v1", "v9", "v10"]
    assert registry.models() == ["m"]
    assert registry.latest("m").version == "v10"  # type: ignore[union-attr]
    assert registry.get("m@v9").data["title"] == "m v9"


def test_open_at_a_revision_reads_git_not_the_working_tree(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", title="committed")
    git_registry.commit("add m v1")
    git_registry.write_model("m", "v1", title="edited")
    git_registry.write_model("m", "v2")
    assert Registry.open(git_registry.root, rev="HEAD").get("m@v1").data["title"] == "committed"
    assert len(Registry.open(git_registry.root, rev="HEAD")) == 1
    assert Registry.open(git_registry.root).get("m@v1").data["title"] == "edited"


def test_get_errors_are_clear(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1")
    registry = Registry.open(git_registry.root)
    with pytest.raises(NotFoundError, match=r"m@v2 is not in the registry \(versions: v1\)"):
        registry.get("m@v2")
    with pytest.raises(NotFoundError, match="no model named 'x'"):
        registry.get("x@v1")
    with pytest.raises(NotFoundError, match="no such revision"):
        Registry.open(git_registry.root, rev="nope")


def test_with_changes_revalidates_the_whole_registry(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1")
    registry = Registry.open(git_registry.root)
    changed = registry.with_changes(
        {"models/m/v2.yaml": dump(model_doc("m", "v2", lineage={"parent": "v1"})).encode()}
    )
    assert changed.errors == [] and len(changed) == 2
    removed = changed.with_changes({"models/m/v1.yaml": None})
    with pytest.raises(ValidationError, match="m@v1 does not exist"):
        removed.check()
    assert len(registry) == 1  # the original is unchanged


def test_check_results_are_cached_by_blob_id(git_registry: GitRegistry) -> None:
    git_registry.write_model("m", "v1", parameter_count="x")
    first = Registry.open(git_registry.root).errors
    path = cache_path(git_registry.root)
    assert path is not None and path.is_file()
    assert Registry.open(git_registry.root).errors == first
    git_registry.write_model("m", "v1")
    assert Registry.open(git_registry.root).errors == []


def test_a_registry_outside_git_still_reads(tmp_path: Path) -> None:
    (tmp_path / "models" / "m").mkdir(parents=True)
    (tmp_path / "models" / "m" / "v1.yaml").write_text(dump(model_doc("m", "v1")))
    assert len(Registry.open(tmp_path)) == 1


def test_a_same_size_edit_that_keeps_the_mtime_is_still_seen(git_registry: GitRegistry) -> None:
    """The stat cache keys on ctime too, as git does: `cp -p`-style edits are not missed."""
    import os
    import time

    path = git_registry.write_model("m", "v1")
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(an_hour_ago, an_hour_ago))
    assert Registry.open(git_registry.root).errors == []
    text = path.read_text().replace("candidate", "candidatX")  # same size
    path.write_text(text)
    os.utime(path, ns=(an_hour_ago, an_hour_ago))
    assert [p.field for p in Registry.open(git_registry.root).errors] == ["promotion.state"]


def test_a_racily_clean_file_is_not_recorded(git_registry: GitRegistry) -> None:
    """A file modified just now may change again within its timestamp tick: never trusted later."""
    from afsreg.format.schema import Schemas
    from afsreg.git.cache import CheckCache

    git_registry.write_model("m", "v1")
    Registry.open(git_registry.root)
    cache = CheckCache.load(git_registry.root, Schemas.load(git_registry.root).digest)
    assert "models/m/v1.yaml" not in cache.stat


# -- incremental == full ----------------------------------------------------

_NAMES = ("a", "b", "B", "c")
_VERSIONS = ("v1", "v2", "v3", "v1.0")


def _version_doc(draw: Any, name: str, version: str) -> dict[str, Any]:
    from hypothesis import strategies as st

    doc = model_doc(name.lower() if draw(st.booleans()) else name, version)
    lineage: dict[str, Any] = {}
    if draw(st.booleans()):
        lineage["parent"] = draw(st.sampled_from(_VERSIONS))
    if draw(st.booleans()):
        other = draw(st.sampled_from(_NAMES))
        lineage["base_models"] = [
            {"model": f"{other}@{draw(st.sampled_from(_VERSIONS))}", "relation": "fine_tune"}
        ]
    if lineage:
        doc["lineage"] = lineage
    if draw(st.booleans()):
        doc["artifact_id"] = draw(st.sampled_from(("art-1", "art-2")))
    state = draw(st.sampled_from(("candidate", "promoted", "superseded")))
    doc["promotion"] = {"state": state}
    if state == "superseded" and draw(st.booleans()):
        doc["promotion"]["superseded_by"] = draw(st.sampled_from(_VERSIONS))
    if draw(st.booleans()):
        doc["status"] = "deployed"
        start = draw(st.sampled_from(("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z")))
        deployment: dict[str, Any] = {"env": "production", "deployed_at": start}
        if draw(st.booleans()):
            deployment["undeployed_at"] = "2024-03-01T00:00:00Z"
        doc["deployments"] = [deployment]
    if draw(st.booleans()):
        doc["title"] = "x" * draw(st.integers(0, 3))  # moves lines: problems must be re-located
    return doc


def _full_problems(
    root: Path, staged: bool, changes: dict[str, bytes | None] | None = None
) -> list[Any]:
    """Every problem computed from scratch (with ``changes`` applied): no cache read, none written."""
    from afsreg.format.schema import Schemas
    from afsreg.git.cache import CheckCache
    from afsreg.git.sources import SourceFile, git_blob_id, index_files, working_tree_files

    schemas = Schemas.load(root)
    files = index_files(root) if staged else working_tree_files(root)
    for path, content in (changes or {}).items():
        files = [f for f in files if f.path != path]
        if content is not None:
            files.append(SourceFile(path, content, git_blob_id(content)))
    cache = CheckCache.load(root, schemas.digest, enabled=False)
    return Registry(root, files, schemas=schemas, cache=cache, save_cache=False).problems


def test_incremental_problems_equal_a_full_recomputation(tmp_path_factory: Any) -> None:
    """For random sequences of changes, answers from the cache by tree id equal a fresh check.

    Add, edit, delete and rename versions, change parents and base models
    (across models, cycles included), promote, deploy, duplicate artifact
    ids and version numbers, folders differing only in case; after each
    step the working tree, the index and HEAD are compared.
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from afsreg.git.repo import open_repo

    @st.composite
    def steps(draw: Any) -> list[tuple[str, str, str, Any]]:
        found = []
        for _ in range(draw(st.integers(1, 7))):
            kinds = ("write", "write", "write", "shift", "delete", "rename", "commit")
            kind = draw(st.sampled_from(kinds))
            name, version = draw(st.sampled_from(_NAMES)), draw(st.sampled_from(_VERSIONS))
            doc = _version_doc(draw, name, version) if kind == "write" else None
            found.append((kind, name, version, doc))
        return found

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(steps())
    def run(sequence: list[tuple[str, str, str, Any]]) -> None:
        registry = GitRegistry(tmp_path_factory.mktemp("incremental"))
        registry.write_model("a", "v1")
        registry.commit("start")
        for kind, name, version, doc in sequence:
            path = registry.root / "models" / name / f"{version}.yaml"
            if kind == "write":
                registry.write(f"models/{name}/{version}.yaml", dump(doc))
            elif kind == "shift" and path.is_file():
                # Same facts, every later line moved: located problems must move with them.
                doc = yaml.safe_load(path.read_text())
                doc["evaluation_metrics"] = {**doc["evaluation_metrics"], f"m{len(doc)}": 0.1}
                path.write_text(dump(doc))
            elif kind == "delete" and path.exists():
                path.unlink()
            elif kind == "rename" and path.exists():
                path.rename(path.with_name("v9.yaml"))
            elif kind == "commit":
                registry.commit("step")
            opened = Registry.open(registry.root)
            assert opened.problems == _full_problems(registry.root, False)
            change = {
                "models/b/v2.yaml": dump(model_doc("b", "v2", lineage={"parent": "v1"})).encode(),
                "models/a/v1.yaml": None,
            }
            changed = opened.with_changes(change)
            assert changed.problems == _full_problems(registry.root, False, change)
            assert [v.ref_text for v in changed.versions("b")] == [
                v.ref_text
                for v in Registry(
                    registry.root, changed.files, cache=None, save_cache=False
                ).versions("b")
            ]
            registry.git("add", "-A")
            assert Registry.staged(registry.root).problems == _full_problems(registry.root, True)
            repo = open_repo(registry.root)
            head = repo.revparse_single("HEAD").peel(pygit2.Commit)
            full = Registry(registry.root, tree_files(repo, head.tree), save_cache=False)
            incremental = Registry.at_commit(registry.root, repo, head, "HEAD")
            assert incremental.problems == full.problems
            assert len(incremental) == len(full)

    run()


def test_model_facts_and_read_models_read_every_version_and_keep_none(
    git_registry: GitRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    import afsreg.registry
    from afsreg.registry import VersionFact

    reg = git_registry
    reg.write_model("a", "v1")
    reg.write_model("a", "v10", lineage={"parent": "v1"})
    reg.write_model("a", "v2", artifact_id="a-two")
    reg.write_model(
        "b", "v1", lineage={"base_models": [{"model": "a@v2", "relation": "fine-tune"}]}
    )
    reg.write("models/c/v1.yaml", "title: [unclosed\n")  # no version: left out, as by models()
    reg.commit("three models")
    repo = pygit2.Repository(str(reg.root))
    head = repo.head.peel(pygit2.Commit)
    monkeypatch.setattr(afsreg.registry, "_FACT_MODELS", 1)  # one folder read at a time

    def by_folders() -> Registry:
        return Registry.at_commit(reg.root, repo, head, "HEAD")

    def by_files() -> Registry:
        return Registry(reg.root, tree_files(repo, head.tree), commit_id=str(head.id))

    for make in (by_folders, by_files):
        expected = make()
        want = {
            name: [
                VersionFact(v.version, v.artifact_id, v.base_refs) for v in expected.versions(name)
            ]
            for name in expected.models()
        }
        assert list(want) == ["a", "b"]
        assert [v.version for v in expected.versions("a")] == ["v1", "v2", "v10"]
        registry = make()
        assert dict(registry.model_facts()) == want
        read = registry.read_models(["b", "a", "nope"])
        assert list(read) == ["b", "a", "nope"]
        assert read["nope"] == []
        for name in ("a", "b"):
            got = [(v.path, v.blob_id, v.summary) for v in read[name]]
            assert got == [(v.path, v.blob_id, v.summary) for v in expected.versions(name)]
        if make is by_folders:
            # Nothing read above stays with the registry: versions() would keep it.
            assert "_by_name" not in registry.__dict__
            assert not registry.__dict__.get("_loaded")
