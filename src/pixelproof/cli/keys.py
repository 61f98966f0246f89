"""`pixelproof keys`: create, list and revoke API keys."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..storage import KeyInfo
from .store_options import DataDirOption, DbOption, errors, open_store, settings_from

app = typer.Typer(help="Manage the API keys of the HTTP API.", no_args_is_help=True)


def print_new_key(key: KeyInfo, token: str) -> None:
    """Plain lines (no wrapping), since people copy the token straight from the terminal."""
    secret = token.removeprefix(f"pp_{key.id}_")
    typer.echo(f"Created API key {key.id} ({key.name!r}). Send it as 'Authorization: Bearer <token>':")
    typer.echo(f"\n    {token}\n")
    typer.echo(f"Sightengine-compatible clients: api_user={key.id} api_secret={secret}")
    typer.echo("Save it now: it won't be shown again.")


@app.command()
def create(
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "default",
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Create a key and print its token (only this once)."""
    with open_store(settings_from(data_dir=data_dir, db=db)) as store:
        key, token = store.create_key(name)
    print_new_key(key, token)


@app.command("list")
def list_keys(data_dir: DataDirOption = None, db: DbOption = None) -> None:
    """List keys (never their secrets)."""
    with open_store(settings_from(data_dir=data_dir, db=db)) as store:
        keys = store.list_keys()
    table = Table("id", "name", "created", "status", "credits")
    for key in keys:
        status = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
        credits = "unlimited" if key.credits is None else str(key.credits)
        table.add_row(key.id, key.name, f"{key.created_at:%Y-%m-%d %H:%M}", status, credits)
    Console().print(table)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `keys list` shows it.")],
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    with open_store(settings_from(data_dir=data_dir, db=db)) as store:
        revoked = store.revoke_key(key_id)
    if not revoked:
        errors.print(f"no active key with id {key_id!r}", highlight=False)
        raise typer.Exit(1)
    typer.echo(f"Revoked {key_id}.")
