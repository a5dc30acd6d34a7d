"""Options and output shared by every command.

Commands format and exit; the work is done by library functions. Output goes
through ``emit``: a table for people (tabulate), or JSON / YAML for programs.
Text that came from model files is escaped before it reaches a terminal, so a
file cannot move the cursor or recolour the screen.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from afsreg.text import lazy_pattern, visible

if TYPE_CHECKING:
    from afsreg.registry import Registry

FORMATS = ("table", "json", "yaml")


def safe_text(value: object) -> str:
    """Text with control characters (ANSI escapes included) made visible."""
    return visible(value)


def root_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Registry root (default: the git work tree around the current directory).",
    )(func)


def rev_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--rev REV`` for commands that read the working tree unless told a commit."""
    return click.option(
        "--rev",
        default=None,
        metavar="REV",
        help="Read the registry at this commit instead of the working tree.",
    )(func)


def commit_rev_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--rev REV`` (default HEAD) for commands that always read a commit, never the working tree."""
    return click.option("--rev", default="HEAD", show_default=True, metavar="REV", help=help)


def format_option(
    choices: Sequence[str] = FORMATS,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format`` (and, for a command that prints tables, ``--wide``)."""
    option = click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )
    if "table" not in choices:
        return option
    return lambda func: wide_option(option(func))


def open_registry(root: Path | None, rev: str | None) -> Registry:
    """The registry a read command works on: at ``root`` (or found), at ``rev`` (or the working tree).

    Problems the answer would hide are said on stderr: files that don't
    parse (left out, so the command exits 1 after its output: see
    ``INCOMPLETE``) and the registry's other errors (two promoted versions
    committed with --no-verify, say).
    """
    from afsreg.registry import Registry

    registry = Registry.open(resolve_root(root), rev=rev)
    report_registry_problems(registry)
    return registry


# click context meta key: set when a read command's answer leaves out files.
INCOMPLETE = "afsreg.incomplete"
_MAX_WARNINGS = 10


def report_registry_problems(registry: Registry) -> None:
    """Name on stderr every unreadable file, and the first errors of the rest."""
    from afsreg.registry import unreadable_message

    unreadable = registry.unreadable
    for problem in unreadable:
        click.echo(f"warning: {safe_text(unreadable_message(problem))}; left out", err=True)
    context = click.get_current_context(silent=True)
    if unreadable and context is not None:
        context.meta[INCOMPLETE] = len(unreadable)
    skip = {p.path for p in unreadable}
    others = [p for p in registry.errors if p.path not in skip]
    for problem in others[:_MAX_WARNINGS]:
        click.echo(f"warning: {safe_text(problem)}", err=True)
    if len(others) > _MAX_WARNINGS:
        click.echo(
            f"warning: ... and {len(others) - _MAX_WARNINGS} more errors (afsreg validate)",
            err=True,
        )


def exact_version(root: Path | None, text: str, rev: str | None) -> tuple[str, str]:
    """(name, version) of any reference (majora@latest, majora@production, models:/majora/2).

    An exact NAME@VERSION is taken as it is (its file may exist only in
    history); any other reference is resolved in the registry at ``rev``.
    """
    from afsreg.format.refs import parse_version_ref

    ref = parse_version_ref(text)
    if ref.kind == "version":
        return ref.name, ref.value
    version = open_registry(root, rev).get(ref)
    return version.name, version.version


def resolve_root(root: Path | None) -> Path:
    from afsreg.git.repo import resolve_root  # imports pygit2: only when a command needs a root

    return resolve_root(root)


_JSON_UNSAFE = lazy_pattern(r"[\x7f-\x9f\u2028\u2029]")


def to_json(data: Any) -> str:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    # json.dumps escapes only U+0000-U+001F; C1 controls (CSI \x9b) can still move a
    # terminal. They occur only inside JSON strings, where \uXXXX means the same.
    return _JSON_UNSAFE().sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_yaml(data: Any) -> str:
    import yaml

    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False))


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A plain table; long cells are clipped with a visible … (``--wide`` shows everything).

    On a terminal the table is made to fit its width, narrowing the widest
    columns first; piped, each cell is at most MAX_CELL characters.
    """
    if not rows:
        return "(none)"
    columns = list(columns or rows[0].keys())
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    headers = columns
    if not WIDE:
        widths = fit_widths(columns, cells, terminal_width())
        cells = [[clip(cell, w) for cell, w in zip(row, widths, strict=True)] for row in cells]
        headers = [clip(h, w) for h, w in zip(columns, widths, strict=True)]
    plain = plain_table(headers, cells)
    return plain if plain is not None else tabulate_table(headers, cells)


def tabulate_table(headers: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    """``cells`` under ``headers`` in tabulate's simple format (what plain_table writes faster)."""
    import tabulate as tabulate_module

    # tabulate pads headers by two more by default, which would undo the fitting.
    padding, tabulate_module.MIN_PADDING = tabulate_module.MIN_PADDING, 0
    try:
        return str(
            tabulate_module.tabulate(
                cells, headers=headers, tablefmt="simple", disable_numparse=True
            )
        )
    finally:
        tabulate_module.MIN_PADDING = padding


