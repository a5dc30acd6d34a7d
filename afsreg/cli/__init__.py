"""The ``afsreg`` command: a thin click layer over the library.

Every error afsreg raises on purpose (AfsregError) is printed as a message
with exit status 1; anything else is a bug, reported in one line with a hint
to file it, never as a traceback unless AFSREG_DEBUG is set.

Command modules are imported only when their command runs: a pre-commit hook
or ``afsreg log`` should not pay for importing the database drivers.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from afsreg.cli.options import INCOMPLETE, paint, safe_text
from afsreg.errors import AfsregError
from afsreg.version import __version__

# command name -> module under afsreg.cli that defines it (in its `commands` list)
COMMAND_MODULES = {
    "validate": "read",
    "list": "read",
    "versions": "read",
    "show": "read",
    "compare": "read",
    "review": "read",
    "resolve": "answers",
    "deployments": "answers",
    "search": "answers",
    "init": "read",
    "install-hooks": "read",
    "add": "write",
    "score": "write",
    "promote": "write",
    "reject": "write",
    "deploy": "write",
    "rollback": "write",
    "deprecate": "write",
    "archive": "write",
    "import-json": "write",
    "log": "history",
    "blame": "history",
    "lineage": "history",
    "tree": "history",
    "graph": "history",
    "diff": "history",
    "check-policy": "review",
    "codeowners": "review",
    "ci": "review",
    "migrate": "db",
    "sync": "db",
    "status": "db",
    "report": "db",
    "adopt": "db",
    "card": "web",
    "site": "web",
    "serve": "web",
}


# The commands by task, for --help, each group with one example.
GROUPS: list[tuple[str, list[str], str]] = [
    (
        "Read",
        ["list", "versions", "show", "compare", "review", "validate"],
        "afsreg show majora@production --format json",
    ),
    (
        "Answer",
        ["resolve", "deployments", "search"],
        "afsreg search \"promotion = 'promoted' AND metrics.accuracy > 0.8\" --order-by 'metrics.accuracy desc'",
    ),
    (
        "Write",
        ["add", "score", "promote", "reject", "deploy", "rollback", "deprecate", "archive"],
        "afsreg deploy majora@promoted --env production --commit",
    ),
    (
        "History",
        ["log", "blame", "lineage", "tree", "graph", "diff"],
        "afsreg lineage Qwen/Qwen2.5-Coder-7B --down",
    ),
    (
        "Review",
        ["check-policy", "codeowners", "ci"],
        "afsreg check-policy majora@v3 --stage production",
    ),
    ("Database", ["sync", "status", "adopt", "migrate"], "afsreg sync --database-url \"$DATABASE_URL\""),
    ("Web", ["card", "site", "serve"], "afsreg site -o site && python -m http.server -d site"),
    ("Set-up", ["init", "install-hooks"], "afsreg init my-registry"),
    # afsreg/seeds/: one-off migrations from the registries afsreg was specified from,
    # listed apart so nobody takes them for everyday commands.
    ("Seed bridges (one-off migrations)", ["import-json", "report"], "afsreg import-json registry.json lineage.json"),
]  # fmt: skip


def load_command(name: str) -> click.Command | None:
    module_name = COMMAND_MODULES.get(name)
    if module_name is None:
        return None
    module = importlib.import_module(f"afsreg.cli.{module_name}")
    return next((c for c in module.commands if c.name == name), None)


class _Main(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and load_command(name) is None:
            import difflib

            close = difflib.get_close_matches(name, list(COMMAND_MODULES), n=2, cutoff=0.6)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(n) for n in COMMAND_MODULES)
        for title, names, example in GROUPS:
            rows = []
            for name in names:
                command = load_command(name)
                if command is not None:
                    rows.append((name, command.get_short_help_str(limit)))
            with formatter.section(title):
                formatter.write_dl(rows)
                formatter.write_text(f"e.g. {example}")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            incomplete = ctx.meta.get(INCOMPLETE)
            if incomplete:
                click.echo(
                    f"error: {incomplete} model file(s) could not be read; "
                    "the answer above leaves them out",
                    err=True,
                )
                ctx.exit(1)
            return result
        except AfsregError as exc:
            click.echo(f"{paint('error:', 'error')} {safe_text(exc)}", err=True)
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (
            BrokenPipeError
        ):  # `afsreg resolve ... | head`: the reader left; main() exits quietly
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            if os.environ.get("AFSREG_DEBUG"):
                raise
            click.echo(
                f"error: internal error: {type(exc).__name__}: {safe_text(exc)} "
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


def main() -> None:
    try:
        cli(prog_name="afsreg")
    except BrokenPipeError:  # `afsreg list | head`
        sys.stderr.close()
        sys.exit(1)
