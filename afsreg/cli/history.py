"""History commands: log, blame, lineage, tree, graph, diff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from afsreg.cli.options import (
    FORMATS,
    clip,
    commit_rev_option,
    emit,
    format_option,
    open_registry,
    resolve_root,
    rev_option,
    root_option,
    safe_text,
    table,
    to_json,
)

if TYPE_CHECKING:
    import pygit2

    from afsreg.git.history import HistoryIndex
    from afsreg.read.audit import AuditEntry, BlameEntry
    from afsreg.read.lineage import Step


def _short(commit: str) -> str:
    return commit[:10]


def _open_history(root: Path | None, rev: str) -> tuple[pygit2.Repository, HistoryIndex]:
    from afsreg.git.history import load_history
    from afsreg.git.repo import open_repo

    repo = open_repo(resolve_root(root))
    return repo, load_history(repo, rev)


def _note_truncation(index: HistoryIndex) -> None:
    """On stderr: a shallow clone's history stops at its boundary."""
    if index.truncated:
        boundary = ", ".join(_short(c) for c in sorted(index.shallow))
        click.echo(
            f"note: shallow clone, history is truncated at {boundary}; "
            "run `git fetch --unshallow` for the full trail",
            err=True,
        )


def _emit_history(
    target: str,
    index: HistoryIndex,
    key: str,
    entries: Sequence[AuditEntry] | Sequence[BlameEntry],
    fmt: str,
) -> None:
    """``log`` and ``blame`` as data: the target, whether history is truncated, the entries."""
    emit({"target": target, "truncated": index.truncated, key: [e.as_dict() for e in entries]}, fmt)


@click.command("log")
@click.argument("target", metavar="NAME[@VERSION]")
@commit_rev_option("Read the history of this commit.")
@click.option(
    "-n",
    "--max-count",
    type=click.IntRange(min=1),
    default=None,
    help="Show at most this many commits.",
)
@root_option
@format_option(FORMATS)
def log_command(target: str, rev: str, max_count: int | None, root: Path | None, fmt: str) -> None:
    """The audit trail of a version or a whole model, newest first.

    Each commit shows its author, date, message and the fields it changed.

    \b
    Example:
        afsreg log majora@v2
        afsreg log majora --format json
    """
    from afsreg.cli.options import exact_version
    from afsreg.format.refs import parse_model_or_ref
    from afsreg.read.audit import model_log, version_log

    name, ref = parse_model_or_ref(target)
    version = exact_version(root, target, rev)[1] if ref is not None else None
    repo, index = _open_history(root, rev)
    entries = version_log(repo, index, name, version) if version else model_log(repo, index, name)
    if max_count is not None:
        entries = entries[:max_count]
    if fmt != "table":
        _emit_history(target, index, "commits", entries, fmt)
        return
    _note_truncation(index)
    click.echo(_render_log(entries, whole_model=version is None))


