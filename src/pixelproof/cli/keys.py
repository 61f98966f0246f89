"""`pixelproof keys`: create, list, credit and revoke API keys, and show their webhook secrets."""

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
    typer.echo(f"Credits: {_credits(key)}.")
    typer.echo("Save it now: it won't be shown again.")


def _credits(key: KeyInfo) -> str:
    return "unlimited" if key.credits is None else f"{key.credits} (one per analyzed image)"


@app.command()
def create(
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "default",
    credits: Annotated[
        int | None,
        typer.Option(min=0, help="Images the key may have analyzed, across all APIs.", show_default="unlimited"),
    ] = None,
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Create a key and print its token (only this once)."""
    with open_store(settings_from(data_dir=data_dir, db=db)) as store:
        key, token = store.create_key(name, credits=credits)
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
def credit(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `keys list` shows it.")],
    amount: Annotated[
        int | None, typer.Argument(min=0, help="Credits to add (one per image).", show_default=False)
    ] = None,
    set_balance: Annotated[bool, typer.Option("--set", help="Set the balance to AMOUNT instead of adding.")] = False,
    unlimited: Annotated[bool, typer.Option("--unlimited", help="Remove the key's limit.")] = False,
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Top up a key's credits (every analyzed image costs one, whichever API asked)."""
    if unlimited == (amount is not None) or (set_balance and unlimited):
        raise typer.BadParameter("give an AMOUNT (with or without --set), or --unlimited")
    if amount == 0 and not set_balance:
        raise typer.BadParameter("a top-up adds at least 1 credit; use --set 0 to empty the balance")
    with open_store(settings_from(data_dir=data_dir, db=db)) as store:
        before = store.get_key(key_id)
        if before is None:
            errors.print(f"no key with id {key_id!r}", highlight=False)
            raise typer.Exit(1)
        if before.credits is None and not (set_balance or unlimited):
            errors.print(
                f"key {key_id} is unlimited; `keys credit {key_id} N --set` gives it a balance", highlight=False
            )
            raise typer.Exit(1)
        if unlimited or set_balance:
            key = store.set_credits(key_id, None if unlimited else amount)
        else:
            key = store.add_credits(key_id, amount)
    typer.echo(f"Key {key_id} credits: {_credits(key)}.")
    if not key.active:
        errors.print(f"note: key {key_id} is revoked, so its credits cannot be used", highlight=False)


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


@app.command("webhook-secret")
def webhook_secret(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `keys list` shows it.")],
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Print the secret that signs this key's job webhooks (made at the first ask)."""
    with open_store(settings_from(data_dir=data_dir, db=db)) as store:
        secret = store.webhook_secret(key_id)
    if secret is None:
        errors.print(f"no key with id {key_id!r}", highlight=False)
        raise typer.Exit(1)
    typer.echo(secret)
