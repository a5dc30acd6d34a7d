"""The search expression language: parser, typed three-valued evaluation, order, and agreement with SQL."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import yaml
from conftest import GitRegistry
from hypothesis import given, settings
from hypothesis import strategies as st

from afsreg.format.record import ModelVersion, summarize
from afsreg.git.sources import SourceFile, git_blob_id
from afsreg.git.store import cache_file
from afsreg.read.search import (
    And,
    Compare,
    Expr,
    In,
    IsNull,
    Like,
    Not,
    Or,
    SearchSyntaxError,
    matches,
    order,
    parse,
    parse_order_by,
    search,
    unknown_fields,
)
from afsreg.registry import Registry


def version_of(data: dict[str, Any]) -> ModelVersion:
    name, ver = data.get("name", "m"), data.get("version", "v1")
    content = yaml.safe_dump(data).encode()
    source = SourceFile(f"models/{name}/{ver}.yaml", content, git_blob_id(content))
    return ModelVersion(source, summarize(data, name, ver))


MAJORA = version_of(
    {
        "name": "majora",
        "version": "v10",
        "owner": "scawful",
        "framework": "unsloth",
        "tags": ["coder", "production"],
        "created_at": "2026-01-14T12:00:00Z",
        "evaluation_metrics": {
            "accuracy": 0.87,
            "rouge": {"rouge1": 0.6},
            "custom": {"pass_at_1": 0.5},
        },
        "training_config": {"epochs": 3},
        "training_data": [{"name": "majora-train"}, {"name": "extra"}],
        "promotion": {"state": "promoted"},
        "status": "deployed",
        "deployments": [{"env": "production", "deployed_at": "2026-01-14T12:00:00Z"}],
        "lineage": {
            "parent": "v9",
            "base_models": [{"external": "Qwen/Q", "source": "huggingface"}],
        },
    }
)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("metrics.accuracy > 0.8", True),
        ("metrics.accuracy > 0.9", False),
        ("metrics.rouge.rouge1 >= 0.6", True),
        ("metrics.pass_at_1 = 0.5", True),  # a custom metric by its name
        ("evaluation_metrics.custom.pass_at_1 = 0.5", True),
        ("params.epochs = 3", True),
        ("promotion = 'promoted' AND status = 'deployed'", True),
        ("name LIKE 'maj%'", True),
        ("name LIKE 'MAJ%'", False),
        ("name ILIKE 'MAJ%'", True),
        ("name LIKE 'major_'", True),
        ("name NOT LIKE 'x%'", True),
        ("tags = 'coder'", True),
        ("tags != 'coder'", False),
        ("tags.coder IS NOT NULL", True),
        ("tags.vision IS NULL", True),
        ("owner IN ('bob', 'scawful')", True),
        ("owner NOT IN ('bob', 'carol')", True),
        ("training_data.name = 'extra'", True),
        ("deployments.env = 'production'", True),
        ("deployed = 'production'", True),
        ("created_at > '2026-01-14'", True),  # a date is 00:00 UTC
        ("created_at > '2026-01-14T13:00:00+02:00'", True),  # times (11:00Z), not text
        ("version > 'v9'", True),  # version order, not text order
        ("parent = 'v9'", True),
        ("base_models = 'huggingface:Qwen/Q'", True),
        ("metrics.accuracy > 'high'", False),  # different types: unknown
        ("NOT metrics.accuracy > 'high'", False),  # NOT unknown is unknown
        ("metrics.missing > 1 OR framework = 'unsloth'", True),
        ("metrics.missing > 1 AND framework = 'unsloth'", False),
        ("NOT (metrics.missing > 1 AND framework = 'pytorch')", True),  # false AND unknown is false
        ("metrics.missing IS NULL", True),
        ("(status = 'deployed' OR status = 'completed') AND NOT owner = 'bob'", True),
        ("ref = 'majora@v10' AND path LIKE 'models/%'", True),
    ],
)
def test_expressions(expr: str, expected: bool) -> None:
    assert matches(expr, MAJORA) is expected


@pytest.mark.parametrize(
    ("expr", "column", "words"),
    [
        ("metrics.accuracy > ", 20, "expected a value"),
        ("metrics.accuracy > 0.8 AND", 27, "expected a field name"),
        ("(status = 'x'", 14, "to close the '(' at column 1"),
        ("status = 'x", 10, "unterminated string"),
        ("status ~ 'x'", 8, "unexpected character"),
        ("status 'x'", 8, "expected an operator after status"),
        ("status = x", 10, "quote it"),
        ("status IS 'x'", 11, "expected NULL"),
        ("status NOT = 'x'", 12, "expected LIKE, ILIKE or IN"),
        ("status IN 'x'", 11, "expected '('"),
        ("status IN ('a' 'b')", 16, "expected ',' or ')'"),
        ("", 1, "empty expression"),
        ("a = 1 b = 2", 7, "expected AND, OR"),
    ],
)
def test_syntax_errors_point_at_the_column(expr: str, column: int, words: str) -> None:
    with pytest.raises(SearchSyntaxError) as info:
        parse(expr)
    assert info.value.column == column
    assert words in str(info.value)
    assert str(info.value).splitlines()[-1].index("^") == column + 1  # under the offending text


def test_order_by_puts_missing_values_last_both_ways() -> None:
    versions = [
        version_of({"name": n, "evaluation_metrics": m})
        for n, m in [
            ("a", {"accuracy": 0.5}),
            ("b", {}),
            ("c", {"accuracy": 0.9}),
            ("d", {"accuracy": 0.5}),
        ]
    ]
    up = order(versions, parse_order_by("metrics.accuracy"))
    down = order(versions, parse_order_by("metrics.accuracy desc, name desc"))
    assert [v.name for v in up] == ["a", "d", "c", "b"]
    assert [v.name for v in down] == ["c", "d", "a", "b"]
    with pytest.raises(SearchSyntaxError):
        parse_order_by("metrics.accuracy sideways")


# -- properties ----------------------------------------------------------------

NUMERIC, TEXT, TIME = ("params", "n"), ("training", "trained_by"), ("training", "started_at")
COLUMNS = {NUMERIC: "n", TEXT: "t", TIME: "ts"}
numbers = st.one_of(st.integers(-3, 3), st.sampled_from([-1.5, 0.5, 2.25]))
texts = st.text("ab%_", max_size=3).filter(lambda s: "%" not in s and "_" not in s)
times = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T12:00:00Z"])
ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])


def _leaf(field: tuple[str, ...], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Expr]:
    leaves: list[st.SearchStrategy[Expr]] = [
        st.builds(Compare, st.just(field), ops, values),
        st.builds(
            In, st.just(field), st.lists(values, min_size=1, max_size=3).map(tuple), st.booleans()
        ),
        st.builds(IsNull, st.just(field), st.booleans()),
    ]
    if field == TEXT:
        patterns = st.text("ab%_", max_size=3)
        leaves.append(st.builds(Like, st.just(field), patterns, st.booleans(), st.booleans()))
    return st.one_of(leaves)


expressions: st.SearchStrategy[Expr] = st.recursive(
    st.one_of(_leaf(NUMERIC, numbers), _leaf(TEXT, texts), _leaf(TIME, times)),
    lambda inner: st.one_of(
        st.builds(Not, inner), st.builds(And, inner, inner), st.builds(Or, inner, inner)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_str_of_a_tree_parses_back_to_it(expr: Expr) -> None:
    assert parse(str(expr)) == expr


def to_sql(expr: Expr) -> tuple[str, list[Any]]:
    """The same question in SQL, column by column (the reference the evaluator must agree with)."""
    if isinstance(expr, Not):
        sql, params = to_sql(expr.operand)
        return f"NOT ({sql})", params
    if isinstance(expr, And | Or):
        left, lp = to_sql(expr.left)
        right, rp = to_sql(expr.right)
        return f"({left}) {'AND' if isinstance(expr, And) else 'OR'} ({right})", lp + rp
    column = COLUMNS[expr.field]
    if isinstance(expr, Compare):
        return f"{column} {expr.op} ?", [expr.value]
    if isinstance(expr, In):
        marks = ", ".join("?" * len(expr.values))
        return f"{column} {'NOT IN' if expr.negated else 'IN'} ({marks})", list(expr.values)
    if isinstance(expr, IsNull):
        return f"{column} IS {'NOT NULL' if expr.negated else 'NULL'}", []
    assert isinstance(expr, Like)
    target = f"lower({column})" if expr.insensitive else column
    pattern = "lower(?)" if expr.insensitive else "?"
    return f"{target} {'NOT LIKE' if expr.negated else 'LIKE'} {pattern}", [expr.pattern]


rows = st.lists(
    st.tuples(
        st.one_of(st.none(), numbers), st.one_of(st.none(), texts), st.one_of(st.none(), times)
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(expressions, rows)
def test_evaluation_agrees_with_sqlite(expr: Expr, data: list[tuple[Any, Any, Any]]) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA case_sensitive_like = ON")
    db.execute("CREATE TABLE v (id INTEGER, n, t TEXT, ts TEXT)")
    versions = []
    for i, (n, t, ts) in enumerate(data):
        db.execute("INSERT INTO v VALUES (?, ?, ?, ?)", (i, n, t, ts))
        doc: dict[str, Any] = {"name": f"m{i}", "training_config": {}, "training": {}}
        if n is not None:
            doc["training_config"]["n"] = n
        if t is not None:
            doc["training"]["trained_by"] = t
        if ts is not None:
            doc["training"]["started_at"] = ts
        versions.append(version_of(doc))
    sql, params = to_sql(expr)
    expected = {row[0] for row in db.execute(f"SELECT id FROM v WHERE {sql}", params)}
    got = {i for i, v in enumerate(versions) if matches(expr, v)}
    assert got == expected, sql


def test_the_library_exports_search_and_resolve() -> None:
    import afsreg
    from afsreg.read import resolve, search

    assert afsreg.search is search.search and afsreg.resolve is resolve.resolve


# -- on a registry: file fields read from the field store ----------------------


def _refs(found: list[ModelVersion]) -> list[str]:
    return [v.ref_text for v in found]


def test_search_reads_file_fields_from_the_store_with_the_same_answer(
    git_registry: GitRegistry,
) -> None:
    """Cold, warm, without the store and after an edit: one answer, from the files as they are."""
    g = git_registry
    for n, accuracy in enumerate([0.7, 0.95, 0.85, None], start=1):
        metrics = {"accuracy": accuracy} if accuracy is not None else {"f1": 0.1}
        g.write_model("m", f"v{n}", evaluation_metrics=metrics, tags=["coder"] if n % 2 else [])
    g.commit("four versions")
    expr, order_by = "metrics.accuracy > 0.8 OR tags = 'coder'", "metrics.accuracy desc"
    expected = ["m@v2", "m@v3", "m@v1"]

    cold = search(Registry.open(g.root), expr, order_by)
    assert _refs(cold) == expected
    store = cache_file(g.root / ".git")
    assert store.exists()
    assert _refs(search(Registry.open(g.root), expr, order_by)) == expected
    registry = Registry.open(g.root)
    assert unknown_fields(registry, parse(expr), parse_order_by(order_by)) == []
    assert unknown_fields(registry, parse("metrics.nope > 1")) == ["metrics.nope"]

    store.unlink()
    assert _refs(search(Registry.open(g.root), expr, order_by)) == expected

    g.write_model("m", "v1", evaluation_metrics={"accuracy": 0.99}, tags=[])
    assert _refs(search(Registry.open(g.root), expr, order_by)) == ["m@v1", "m@v2", "m@v3"]
    # The commit still answers as it was: values are kept by blob, not by path.
    assert _refs(search(Registry.open(g.root, rev="HEAD"), expr, order_by)) == expected
