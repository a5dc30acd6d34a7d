"""The ``afsreg`` command: a thin click layer over the library.

Every error afsreg raises on purpose (AfsregError) is printed as a message
with exit status 1; anything else is a bug, reported in one line with a hint
to file it, never as a traceback unless AFSREG_DEBUG is set.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from afsreg import __version__
from afsreg.cli import db, history, read, write
from afsreg.errors import AfsregError


class _Main(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AfsregError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            if os.environ.get("AFSREG_DEBUG"):
                raise
            click.echo(
                f"error: internal error: {type(exc).__name__}: {exc} "
                "(set AFSREG_DEBUG=1 for details, and please report it)",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="afsreg")
def cli() -> None:
    """afsreg: a git-native model registry.

    Model versions are YAML files (models/<name>/<version>.yaml) reviewed in
    pull requests; afsreg validates them, reads their history from git, and
    projects them into SQL.
    """


for module in (read, write, history, db):
    for command in module.commands:
        cli.add_command(command)


def main() -> None:
    try:
        cli(prog_name="afsreg")
    except BrokenPipeError:  # `afsreg list | head`
        sys.stderr.close()
        sys.exit(1)