def plain_table(headers: Sequence[str], cells: Sequence[Sequence[str]]) -> str | None:
    """tabulate's "simple" table of text cells, written directly; None unless all is printable ASCII.

    What ``table`` prints for the common case without importing tabulate or
    inferring a type per cell (0.1 s for 1,000 rows): columns as wide as
    their widest cell or header, cells stripped and left-aligned, two spaces
    between columns, no trailing spaces. Printable ASCII is where every
    width is the length and nothing is an escape code or a line break, so
    the two agree (a test holds them together); any other text goes to tabulate.
    """
    text = "".join(headers) + "".join("".join(row) for row in cells)
    if not headers or not (text.isascii() and text.isprintable()):
        return None
    stripped = [[cell.strip(" ") for cell in row] for row in cells]
    widths = [max([len(h), *(len(row[i]) for row in stripped)]) for i, h in enumerate(headers)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths).rstrip(),
    ]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in stripped
    ]
    return "\n".join(lines)


MAX_CELL = 72
MIN_COLUMN = 6
WIDE = False  # set by --wide (see wide_option)


def terminal_width() -> int | None:
    """The width of the terminal stdout is, or None when it is not one (piped, a file)."""
    import shutil
    import sys

    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((100, 24)).columns


def fit_widths(
    columns: Sequence[str], cells: Sequence[Sequence[str]], width: int | None
) -> list[int]:
    """Column widths: each at most MAX_CELL and, given a width, narrowed (widest first) to fit it."""
    widths = [
        min(MAX_CELL, max([len(h), *(len(row[i]) for row in cells)])) for i, h in enumerate(columns)
    ]
    if width is None:
        return widths
    floor = [min(MIN_COLUMN, w) for w in widths]
    while sum(widths) + 2 * (len(widths) - 1) > width:  # two spaces between columns
        widest = max(range(len(widths)), key=lambda i: widths[i] - floor[i])
        if widths[widest] <= floor[widest]:
            break  # as narrow as it can usefully be; the terminal wraps the rest
        widths[widest] -= 1
    return widths


def wide_option(func: Callable[..., Any]) -> Callable[..., Any]:
    def turn_on(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        global WIDE
        WIDE = WIDE or value

    return click.option(
        "--wide",
        is_flag=True,
        expose_value=False,
        callback=turn_on,
        help="Show long values in tables whole (no clipping to the terminal width).",
    )(func)


def color_enabled() -> bool:
    """Colour unless NO_COLOR is set (https://no-color.org); click drops it when not a terminal."""
    import os

    return not os.environ.get("NO_COLOR")


def paint(text: str, kind: str) -> str:
    """``text`` coloured for its kind (error, warning, ok, or a promotion state)."""
    colours = {
        "error": "red",
        "warning": "yellow",
        "ok": "green",
        "promoted": "green",
        "rejected": "red",
        "superseded": "bright_black",
    }
    colour = colours.get(kind)
    if colour is None or not color_enabled():
        return text
    return click.style(text, fg=colour, bold=kind == "error")


def clip(text: str, width: int = MAX_CELL) -> str:
    """Keep tables readable: long cells are cut (use --format json for everything)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    # One cell, one line: a newline (a crafted folder name, say) would start a fake row.
    return safe_text(value).replace("\n", "\\n").replace("\t", "\\t")


def emit(data: Any, fmt: str, render_table: Callable[[Any], str] | None = None) -> None:
    """Print ``data`` as JSON, YAML, or a table made by ``render_table``."""
    if fmt == "json":
        click.echo(to_json(data))
    elif fmt == "yaml":
        click.echo(to_yaml(data), nl=False)
    elif render_table is not None:
        click.echo(render_table(data))
    elif isinstance(data, list):
        click.echo(table(data))
    else:
        click.echo(safe_text(to_yaml(data)), nl=False)
