"""Read commands: validate, list, versions, show, compare, review; and init, install-hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from afsreg.cli.options import (
    emit,
    format_option,
    open_registry,
    paint,
    resolve_root,
    rev_option,
    root_option,
    safe_text,
    table,
)
from afsreg.read import views
from afsreg.read.validate import validate


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--against",
    metavar="REV",
    default=None,
    help="Also refuse changes to released versions since REV (e.g. HEAD, origin/main).",
)
@click.option("--staged", is_flag=True, help="Check the files as staged in the git index.")
@click.option(
    "-q", "--quiet", is_flag=True, help="Print errors only (not warnings), then the summary."
)
@format_option(("text", "json", "github", "sarif"))
@root_option
def validate_command(
    paths: tuple[str, ...],
    against: str | None,
    staged: bool,
    quiet: bool,
    fmt: str,
    root: Path | None,
) -> None:
    """Check model files: YAML, schema, cross-file rules.

    Every problem is printed as path:line:col: field: message; the exit
    status is 1 when there is an error. Open review flags are warnings
    (exit 0). With PATHS (as pre-commit passes them) the whole registry is
    still checked, and problems of other files are shown only when they
    come from a cross-file rule.

    \b
    Examples:
      afsreg validate
      afsreg validate models/majora/v2.yaml --against HEAD
      afsreg validate --quiet
      afsreg validate --format json
      afsreg validate --against origin/main --format github   # annotations in a GitHub job
      afsreg validate --format sarif > afsreg.sarif             # for code scanning
    """
    resolved = resolve_root(root)
    report = validate(resolved, paths, against=against, staged=staged)
    if fmt in ("github", "sarif"):
        from afsreg.read.reporters import checkout_prefix, github_commands, sarif_log

        prefix = checkout_prefix(resolved)
        if fmt == "github":
            for line in github_commands(report.problems, prefix):
                click.echo(safe_text(line))
        else:
            emit(sarif_log(report.problems, prefix), "json")
    elif fmt == "json":
        emit(
            {
                "ok": not report.errors,
                "files_checked": report.files_checked,
                "versions": report.versions,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "problems": [p.as_dict() for p in report.problems],
            },
            "json",
        )
    else:
        for problem in report.errors if quiet else report.problems:
            text = safe_text(problem)
            click.echo(paint(text, problem.severity), err=problem.severity == "error")
        summary = (
            f"{len(report.errors)} error(s), {len(report.warnings)} warning(s) "
            f"in {report.versions} version(s)"
        )
        verdict = paint("failed:", "error") if report.errors else paint("ok:", "ok")
        click.echo(f"{verdict} {summary}", err=bool(report.errors))
    if report.errors:
        raise SystemExit(1)


@click.command("list")
@format_option()
@rev_option
@root_option
def list_command(fmt: str, rev: str | None, root: Path | None) -> None:
    """A row per model: versions, latest, promoted, deployed, framework, state.

    \b
    Examples:
      afsreg list
      afsreg list --rev main~5 --format json
    """
    rows = views.model_rows(open_registry(root, rev), with_metrics=fmt != "table")
    emit(rows, fmt)


@click.command("versions")
@click.argument("name")
@format_option()
@rev_option
@root_option
def versions_command(name: str, fmt: str, rev: str | None, root: Path | None) -> None:
    """The versions of one model, in version order.

    \b
    Example:
      afsreg versions majora
    """
    registry = open_registry(root, rev)
    registry.require_model(name)
    emit(views.version_rows(registry, name, with_metrics=fmt != "table"), fmt)


@click.command("show")
@click.argument("ref")
@format_option(("yaml", "json", "table"))
@rev_option
@root_option
def show_command(ref: str, fmt: str, rev: str | None, root: Path | None) -> None:
    """Everything recorded for one version.

    REF is any reference: majora@v2, majora@latest, majora@promoted,
    majora@production, models:/majora/2.

    \b
    Examples:
      afsreg show majora@v2
      afsreg show majora@production
      afsreg show majora@v1 --rev HEAD~1 --format json
    """
    version = open_registry(root, rev).get(ref)
    data = views.show(version)
    if fmt == "table":
        from afsreg.format.fields import flatten

        emit([{"field": k, "value": v} for k, v in flatten(data).items()], "table")
    elif fmt == "yaml":
        click.echo(safe_text(_yaml(data)), nl=False)
    else:
        emit(data, fmt)


def _yaml(data: Any) -> str:
    from afsreg.cli.options import to_yaml

    return to_yaml(data)


@click.command("compare")
@click.argument("first")
@click.argument("second")
@format_option()
@rev_option
@root_option
def compare_command(first: str, second: str, fmt: str, rev: str | None, root: Path | None) -> None:
    """Two versions side by side: metrics with deltas, then every other field that differs.

    \b
    Example:
      afsreg compare majora@v1 majora@v2
    """
    registry = open_registry(root, rev)
    result = views.compare(registry.get(first), registry.get(second))

    from afsreg.read.diff import format_delta

    def render(data: dict[str, Any]) -> str:
        # Signed, as in diff: +0.02 beside -0.02.
        metrics = [{**row, "delta": format_delta(row["delta"])} for row in data["metrics"]]
        return "metrics\n" + table(metrics) + "\n\nother fields\n" + table(data["fields"])

    emit(result, fmt, render)


@click.command("review")
@format_option()
@rev_option
@root_option
def review_command(fmt: str, rev: str | None, root: Path | None) -> None:
    """Every open review flag: values a human still has to confirm.

    \b
    Example:
      afsreg review
    """
    rows = views.review_rows(open_registry(root, rev))
    emit(rows, fmt, lambda r: table(r, ["version", "field", "reason"]))


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def init_command(directory: Path) -> None:
    """Create a registry: a git repository with models/, a pre-commit config and .gitignore.

    \b
    Example:
      afsreg init my-registry && cd my-registry && pre-commit install
    """
    from afsreg.write.scaffold import init_registry  # pygit2: only when a registry is made

    created = init_registry(directory)
    for path in created:
        click.echo(f"created {directory / path}")
    if not created:
        click.echo(f"{directory} is already a registry; nothing to do")


@click.command("install-hooks")
@click.option("--force", is_flag=True, help="Replace an existing pre-commit hook.")
@root_option
def install_hooks_command(force: bool, root: Path | None) -> None:
    """Install afsreg's plain git pre-commit hook (for repos not using the pre-commit framework).

    \b
    Example:
      afsreg install-hooks
    """
    from afsreg.write.scaffold import install_hooks

    target = install_hooks(resolve_root(root), force=force)
    click.echo(f"installed {target}")


commands: list[click.Command] = [
    validate_command,
    list_command,
    versions_command,
    show_command,
    compare_command,
    review_command,
    init_command,
    install_hooks_command,
]
