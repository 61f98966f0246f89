"""Command-line adapter: ``pixelproof scan | serve | keys | models | feedback | index | eval``."""

import typer

from . import evaluate, feedback, index, keys, models, scan, serve

app = typer.Typer(
    name="pixelproof",
    help="Tell whether images were made by a generative AI model, and show the evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("scan")(scan.scan)
app.command("serve")(serve.serve)
app.add_typer(keys.app, name="keys")
app.add_typer(models.app, name="models")
app.add_typer(feedback.app, name="feedback")
app.add_typer(index.app, name="index")
app.command("eval")(evaluate.eval_command)


def main() -> None:
    app()