def _render_log(entries: list[AuditEntry], whole_model: bool) -> str:
    from afsreg.format.fields import describe_change
    from afsreg.read.audit import STATUS_WORDS

    blocks = []
    for e in entries:
        what = STATUS_WORDS.get(e.status, e.status)
        if e.status == "R" and e.old_path:
            what += f" from {e.old_path}"
        if e.merge:
            what += " (merge resolution)"
        head = f"commit {_short(e.commit)}  {e.date}  {e.author} <{e.email}>"
        lines = [safe_text(head), f"    {safe_text(e.ref if whole_model else e.path)}: {what}"]
        lines += [f"    {safe_text(line)}" for line in e.message.splitlines() or [""]][:6]
        if e.note:
            lines.append(f"    ! {safe_text(e.note)}")
        if e.changes and e.status not in ("A", "D"):
            lines += [f"      {safe_text(text)}" for c in e.changes for text in describe_change(c)]
        elif e.changes and e.status == "A":
            lines.append(f"      ({len(e.changes)} fields set)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) if blocks else "(no commits)"


@click.command("blame")
@click.argument("target", metavar="NAME@VERSION")
@commit_rev_option("Blame the version as it is at this commit.")
@root_option
@format_option(FORMATS)
def blame_command(target: str, rev: str, root: Path | None, fmt: str) -> None:
    """For each field of a version: the commit, author and date that last set it.

    \b
    Example:
        afsreg blame majora@v1
    """
    from afsreg.cli.options import exact_version
    from afsreg.format.fields import format_value
    from afsreg.read.audit import blame

    name, version = exact_version(root, target, rev)
    repo, index = _open_history(root, rev)
    entries = blame(repo, index, name, version)
    if fmt != "table":
        _emit_history(target, index, "fields", entries, fmt)
        return
    _note_truncation(index)
    rows = [
        {
            "field": e.field,
            "value": clip(format_value(e.value), 40),
            "commit": _short(e.commit) + ("^" if e.truncated else ""),
            "author": e.author,
            "date": e.date[:10],
            "message": clip(e.message, 50),
        }
        for e in entries
    ]
    click.echo(table(rows))


@click.command("lineage")
@click.argument("target", metavar="REF|EXTERNAL-ID")
@click.option("--up", "direction", flag_value="up", help="Only ancestors (what it derives from).")
@click.option(
    "--down", "direction", flag_value="down", help="Only descendants (what derives from it)."
)
@rev_option
@root_option
@format_option(FORMATS)
def lineage_command(
    target: str, direction: str | None, rev: str | None, root: Path | None, fmt: str
) -> None:
    """Ancestors and descendants of a version or an outside model, across models and generations.

    TARGET is a reference (majora@v2, majora@production) or the id of a
    model outside the registry: Qwen/Qwen2.5-Coder-7B (any source),
    huggingface:Qwen/Qwen2.5-Coder-7B, https://huggingface.co/Qwen/... .
    Follows lineage.parent and lineage.base_models; each row shows how it
    is derived (relation), the training data it added over its parent, its
    base models and its code commit.

    \b
    Examples:
        afsreg lineage majora@v2 --up
        afsreg lineage Qwen/Qwen2.5-Coder-7B --down
    """
    from afsreg.errors import NotFoundError
    from afsreg.format.refs import MLFLOW_PREFIX
    from afsreg.read.lineage import LineageGraph

    registry = open_registry(root, rev)
    graph = LineageGraph.from_versions(registry)
    if "@" in target or target.startswith(MLFLOW_PREFIX):
        starts = [registry.get(target).ref_text]
    else:
        starts = [n.id for n in graph.find_external(target)]
        if not starts:
            known = sorted(n.id for n in graph.nodes.values() if n.kind == "external")
            raise NotFoundError(
                f"{target!r}: no version in the registry derives from it "
                f"(outside models named: {', '.join(known) or 'none'}); "
                "a version of the registry is NAME@VERSION"
            )
    result: dict[str, Any] = {"target": starts[0] if "@" in starts[0] else target}
    if "@" not in starts[0]:
        result["nodes"] = starts  # the outside models the id names
    if direction in (None, "up"):
        result["ancestors"] = _merged_steps(graph.ancestors, starts)
    if direction in (None, "down"):
        result["descendants"] = _merged_steps(graph.descendants, starts)
    if fmt != "table":
        emit(result, fmt)
        return
    sections = []
    for key, title in (("ancestors", "Ancestors"), ("descendants", "Descendants")):
        if key not in result:
            continue
        rows = [
            {
                "depth": s["depth"],
                "version": s["ref"],
                "relation": _relation(s),
                ("base of" if key == "ancestors" else "from"): _other(s, key),
                "state": ", ".join(x for x in (s["promotion_state"], s["status"]) if x)
                or s["kind"],
                "data added": s["training_data_added"],
                "base models": s["base_models"],
                "code": (s["code_commit"] or "")[:12],
            }
            for s in result[key]
        ]
        sections.append(f"{title} of {safe_text(', '.join(starts))}:\n{table(rows)}")
    click.echo("\n\n".join(sections))


def _merged_steps(walk: Callable[[str], list[Step]], starts: list[str]) -> list[dict[str, Any]]:
    """The steps of a walk from each start (without the starts), each node once, nearest first."""
    seen = set(starts)
    steps = []
    for start in starts:
        for step in walk(start)[1:]:
            if step.node.id not in seen:
                seen.add(step.node.id)
                steps.append(step.as_dict())
    steps.sort(key=lambda s: s["depth"])
    return steps


def _relation(step: dict[str, Any]) -> str:
    via = step["via"]
    return "" if via is None else str(via["relation"] or "/".join(via["pointers"]))


def _other(step: dict[str, Any], key: str) -> str:
    via = step["via"]
    return "" if via is None else str(via["child"] if key == "ancestors" else via["parent"])


@click.command("tree")
@click.argument("name")
@rev_option
@root_option
@format_option(FORMATS)
def tree_command(name: str, rev: str | None, root: Path | None, fmt: str) -> None:
    """The version tree of one model, with promotion and lifecycle state on each node.

    \b
    Example:
        afsreg tree majora
    """
    from afsreg.read.lineage import LineageGraph, version_tree

    graph = LineageGraph.from_versions(open_registry(root, rev))
    rows = version_tree(graph, name)
    if fmt != "table":
        emit({"model": name, "versions": [r.as_dict() for r in rows]}, fmt)
        return
    lines = [name]
    for row in rows:
        state = row.node.state_label
        text = f"{row.prefix}{row.node.version}" + (f"  [{state}]" if state else "")
        if row.note:
            text += f"  ({row.note})"
        lines.append(safe_text(text))
    click.echo("\n".join(lines))


@click.command("graph")
@click.argument("name", required=False)
@rev_option
@root_option
@format_option(("mermaid", "dot", "json"))
def graph_command(name: str | None, rev: str | None, root: Path | None, fmt: str) -> None:
    """The lineage graph (of one model and everything linked to it, or of the whole registry).

    Mermaid renders in GitHub markdown; dot feeds Graphviz.

    \b
    Example:
        afsreg graph majora --format mermaid
        afsreg graph --format dot | dot -Tsvg > lineage.svg
    """
    from afsreg.read.lineage import LineageGraph, to_data, to_dot, to_mermaid

    graph = LineageGraph.from_versions(open_registry(root, rev))
    if fmt == "mermaid":
        click.echo(to_mermaid(graph, name), nl=False)
    elif fmt == "dot":
        click.echo(to_dot(graph, name), nl=False)
    else:
        click.echo(to_json(to_data(graph, name)))


@click.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@root_option
@format_option(("table", "json", "yaml", "markdown"))
def diff_command(base: str | None, head: str | None, root: Path | None, fmt: str) -> None:
    """What a change does to the registry: versions added and removed, promotions, metrics.

    BASE defaults to the merge base of HEAD with the default branch, HEAD to
    the working tree. Changes to released versions are flagged.
    `--format markdown` prints a review summary ready to post on a pull
    request (parent and promoted-version deltas, gate results, promotions
    and deployments in words), and appends it to $GITHUB_STEP_SUMMARY when
    that is set, as it is in a GitHub Actions job.

    \b
    Example:
        afsreg diff                      # this branch against main
        afsreg diff main HEAD --format markdown
    """
    from afsreg.read.diff import table_rows
    from afsreg.read.summary import append_step_summary, diff_summary, render_summary
    from afsreg.registry import unreadable_message

    summary = diff_summary(resolve_root(root), base, head)
    diff = summary.diff
    if fmt == "markdown":
        text = render_summary(summary)
        click.echo(text, nl=False)
        append_step_summary(text)
    elif fmt == "table":
        click.echo(f"{diff.base} -> {diff.head}")
        for event in summary.events:
            click.echo(safe_text(event))
        click.echo(table(table_rows(diff)) if diff.versions else "no model versions changed")
        for problem in diff.problems:
            click.echo(safe_text(str(problem)), err=True)
    else:
        emit(summary.as_dict(), fmt)
    for problem in diff.unreadable:
        click.echo(f"warning: {safe_text(unreadable_message(problem))}", err=True)


commands: list[click.Command] = [
    log_command,
    blame_command,
    lineage_command,
    tree_command,
    graph_command,
    diff_command,
]
