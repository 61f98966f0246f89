"""`pixelproof keys` (placeholder until implemented)."""

import typer

app = typer.Typer(help="Not implemented yet.", no_args_is_help=True)
