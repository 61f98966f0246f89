"""Command-line adapter: ``pixelproof scan | batch | serve | worker | keys | models | feedback | index | eval``."""

from typing import Annotated

import typer

from ..__version__ import __version__
from . import batch, evaluate, feedback, index, keys, models, scan, serve, worker
from .manpage import ManPageGroup

app = typer.Typer(
    name="pixelproof",
    cls=ManPageGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("scan")(scan.scan)
app.command("batch")(batch.batch)
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.add_typer(keys.app, name="keys")
app.add_typer(models.app, name="models")
app.add_typer(feedback.app, name="feedback")
app.add_typer(index.app, name="index")
app.command("eval")(evaluate.eval_command)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"pixelproof {__version__}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit.")
    ] = False,
) -> None:
    """Tell whether images were made by a generative AI model, and show the evidence."""


def main() -> None:
    app()
