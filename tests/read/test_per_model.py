"""Listings read per-model values stored by the folder's tree id: warm answers equal fresh ones.

``list`` (with and without metrics), ``search``, ``deployments`` without a
name, ``models()`` and ``unreadable`` are answered from entries keyed by each
model folder's tree id (Registry.per_model). After any edit, the answer must
be the one a registry read from the files alone gives (no folders, no
store), and an entry of a folder's old tree id is never used.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from conftest import GitRegistry, dump, model_doc

from afsreg.format.schema import Schemas
from afsreg.git.cache import CheckCache, cache_path
from afsreg.git.sources import working_tree_files
from afsreg.read.deployments import history
from afsreg.read.search import parse, parse_order_by, search_values, unknown_fields
from afsreg.read.views import ROW_KIND, model_rows
from afsreg.registry import Registry

SEARCHES = (
    ("promotion = 'promoted' AND metrics.accuracy > 0.5", "metrics.accuracy desc"),
    ("tags = 'coder' OR NOT status IS NULL", "version desc, name"),
    ("latest = TRUE AND deployed = 'production'", None),
    ("metrics.nope > 1 OR ref LIKE 'b@%'", "metrics.nope"),
    (None, "title"),
)


def answers(registry: Registry) -> dict[str, Any]:
    """Everything the per-model listings answer, as plain data."""
    found: dict[str, Any] = {
        "models": registry.models(),
        "unreadable": [p.as_dict() for p in registry.unreadable],
        "rows": model_rows(registry),
        "rows+metrics": model_rows(registry, with_metrics=True),
        "deployments": [d.as_dict() for d in history(registry)],
        "production": [d.as_dict() for d in history(registry, env="production")],
    }
    for expr, order_by in SEARCHES:
        tree = parse(expr) if expr else None
        keys = parse_order_by(order_by)
        found[f"search {expr} / {order_by}"] = [
            (v.ref_text, v.path, v.blob_id, sorted(values.items()))
            for v, values in search_values(registry, tree, keys)
        ]
        found[f"unknown {expr}"] = unknown_fields(registry, tree, keys)
    return found


def fresh_answers(root: Path) -> dict[str, Any]:
    """The answers of the working tree read file by file, with afsreg's caches out of the way."""
    store = root / ".git" / "afsreg"
    kept = root / ".git" / "afsreg-kept"
    if store.exists():
        store.rename(kept)
    try:
        schemas = Schemas.load(root)
        cache = CheckCache.load(root, schemas.digest, enabled=False)
        files = working_tree_files(root)
        return answers(Registry(root, files, schemas=schemas, cache=cache, save_cache=False))
    finally:
        shutil.rmtree(store, ignore_errors=True)
        if kept.exists():
            kept.rename(store)


def version_doc(name: str, version: str, n: int) -> dict[str, Any]:
    """A valid version whose listed fields vary with ``n``."""
    promoted = n % 3 == 0
    doc = model_doc(
        name,
        version,
        title=f"{name} {version} #{n}",
        evaluation_metrics={"accuracy": round(0.1 * (n % 10), 2)},
        promotion={"state": "promoted" if promoted else "candidate"},
        tags=["coder"] if n % 2 else [],
    )
    if promoted and n % 2:
        doc["status"] = "deployed"
        doc["deployments"] = [
            {"env": "production", "deployed_at": f"2026-01-{n % 28 + 1:02d}T00:00:00Z"}
        ]
    return doc


