"""Review commands: check-policy, codeowners, ci."""

from __future__ import annotations

import os
from pathlib import Path

import click

from afsreg.cli.options import (
    emit,
    format_option,
    open_registry,
    resolve_root,
    root_option,
    safe_text,
    table,
)
from afsreg.errors import AfsregError


@click.command("check-policy")
@click.argument("ref")
@click.option(
    "--stage",
    "stages",
    multiple=True,
    metavar="STAGE",
    help="'promoted' or an environment (repeatable); default: promotion and every environment.",
)
@format_option(("table", "json"))
@root_option
def check_policy_command(ref: str, stages: tuple[str, ...], fmt: str, root: Path | None) -> None:
    """Dry run: would REF pass the policy's gates if it were promoted or deployed now?

    Prints every rule with its numbers; exit 1 when one fails. Nothing is
    written. The same rules refuse `afsreg promote` and `afsreg deploy`, and
    fail `afsreg validate` (the pre-commit hook, CI).

    \b
    Examples:
      afsreg check-policy majora@v3
      afsreg check-policy majora@v3 --stage production --format json
    """
    from afsreg.checks.policy import dry_run, require_policy
    from afsreg.format.refs import parse_ref

    registry = open_registry(root, None)
    policy = require_policy(registry.root)
    if policy is None:
        raise AfsregError("this registry has no afsreg.yaml; there is no policy to check")
    version = registry.get(parse_ref(ref))
    results = dry_run(registry, policy, version, stages or None)
    if fmt == "json":
        emit([r.as_dict() for r in results], "json")
    else:
        rows = [
            {
                "gate": r.gate,
                "rule": r.rule,
                "result": "pass" if r.passed else "FAIL",
                "detail": r.message,
            }
            for r in results
        ]
        click.echo(table(rows) if rows else f"no gate applies to {version.ref_text}")
        for r in results:
            if r.problem is not None:
                click.echo(safe_text(r.problem), err=True)
    if any(not r.passed for r in results):
        raise SystemExit(1)


@click.command("codeowners")
@click.option("--check", is_flag=True, help="Do not write; exit 1 when the file is out of date.")
@root_option
def codeowners_command(check: bool, root: Path | None) -> None:
    """Write afsreg's block of .github/CODEOWNERS from the models' owners.

    Owners come from afsreg.yaml (`owners:`), else each model's latest
    `owner`. Only the block between afsreg's markers is written. With
    branch protection requiring code-owner review, a change to a model's
    files then needs its owner's approval.

    \b
    Examples:
      afsreg codeowners && git add .github/CODEOWNERS
      afsreg codeowners --check        # in CI
    """
    from afsreg.checks.policy import require_policy
    from afsreg.read.codeowners import codeowners
    from afsreg.write.codeowners import write_codeowners

    registry = open_registry(root, None)
    result = codeowners(registry, require_policy(registry.root))
    for note in result.notes:
        click.echo(safe_text(f"note: {note}"), err=True)
    if check:
        if result.stale:
            click.echo(
                f"{result.path}: out of date with the models' owners; run `afsreg codeowners`",
                err=True,
            )
            raise SystemExit(1)
        click.echo(f"{result.path}: up to date")
        return
    changed = write_codeowners(registry.root, result)
    click.echo(f"{'wrote' if changed else 'unchanged:'} {result.path}")


@click.command("ci")
@click.option("--base", metavar="REV", help="Compare with REV instead of the pull request's base.")
@root_option
def ci_command(base: str | None, root: Path | None) -> None:
    """What the GitHub Action runs: validate against the PR's base, annotate, summarise.

    Reads the job's GITHUB_* variables: the base from the event
    (GITHUB_EVENT_PATH) or GITHUB_BASE_REF; problems are printed as
    workflow commands (annotations on the PR's lines); the review summary
    goes to $GITHUB_STEP_SUMMARY and a file named in the step output
    `summary-path`. Exit 1 when there is an error.

    \b
    Example (in a workflow step):
      afsreg ci
    """
    from afsreg.read.ci import run_ci

    result = run_ci(resolve_root(root), os.environ, base)
    for line in result.annotations:
        click.echo(safe_text(line))
    click.echo(
        f"afsreg: {len(result.errors)} error(s), {len(result.warnings)} warning(s), "
        f"{result.gate_failures} gate failure(s); summary in {result.summary_path}",
        err=True,
    )
    if result.errors:
        raise SystemExit(1)


commands: list[click.Command] = [check_policy_command, codeowners_command, ci_command]
