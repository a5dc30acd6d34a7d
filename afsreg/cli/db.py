"""Database commands: ``afsreg migrate``, ``sync``, ``status`` and ``report``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from afsreg.cli.options import (
    commit_rev_option,
    emit,
    format_option,
    resolve_root,
    root_option,
    safe_text,
)

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def database_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--database-url",
        envvar="AFSREG_DATABASE_URL",
        default=None,
        metavar="URL",
        help="postgresql://user@host:port/db or sqlite:///file "
        "(default: $AFSREG_DATABASE_URL, else .afsreg/registry.sqlite3 in the registry).",
    )(func)


project_rev_option = commit_rev_option("The commit to project (never the working tree).")


class _Bar:
    """The sync's ``Progress`` on a terminal: one click.progressbar per phase.

    Each phase shows its name and real counts (``reading history [###  ] 300/600 50%``);
    no ETA, as the library reports in batches at rates that differ between
    phases and between cached and uncached items, so an ETA from the first
    batches misleads. ``finish`` means every unit of the phase is done: the
    bar is drawn at its total, then its line is erased, so the next phase
    draws in its place and the final screen holds the report, not a stale bar.
    """

    MIN_ITEMS = 500  # a shorter phase is over before a bar is worth drawing
    # Back to column 0, erase the line, show the cursor again (click hides it while drawing).
    CLEAR = "\r\x1b[2K\x1b[?25h"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: ProgressBar[int] | None = None

    def start(self, label: str, total: int) -> None:
        self.finish()
        if total >= self.MIN_ITEMS:
            self.bar = click.progressbar(
                length=total,
                label=label,
                file=self.stream,
                show_eta=False,
                show_pos=True,
                show_percent=True,
            )
            self.bar.render_progress()

    def advance(self, n: int) -> None:
        if self.bar is not None and self.bar.length is not None:
            self.bar.update(max(0, min(n, self.bar.length - self.bar.pos)))  # never past the total

    def finish(self) -> None:
        if self.bar is not None and self.bar.length is not None:
            self.bar.update(self.bar.length - self.bar.pos)  # the batches' remainder
            self.bar.render_progress()
        self.close()

    def close(self) -> None:
        """Erase the bar's line, whether its phase finished or the run stopped."""
        if self.bar is not None:
            self.stream.write(self.CLEAR)
            self.stream.flush()
            self.bar = None


def _progress() -> _Bar | None:
    """A bar only for a person at a terminal: not when stderr is piped, in CI, or on a dumb one.

    NO_COLOR leaves it on: it is about colour (https://no-color.org), and the bar has none.
    """
    if not sys.stderr.isatty() or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return None
    return _Bar(sys.stderr)


@click.command()
@root_option
@database_option
@click.option("--dry-run", is_flag=True, help="Show what would be applied; change nothing.")
def migrate(root: Path | None, database_url: str | None, dry_run: bool) -> None:
    """Bring the database schema up to date (sync does this too).

    Applies the numbered migrations not yet recorded in afsreg_schema_migrations, in
    one transaction. Refuses an edited migration or a database migrated by a
    newer afsreg.

    Example: afsreg migrate --database-url postgresql://postgres@127.0.0.1:5432/models
    """
    from afsreg.db.connect import connect, resolve_url
    from afsreg.db.migrate import migrate as run

    url = resolve_url(database_url, resolve_root(root))
    with connect(url) as db:
        applied = run(db, dry_run=dry_run)
        verb = "would apply" if dry_run else "applied"
        if applied:
            for migration in applied:
                click.echo(f"{verb} {migration.source}")
        else:
            click.echo(f"{db.url}: schema up to date")


@click.command()
@root_option
@database_option
@project_rev_option
@click.option(
    "--full", is_flag=True, help="Re-project everything afsreg owns (not only what changed)."
)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option(
    "--overwrite-db-changes",
    is_flag=True,
    help="Write over values changed in the database since the last sync (by another service "
    "or by hand); without it sync stops and lists them.",
)
@click.option(
    "--on-remove",
    type=click.Choice(["restore", "keep"]),
    default="restore",
    show_default=True,
    help="A row afsreg adopted whose file is gone: restore its values from before adoption, "
    "or keep them as afsreg last wrote them. Rows afsreg created are deleted either way.",
)
@format_option(("text", "json"))
def sync(
    root: Path | None,
    database_url: str | None,
    rev: str,
    full: bool,
    dry_run: bool,
    overwrite_db_changes: bool,
    on_remove: str,
    fmt: str,
) -> None:
    """Project the registry at REV into the database (model_versions, artifacts, events).

    Validates first and changes nothing if the registry is invalid; then
    syncs in one transaction, incrementally from the last synced commit.
    In a shared database it writes only the rows it created or adopted, and
    stops, writing nothing, if one of them was changed in the database since.

    \b
    Examples:
        afsreg sync --database-url postgresql://postgres@127.0.0.1:5432/models
        afsreg sync --full --overwrite-db-changes
    """
    from afsreg.db.sync import sync as run

    progress = _progress()
    try:
        # The root is resolved by sync itself: the no-op path asks git, without pygit2.
        report = run(
            root,
            database_url,
            rev,
            full=full,
            dry_run=dry_run,
            progress=progress,
            overwrite_db_changes=overwrite_db_changes,
            on_remove=on_remove,
        )
    finally:
        if progress is not None:  # a sync that stops leaves no bar behind either
            progress.close()
    for warning in report.warnings:
        click.echo(f"warning: {safe_text(warning)}", err=True)
    if fmt == "json":
        emit(report.as_dict(), "json")
    else:
        click.echo(safe_text(report.summary()))


@click.command()
@root_option
@database_option
@project_rev_option
@format_option(("text", "json"))
def status(root: Path | None, database_url: str | None, rev: str, fmt: str) -> None:
    """Compare the database with the files at REV; exit 1 on drift.

    Lists rows behind the files (missing, extra, different: the next sync
    writes them), rows changed in the database since afsreg wrote them (the
    next sync stops on them), and model_versions rows written outside git.

    Example: afsreg status --database-url postgresql://postgres@127.0.0.1:5432/models
    """
    from afsreg.db.status import status as run

    report = run(resolve_root(root), database_url, rev)
    if fmt == "json":
        emit(report.as_dict(), "json")
    else:
        click.echo(safe_text(report.summary()))
    if report.drift:
        raise SystemExit(1)


@click.command()
@click.argument("name", type=click.Choice(["ws1"]))
@root_option
@database_option
@project_rev_option
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write (default: docs/model_artifacts/migration_report_<name>.md in the registry).",
)
def report(
    name: str, root: Path | None, database_url: str | None, rev: str, output: Path | None
) -> None:
    """Write a migration report; ws1 is seed 000's backfill of the 8 model artifacts.

    Syncs REV first, then writes each artifact's old state (as seed 000
    describes it), its new state as synced, and what is held for review.

    Example: afsreg report ws1
    """
    from afsreg.seeds.ws1_report import write_ws1_report

    registry_root = resolve_root(root)
    path = write_ws1_report(registry_root, database_url, rev, output)
    click.echo(f"wrote {path}")


@click.command()
@root_option
@database_option
@click.option("--dry-run", is_flag=True, help="Say what would be written; write nothing.")
@click.option("--commit", is_flag=True, help="Commit the changed files (the pre-commit hook runs).")
@click.option("-m", "--message", default=None, help="Commit message (with --commit).")
@format_option(("text", "json"))
def adopt(
    root: Path | None,
    database_url: str | None,
    dry_run: bool,
    commit: bool,
    message: str | None,
    fmt: str,
) -> None:
    """Write version files for the model rows of an existing database.

    Reads artifacts rows of type model and their model_versions rows. A row
    is matched to its file by artifact id, or by the known prefix of a file's
    artifact_id review flag; values the file leaves null are filled from the
    row and flagged for review; values the row contradicts stay and are
    flagged; values changed in the database since the last sync (another
    writer) are taken; a row with no file gets one. Every file is validated
    before anything is written. Running it twice changes nothing.

    \b
    Examples:
        afsreg adopt --database-url postgresql://postgres@127.0.0.1:5432/scidex --dry-run
        afsreg adopt --database-url postgresql://postgres@127.0.0.1:5432/scidex --commit
    """
    from afsreg.db.adopt import adopt as run

    result = run(resolve_root(root), database_url, dry_run=dry_run, commit=commit, message=message)
    if fmt == "json":
        emit(result.as_dict(), "json")
    else:
        click.echo(safe_text(result.summary()))


commands: list[click.Command] = [migrate, sync, status, report, adopt]
