"""Answers for the people and services that consume the registry: resolve, deployments, search."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from afsreg.cli.options import emit, format_option, resolve_root, root_option, safe_text, table

if TYPE_CHECKING:
    from afsreg.registry import Registry


def at_option(func: Any) -> Any:
    return click.option(
        "--at",
        "at",
        default=None,
        metavar="WHEN",
        help="Answer as of a commit, a branch, or a date-time (2026-01-15T00:00Z), from git history.",
    )(func)


def branch_rev_option(func: Any) -> Any:
    return click.option(
        "--rev",
        default=None,
        metavar="REV",
        help="Read this commit instead of the working tree (with --at DATE: the branch to look on).",
    )(func)


def _open(root: Path | None, rev: str | None, at: str | None) -> Registry:
    from afsreg.registry import Registry

    return Registry.open(resolve_root(root), rev=rev, at=at)


def _where(registry: Registry) -> str:
    if registry.as_of is not None:
        a = registry.as_of
        return f"as of {a.when}: commit {a.commit[:10]} ({a.committed_at})"
    if registry.commit_id:
        return f"at {registry.rev} (commit {registry.commit_id[:10]})"
    return "in the working tree"


@click.command("resolve")
@click.argument("ref")
@at_option
@branch_rev_option
@click.option(
    "--file", "role", default=None, metavar="ROLE", help="Only this file (lora, gguf, ...)."
)
@format_option(("table", "json", "yaml", "uri"))
@root_option
def resolve_command(
    ref: str, at: str | None, rev: str | None, role: str | None, fmt: str, root: Path | None
) -> None:
    """The version a reference names, its artifact id and every file (path or uri, sha256, size).

    REF is NAME@VERSION, NAME@latest, NAME@promoted, NAME@ENV (the version
    deployed there), or an MLflow URI (models:/NAME/2, models:/NAME@champion).
    Exit status 1 when nothing answers it (nothing deployed there, or then).
    `--format uri` prints one location per line, for a deploy script.

    \b
    Examples:
      afsreg resolve majora@production
      afsreg resolve majora@production --at 2026-01-15T00:00Z --format json
      afsreg resolve models:/majora@champion --file gguf --format uri
    """
    from afsreg.errors import NotFoundError
    from afsreg.format.refs import parse_version_ref
    from afsreg.read.resolve import registry_for, resolve

    parsed = parse_version_ref(ref)
    registry = registry_for(parsed, resolve_root(root), rev, at)
    resolution = resolve(registry, parsed)
    result = resolution.as_dict()
    if role is not None:
        result["files"] = resolution.files_of(role)
    if fmt == "uri":
        if not result["files"]:
            raise NotFoundError(f"{result['name']}@{result['version']} lists no files")
        for entry in result["files"]:
            click.echo(safe_text(entry["location"]))
        return
    if fmt != "table":
        emit(result, fmt)
        return
    lines = [
        f"{result['ref']} -> {result['name']}@{result['version']}  "
        f"[{result['promotion_state']}, {result['status']}]",
        f"artifact id: {result['artifact_id']}",
        f"file:        {result['path']} {_where(registry)}",
    ]
    click.echo("\n".join(safe_text(line) for line in lines))
    click.echo("\n" + table(result["files"], ["role", "location", "sha256", "size_bytes"]))


@click.command("deployments")
@click.argument("name", required=False)
@click.option("--env", default=None, metavar="ENV", help="Only this environment.")
@at_option
@branch_rev_option
@click.option("--no-commits", is_flag=True, help="Skip looking up the commit of each change.")
@format_option()
@root_option
def deployments_command(
    name: str | None,
    env: str | None,
    at: str | None,
    rev: str | None,
    no_commits: bool,
    fmt: str,
    root: Path | None,
) -> None:
    """What is deployed where, and every deployment before it, with who, when and which commit.

    \b
    Examples:
      afsreg deployments
      afsreg deployments majora --env production --format json
      afsreg deployments majora --at 2026-01-15T00:00Z
    """
    from afsreg.read import deployments

    registry = _open(root, rev, at)
    past = deployments.history(registry, name, env)
    if not no_commits:
        deployments.attach_commits(registry, past)
    now = [d for d in past if d.active]
    now.sort(key=lambda d: (d.model, d.env))
    data = {
        "read_at": registry.read_at(),
        "active": [d.as_dict() for d in now],
        "history": [d.as_dict() for d in past],
    }
    if fmt != "table":
        emit(data, fmt)
        return
    active_rows = [
        {
            "model": d.model,
            "env": d.env,
            "version": d.version,
            "since": d.deployed_at,
            "by": d.deployed_by,
        }
        for d in now
    ]
    history_rows = [
        {
            "model": d.model,
            "env": d.env,
            "version": d.version,
            "deployed": d.deployed_at,
            "by": d.deployed_by,
            "undeployed": d.undeployed_at,
            "undeployed by": d.undeployed_by,
            "reason": d.reason,
            "commit": (d.deployed_commit or {}).get("commit", "")[:10],
        }
        for d in past
    ]
    click.echo(f"Active ({safe_text(_where(registry))}):\n{table(active_rows)}")
    click.echo(f"\nHistory, oldest first:\n{table(history_rows)}")


def search_row(
    version: Any,
    fields: list[tuple[str, ...]],
    registry: Registry,
    context: Any = None,
    values: dict[tuple[str, ...], Any] | None = None,
) -> dict[str, Any]:
    """One search result as data: identity, states, metrics, and the fields the query named.

    ``values`` are the fields' values the search read (afsreg.read.search.search_values).
    """
    from afsreg.format.fields import metrics
    from afsreg.read.search import Context, field_text, field_value

    if values is None:
        context = context or Context(registry)
        values = {f: field_value(version, f, context) for f in fields}
    return {
        "ref": version.ref_text,
        "name": version.name,
        "version": version.version,
        "artifact_id": version.artifact_id,
        "promotion_state": version.promotion_state,
        "status": version.status,
        "owner": version.owner,
        "framework": version.framework,
        "deployed": version.active_envs,
        "path": version.path,
        "metrics": metrics(version.data),
        "fields": {field_text(f): values[f] for f in fields},
    }


@click.command("search")
@click.argument("expression", required=False)
@click.option(
    "--order-by",
    "order_by",
    multiple=True,
    metavar="'FIELD [desc]'",
    help="Sort by a field (quote it with its direction: --order-by 'metrics.accuracy desc').",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="At most this many.")
@at_option
@branch_rev_option
@format_option()
@root_option
def search_command(
    expression: str | None,
    order_by: tuple[str, ...],
    limit: int | None,
    at: str | None,
    rev: str | None,
    fmt: str,
    root: Path | None,
) -> None:
    """Versions matching an expression over any field, no database needed.

    Fields are dotted paths (training.trained_by, metrics.accuracy,
    tags, promotion, status, owner, created_at, derived_from, ...);
    operators = != < <= > >= LIKE ILIKE IN IS NULL AND OR NOT and
    parentheses. Numbers compare as numbers, timestamps as times. See
    docs/format.md, "Searching".

    \b
    Examples:
      afsreg search "promotion = 'promoted' AND metrics.accuracy > 0.8" --order-by 'metrics.accuracy desc'
      afsreg search "name LIKE 'maj%' AND created_at >= '2026-01-01'" --format json
      afsreg search "derived_from = 'huggingface:Qwen/Qwen2.5-Coder-7B'" --rev main~10
    """
    import difflib

    from afsreg.read.search import (
        field_text,
        fields_of,
        known_fields,
        parse,
        parse_order_by,
        search_values,
        unknown_fields,
    )

    tree = parse(expression) if expression else None
    keys = parse_order_by(list(order_by))
    registry = _open(root, rev, at)
    found = search_values(registry, tree, keys, limit)
    registry.prime(
        [v for v, _ in found]
    )  # each row shows its metrics: parse only the versions shown
    for name in unknown_fields(registry, tree, keys):
        close = difflib.get_close_matches(name, known_fields(registry), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        click.echo(f"warning: no version has the field {safe_text(name)}{hint}", err=True)
    named = sorted((fields_of(tree) if tree else set()) | {k.field for k in keys})
    rows = [search_row(v, named, registry, values=values) for v, values in found]
    if fmt != "table":
        emit(
            {
                "expression": expression,
                "order_by": [str(k) for k in keys],
                "read_at": registry.read_at(),
                "count": len(rows),
                "versions": rows,
            },
            fmt,
        )
        return
    basic = {"ref", "name", "version", "promotion", "promotion_state", "status", "deployed"}
    extra = [field_text(f) for f in named if field_text(f) not in basic]
    flat = [
        {
            "version": r["ref"],
            "promotion": r["promotion_state"],
            "status": r["status"],
            "deployed": r["deployed"],
            **{f: r["fields"][f] for f in extra},
        }
        for r in rows
    ]
    click.echo(table(flat))


commands: list[click.Command] = [resolve_command, deployments_command, search_command]
