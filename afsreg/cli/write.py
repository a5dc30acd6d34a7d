"""Write commands: add, score, promote, reject, deploy, rollback, deprecate, archive, import-json.

Each is a thin layer over afsreg.write (register, lifecycle): it edits version files (keeping
their comments and layout), validates the whole registry first, and with
``--commit`` commits exactly the files it changed through ``git commit``.

Why ~460 lines in one module: nine write commands, each a thin option layer
with its help and examples; they share WriteFlags and the change report.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from afsreg.cli.options import emit, resolve_root, root_option, safe_text
from afsreg.format.refs import parse_name_or_ref
from afsreg.format.versions import Bump
from afsreg.registry import Registry
from afsreg.seeds.import_json import import_defaults, import_json
from afsreg.write.change import Change, DecisionOptions, WriteOptions
from afsreg.write.lifecycle import (
    DEFAULT_ENV,
    archive,
    deploy,
    deprecate,
    promote,
    reject,
    rollback,
)
from afsreg.write.lock import write_lock
from afsreg.write.register import (
    fields_from_assignments,
    parse_score,
    read_template,
    register_model,
    update_evaluation_scores,
)


@dataclass(frozen=True)
class WriteFlags:
    """The options every write command shares, gathered by ``write_options``."""

    commit: bool
    message: str | None
    dry_run: bool
    fmt: str
    root: Path | None
    by: str | None = None
    at: str | None = None

    def open(self) -> Registry:
        return Registry.open(resolve_root(self.root))

    @property
    def write(self) -> WriteOptions:
        """The keywords every write function takes."""
        return {"dry_run": self.dry_run, "commit": self.commit, "message": self.message}

    @property
    def decision(self) -> DecisionOptions:
        """... and, for the functions that record a decision, who and when."""
        return {**self.write, "by": self.by, "at": self.at}

    def report(self, change: Change, before: Registry) -> None:
        _report(change, before, self.fmt, self.dry_run)


def write_options(*, actor: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--commit, -m, --dry-run, --format text|json, --root (and with ``actor``, --by and --at).

    The command receives them as one ``flags: WriteFlags`` argument.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            names = ("commit", "message", "dry_run", "fmt", "root", "by", "at")
            flags = WriteFlags(**{n: kwargs.pop(n) for n in names if n in kwargs})
            # The registry's write lock, from reading it to the commit (afsreg.write.lock).
            with write_lock(resolve_root(flags.root)):
                return func(flags=flags, **kwargs)

        options = [
            click.option(
                "--commit",
                is_flag=True,
                help="Commit the changed files (the pre-commit hook runs).",
            ),
            click.option(
                "-m",
                "--message",
                default=None,
                help="Commit message (with --commit); default says what happened.",
            ),
            click.option(
                "--dry-run", is_flag=True, help="Check the change and print it; write nothing."
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["text", "json"]),
                default="text",
                show_default=True,
                help="How to report what changed (json: the files, their new text, the commit).",
            ),
        ]
        if actor:
            options += [
                click.option(
                    "--by", default=None, metavar="WHO", help="Who (default: git user.name)."
                ),
                click.option(
                    "--at",
                    default=None,
                    metavar="TIME",
                    help="When, ISO 8601 with a zone (default: now, UTC).",
                ),
            ]
        wrapped: Callable[..., Any] = root_option(command)
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped

    return decorate


def _report(change: Change, before: Registry, fmt: str, dry_run: bool) -> None:
    if fmt == "json":
        emit(change.as_dict(before, dry_run), "json")
        return
    for line in change.details:
        click.echo(safe_text(line))
    if dry_run:
        click.echo(f"dry run: would change {', '.join(change.paths)}; nothing written")
    elif change.commit_id:
        click.echo(f"committed {change.commit_id[:12]}: {safe_text(change.message)}")
    else:
        click.echo(f"changed {', '.join(change.paths)} (not committed)")


@click.command("add")
@click.argument("name")
@click.option(
    "--version",
    "version",
    default=None,
    metavar="V",
    help="Version to create (default: the next one).",
)
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    default=None,
    help="Semantic bump from the latest version instead of v1 -> v2.",
)
@click.option(
    "--parent", default=None, metavar="V", help="The version of this model it derives from."
)
@click.option(
    "--base-model",
    "base_models",
    multiple=True,
    metavar="NAME@V|ID",
    help="A base model: a version (any reference, e.g. coder@promoted) or an outside id "
    "(Qwen/Qwen2.5-Coder-7B is read as Hugging Face). Repeatable.",
)
@click.option(
    "--from",
    "template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Start from this YAML file (comments kept), e.g. the previous version.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Set a field (dotted path; VALUE is YAML). Repeatable.",
)
@write_options(actor=True)
def add_command(
    name: str,
    version: str | None,
    bump: Bump | None,  # click.Choice admits only Bump's values
    parent: str | None,
    base_models: tuple[str, ...],
    template: Path | None,
    assignments: tuple[str, ...],
    flags: WriteFlags,
) -> None:
    """Register a new version of a model as models/NAME/VERSION.yaml.

    Without --from, the model-level fields (owner, description, tags,
    family, framework) come from the latest version. An existing version
    file is never overwritten.

    \b
    Examples:
      afsreg add majora --from models/majora/v2.yaml --parent v2 \\
          --set evaluation_metrics.accuracy=0.9 --commit
      afsreg add majora --bump minor --set training_config.epochs=4
    """
    template_text = read_template(template) if template is not None else None
    registry = flags.open()
    change = register_model(
        registry,
        name,
        version=version,
        bump=bump,
        parent=parent,
        base_model=list(base_models) or None,
        template=template_text,
        fields=fields_from_assignments(assignments),
        **flags.decision,
    )
    flags.report(change, registry)


@click.command("score")
@click.argument("ref")
@click.argument("scores", nargs=-1, required=True)
@write_options()
def score_command(ref: str, scores: tuple[str, ...], flags: WriteFlags) -> None:
    """Record evaluation scores of a version (METRIC=VALUE ...).

    Known metrics have their own field; rouge1, rougeL... go under rouge;
    any other name under custom. REF is any reference (majora@v2, majora@latest).

    \b
    Examples:
      afsreg score majora@v2 accuracy=0.87 f1_score=0.84
      afsreg score majora@latest rougeL=0.41 pass_at_1=0.3 --commit
    """
    values = dict(parse_score(s) for s in scores)
    registry = flags.open()
    flags.report(update_evaluation_scores(registry, ref, values, **flags.write), registry)


@click.command("promote")
@click.argument("ref")
@click.option("--notes", default=None, help="Why it is promoted.")
@write_options(actor=True)
def promote_command(ref: str, notes: str | None, flags: WriteFlags) -> None:
    """Promote a version; the version promoted before becomes superseded.

    \b
    Examples:
      afsreg promote majora@v2 --notes "beats v1 on accuracy (0.87 vs 0.85)" --commit
      afsreg promote majora@latest --by eval-gate --at 2026-01-15T09:00:00Z --dry-run --format json
    """
    registry = flags.open()
    flags.report(promote(registry, ref, notes=notes, **flags.decision), registry)


@click.command("reject")
@click.argument("ref")
@click.option("--notes", required=True, help="Why it is rejected.")
@write_options(actor=True)
def reject_command(ref: str, notes: str, flags: WriteFlags) -> None:
    """Reject a version, saying why; it can no longer be deployed.

    \b
    Example:
      afsreg reject majora@v3 --notes "regresses on the held-out set" --commit
    """
    registry = flags.open()
    flags.report(reject(registry, ref, notes=notes, **flags.decision), registry)


@click.command("deploy")
@click.argument("ref")
@click.option("--env", default=DEFAULT_ENV, show_default=True, help="Environment to deploy to.")
@click.option("--reason", default=None, help="Why (kept with the deployment record).")
@write_options(actor=True)
def deploy_command(ref: str, env: str, reason: str | None, flags: WriteFlags) -> None:
    """Deploy the promoted version; the one deployed before in ENV is undeployed.

    Records when (UTC, or --at) and by whom (git user.name, or --by).

    \b
    Examples:
      afsreg deploy majora@v2 --env production --commit
      afsreg deploy majora@promoted --env staging --dry-run --format json
    """
    registry = flags.open()
    flags.report(deploy(registry, ref, env=env, reason=reason, **flags.decision), registry)


@click.command("rollback")
@click.argument("name")
@click.option("--env", default=DEFAULT_ENV, show_default=True, help="Environment to roll back.")
@click.option(
    "--to",
    "to",
    default=None,
    metavar="V",
    help="Version to go back to (default: the one deployed before).",
)
@click.option("--reason", default=None, help="Why (default: 'rollback from <version>').")
@write_options(actor=True)
def rollback_command(
    name: str, env: str, to: str | None, reason: str | None, flags: WriteFlags
) -> None:
    """Redeploy the version deployed before in ENV (or --to V).

    \b
    Examples:
      afsreg rollback majora --commit
      afsreg rollback majora --env staging --to v1 --dry-run
    """
    parse_name_or_ref(name)
    registry = flags.open()
    change = rollback(registry, name, env=env, to=to, reason=reason, **flags.decision)
    flags.report(change, registry)


def _retire_command(name: str, retire: Callable[..., Change], help_text: str) -> click.Command:
    """``deprecate`` and ``archive``: the same command over two write functions."""

    @click.command(name, help=help_text)
    @click.argument("ref")
    @write_options()
    def command(ref: str, flags: WriteFlags) -> None:
        registry = flags.open()
        flags.report(retire(registry, ref, **flags.write), registry)

    return command


deprecate_command = _retire_command(
    "deprecate",
    deprecate,
    """Mark a version deprecated (kept, not for new use); it must not be deployed.

    \b
    Example:
      afsreg deprecate majora@v1 --commit
    """,
)
archive_command = _retire_command(
    "archive",
    archive,
    """Mark a version archived (kept for the record only); it must not be deployed.

    \b
    Example:
      afsreg archive majora@v1 --commit
    """,
)


@click.command("import-json")
@click.argument("registry_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument(
    "lineage_json", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A top-level field the JSON lacks, for every imported version (e.g. model_family=qwen2.5-coder).",
)
@write_options()
def import_json_command(
    registry_json: Path,
    lineage_json: Path | None,
    assignments: tuple[str, ...],
    flags: WriteFlags,
) -> None:
    """Import a seed-001 registry.json (and lineage.json) into version files.

    What cannot be mapped with certainty is kept in a review flag (field,
    reason, the original value), never guessed or dropped. Prints what was
    imported and what to review.

    \b
    Examples:
      afsreg import-json ~/.context/training/registry.json ~/.context/training/lineage.json
      afsreg import-json registry.json --set model_family=qwen2.5-coder --commit
    """
    report = import_json(
        flags.open(),
        registry_json,
        lineage_json,
        defaults=import_defaults(assignments),
        **flags.write,
    )
    if flags.fmt == "json":
        emit(report.as_dict(), "json")
        return
    for line in report.lines():
        click.echo(safe_text(line))
    if flags.dry_run:
        click.echo("dry run: nothing written")
    elif report.change is not None:
        _report_commit(report.change)


def _report_commit(change: Change) -> None:
    if change.commit_id:
        click.echo(f"committed {change.commit_id[:12]}: {safe_text(change.message)}")
    else:
        click.echo("written, not committed")


commands: list[click.Command] = [
    add_command,
    score_command,
    promote_command,
    reject_command,
    deploy_command,
    rollback_command,
    deprecate_command,
    archive_command,
    import_json_command,
]
