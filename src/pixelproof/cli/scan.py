"""`pixelproof scan` (placeholder until implemented)."""

import typer


def scan() -> None:
    """Not implemented yet."""
    raise typer.Exit(2)
