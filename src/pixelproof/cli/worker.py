"""`pixelproof worker`: runs the images of jobs (``POST /v1/jobs``) queued in PostgreSQL."""

import asyncio
import logging
from typing import Annotated

import typer

from ..storage.queue import is_queued
from .store_options import DbOption, errors, open_store, settings_from


def worker(
    db: DbOption = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, metavar="N", help="Images analyzed at once.", show_default="as many as the memory budget holds"
        ),
    ] = None,
) -> None:
    """Run jobs' images from the PostgreSQL database, on this machine, until stopped (Ctrl+C).

    Start as many as you like, on any machine that reaches the database and has the models
    (`pixelproof models fetch`). `pixelproof serve` runs one of its own too (PIXELPROOF_JOB_WORKERS=0
    turns it off). docs/scaling.md tells how it works."""
    settings = settings_from(db=db)
    if not is_queued(settings.db_url):
        errors.print(
            "[red]no task queue on SQLite:[/red] the SQLite default runs jobs inside `pixelproof serve`. "
            "Workers of their own need PostgreSQL: --db postgresql+psycopg://… (env PIXELPROOF_DB).",
            highlight=False,
        )
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # imported here, so that other commands do not pay for the engine and the API
    from ..api.job_queue import standalone_worker

    with open_store(settings) as store:
        queue_worker = standalone_worker(settings, store)
        slots = queue_worker.admission.slots.total_tokens
        typer.echo(f"pixelproof worker: up to {concurrency or slots} image(s) at once; Ctrl+C stops", err=True)
        asyncio.run(queue_worker.work(concurrency or slots))
