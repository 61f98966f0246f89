"""`pixelproof serve` (placeholder until implemented)."""

import typer


def serve() -> None:
    """Not implemented yet."""
    raise typer.Exit(2)
