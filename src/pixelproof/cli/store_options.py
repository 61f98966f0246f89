"""Options shared by the commands that use the database (``serve``, ``keys``)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from ..settings import Settings
from ..storage import Store
from ..storage.queue import QueueUnavailable

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", metavar="DIR", help="Where the SQLite database lives (env PIXELPROOF_DATA_DIR).", show_default=False),
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL instead of SQLite, e.g. postgresql+psycopg://user:pass@host/db (env PIXELPROOF_DB).",
        show_default=False,
    ),
]

errors = Console(stderr=True, soft_wrap=True)  # no wrapping inside URLs and paths


def settings_from(**options) -> Settings:
    """Settings from the environment, with the options given on the command line on top."""
    try:
        return Settings(**{name: value for name, value in options.items() if value is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(problems) from None


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    try:
        store = Store.open(settings.db_url)
    except (ValueError, SQLAlchemyError, QueueUnavailable) as exc:
        errors.print(f"[red]cannot open the database {settings.db_url}:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    with store:
        yield store