def test_warm_listings_equal_fresh_ones_after_random_edits(tmp_path_factory: Any) -> None:
    """For random sequences of edits (committed or not), every listing equals a fresh read.

    Add, edit, delete and rename versions, promote and deploy (one promoted
    version per model, so the registry stays valid where it can), add a
    file that does not parse; each step changes some folders' tree ids and
    leaves the others' entries in the store to be reused.
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    names, versions = ("a", "b", "c"), ("v1", "v2", "v10", "v2.0.0-rc.1")

    @st.composite
    def steps(draw: Any) -> list[tuple[str, str, str, int]]:
        kinds = ("write", "write", "write", "delete", "rename", "broken", "commit")
        return [
            (
                draw(st.sampled_from(kinds)),
                draw(st.sampled_from(names)),
                draw(st.sampled_from(versions)),
                draw(st.integers(0, 30)),
            )
            for _ in range(draw(st.integers(1, 6)))
        ]

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(steps())
    def run(sequence: list[tuple[str, str, str, int]]) -> None:
        g = GitRegistry(tmp_path_factory.mktemp("per-model"))
        g.write("models/a/v1.yaml", dump(version_doc("a", "v1", 3)))
        g.write("models/b/v1.yaml", dump(version_doc("b", "v1", 4)))
        g.commit("start")
        assert answers(Registry.open(g.root)) == fresh_answers(g.root)
        for kind, name, version, n in sequence:
            path = g.root / "models" / name / f"{version}.yaml"
            if kind == "write":
                g.write(f"models/{name}/{version}.yaml", dump(version_doc(name, version, n)))
            elif kind == "delete" and path.exists():
                path.unlink()
            elif kind == "rename" and path.exists():
                path.rename(path.with_name("v9.yaml"))
            elif kind == "broken":
                g.write(f"models/{name}/{version}.yaml", "name: [unclosed\n")
            elif kind == "commit":
                g.commit("step")
            assert answers(Registry.open(g.root)) == fresh_answers(g.root)
        g.commit("end")
        assert answers(Registry.open(g.root, rev="HEAD")) == fresh_answers(g.root)

    run()


def _entries(root: Path, kind: str) -> dict[str, str]:
    path = cache_path(root)
    assert path is not None
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, value FROM entries WHERE kind = ?", (kind,)))


def test_entries_are_read_by_tree_id_and_an_old_one_is_never_used(
    git_registry: GitRegistry,
) -> None:
    g = git_registry
    for name in ("a", "b"):
        g.write_model(name, "v1")
        g.write_model(name, "v2", promotion={"state": "promoted"})
    g.commit("two models")
    expected = model_rows(Registry.open(g.root))
    assert [r["promoted"] for r in expected] == ["v2", "v2"]
    kind = f"per-model:{ROW_KIND}"
    before = _entries(g.root, kind)
    assert len(before) == 2  # one entry per folder

    # Rewrite the stored rows: an answer read by key shows it (no file is consulted).
    path = cache_path(g.root)
    assert path is not None
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE entries SET value = ? WHERE kind = ?",
            (
                '{"versions":99,"latest":null,"promoted":null,"deployed":{},'
                '"framework":null,"state":null}',
                kind,
            ),
        )
    assert [r["versions"] for r in model_rows(Registry.open(g.root))] == [99, 99]

    # An edit gives folder b a new tree id: its row is computed again, a's is still read.
    g.write_model("b", "v3")
    rows = model_rows(Registry.open(g.root))
    assert rows[0]["versions"] == 99
    assert rows[1] == {**expected[1], "versions": 3, "latest": "v3", "framework": "pytorch"}
    after = _entries(g.root, kind)
    assert set(before) < set(after)  # the old key is left, never read for the new tree

    # An entry of another shape (a damaged or foreign cache) is a miss, not an answer.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE entries SET value = '\"junk\"' WHERE kind IN ('outline', 'versions')")
        db.execute("DELETE FROM entries WHERE kind = ?", (kind,))
    assert model_rows(Registry.open(g.root)) == [expected[0], rows[1]]

    # Deleting the store changes no answer.
    shutil.rmtree(g.root / ".git" / "afsreg")
    assert model_rows(Registry.open(g.root))[0] == expected[0]


def test_a_folder_of_unreadable_files_is_no_model_and_is_named(git_registry: GitRegistry) -> None:
    g = git_registry
    g.write_model("a", "v1")
    g.write("models/z/v1.yaml", "name: [unclosed\n")
    g.write("models/a/notes.txt", "not a model file\n")
    g.commit("a model and a broken one")
    for _ in range(2):  # cold, then from the outlines in the store
        registry = Registry.open(g.root)
        assert registry.models() == ["a"]
        assert [p.path for p in registry.unreadable] == ["models/z/v1.yaml"]
        assert [r["name"] for r in model_rows(registry)] == ["a"]
    assert fresh_answers(g.root) == answers(Registry.open(g.root))


def test_a_file_field_named_like_a_stored_column_is_searched_as_itself(
    git_registry: GitRegistry,
) -> None:
    """A search stores each model's version names beside its field columns: no field shadows them."""
    g = git_registry
    g.write_model("m", "v1", versions=2)  # not a field of the schema: still searchable
    g.write_model("m", "v2")
    g.commit("two versions")
    for _ in range(2):  # cold, then from the store
        registry = Registry.open(g.root)
        found = search_values(registry, "versions = 2")
        assert [(v.ref_text, values) for v, values in found] == [("m@v1", {("versions",): 2})]
        assert [v.ref_text for v, _ in search_values(registry, "versions IS NULL")] == ["m@v2"]
