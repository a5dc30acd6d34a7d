"""Web commands: card, site, serve."""

from __future__ import annotations

from pathlib import Path

import click

from afsreg.cli.options import resolve_root, root_option
from afsreg.errors import AfsregError


@click.command("card")
@click.argument("ref", metavar="REF")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the card to this file (default: standard output).",
)
@click.option("--rev", default="HEAD", show_default=True, help="Read the registry at this commit.")
@root_option
def card_command(ref: str, output: Path | None, rev: str, root: Path | None) -> None:
    """A Hugging Face model card (README.md) for a version.

    REF is NAME@VERSION, NAME@latest, NAME@promoted or NAME@ENV. The front
    matter carries base_model, base_model_relation, datasets, model-index,
    license, library_name, pipeline_tag, language and tags; the body the
    description, training, code pin, lineage, deployments and history.

    \b
    Example:
        afsreg card majora@v2
        afsreg card majora@promoted -o README.md
    """
    from afsreg.read.resolve import resolve
    from afsreg.web.snapshot import Snapshot

    snapshot = Snapshot(resolve_root(root), rev)
    text = snapshot.card(resolve(snapshot.registry, ref).version).text()
    if output is None:
        click.echo(text, nl=False)
        return
    _write_atomically(output, text)
    click.echo(f"afsreg: wrote {output}", err=True)


def _write_atomically(path: Path, text: str) -> None:
    from afsreg.git.store import write_atomically

    path = path.resolve()
    if not path.parent.is_dir():
        raise AfsregError(f"{path.parent}: no such directory")
    # A file replaced keeps its permissions; a new one is readable by all, as a README is.
    mode = path.stat().st_mode & 0o777 if path.is_file() else 0o644
    write_atomically(path, text, mode=mode)


@click.command("site")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="Folder to write the site into (replaced as a whole).",
)
@click.option("--rev", default="HEAD", show_default=True, help="Read the registry at this commit.")
@root_option
def site_command(output: Path, rev: str, root: Path | None) -> None:
    """Write the registry as a static web catalogue: no server, no network needed.

    An index with search and filters, a page per model (versions, metric
    charts, deployments over time) and a page per version (every field,
    files, lineage graph, git history, review flags, model card). Publish
    the folder on any static host, e.g. GitHub Pages.

    \b
    Example:
        afsreg site -o site && python -m http.server -d site
        afsreg site --rev v1.0 -o public
    """
    from afsreg.web.site import write_site
    from afsreg.web.snapshot import Snapshot

    snapshot = Snapshot(resolve_root(root), rev)
    written = write_site(snapshot, output)
    click.echo(
        f"afsreg: wrote {len(written)} files to {output} "
        f"({len(snapshot.registry.models())} models, {len(snapshot.registry)} versions, "
        f"commit {snapshot.commit[:10]})",
        err=True,
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@root_option
def serve_command(host: str, port: int, root: Path | None) -> None:
    """Serve the catalogue, a JSON API and an MLflow-compatible read API.

    Reads the registry at the repository's HEAD and follows new commits
    without a restart; never writes a file. Needs the `serve` extra:
    pip install 'afsreg[serve]'. The OpenAPI description is at /openapi.json,
    the MLflow API under /api/2.0/mlflow/.

    \b
    Example:
        afsreg serve --port 8000
        MLFLOW_REGISTRY_URI=http://127.0.0.1:8000 python -c \\
          'import mlflow; print(mlflow.MlflowClient().get_model_version_by_alias("majora", "production"))'
    """
    try:
        import uvicorn

        from afsreg.web.server import create_app
    except ImportError as exc:
        raise AfsregError(
            f"afsreg serve needs the serve extra ({exc.name} is missing): pip install 'afsreg[serve]'"
        ) from None
    app = create_app(resolve_root(root))
    click.echo(f"afsreg: serving {resolve_root(root)} on http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


commands = [card_command, site_command, serve_command]
