from pathlib import Path

import pytest
from conftest import GitRegistry, dump, model_doc

from afsreg import NotFoundError, Registry, ValidationError
from afsreg.git.cache import cache_path


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
