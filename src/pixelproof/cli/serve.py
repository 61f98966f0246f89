"""`pixelproof serve`: the HTTP API, in one process or several (``--workers``)."""

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from ..settings import MB, Settings
from .keys import print_new_key
from .store_options import DataDirOption, DbOption, errors, open_store, settings_from

# uvicorn restarts a worker that does not answer its parent's ping within this many seconds. Its
# default (5 s) is shorter than a new worker's imports on a busy machine: it would be killed while
# starting, again and again. A worker that hangs for real is still replaced, a minute later.
WORKER_HEALTHCHECK_S = 60


def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; 0.0.0.0 exposes the server to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    data_dir: DataDirOption = None,
    db: DbOption = None,
    open_access: Annotated[
        bool, typer.Option("--open", help="Serve without API keys: anyone who can reach the port can use it.")
    ] = False,
    max_upload_mb: Annotated[
        float | None, typer.Option(help="Largest image accepted, in MB (at most 50).", show_default="10")
    ] = None,
    url_allow: Annotated[
        list[str] | None,
        typer.Option("--url-allow", metavar="HOST", help="A private host or CIDR that URLs may point to (repeatable)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="N",
            help="Server processes behind the port; they share the database (credits, limits, index), "
            "and each holds its own models (docs/scaling.md).",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    settings = settings_from(
        data_dir=data_dir,
        db=db,
        max_upload_bytes=round(max_upload_mb * MB) if max_upload_mb is not None else None,
        url_allow=",".join(url_allow) if url_allow else None,
    )
    with open_store(settings) as store:
        if not open_access and not store.has_keys():
            typer.echo("No API key exists yet, so one was created for you.")
            print_new_key(*store.create_key("default"))
    if open_access:
        errors.print(
            "[bold yellow]Warning:[/bold yellow] serving with --open: no API key is needed, "
            f"so anyone who can reach {host}:{port} can use this server.",
            highlight=False,
        )

    if workers > 1:
        _serve_workers(settings, host, port, workers, open_access)
        return

    # imported here, so that `pixelproof scan` does not pay for importing FastAPI
    from ..api import create_app
    from ..api.protocol import ErrorShapedProtocol

    uvicorn.run(create_app(settings, open_access=open_access), host=host, port=port, http=ErrorShapedProtocol)


def _serve_workers(settings: Settings, host: str, port: int, workers: int, open_access: bool) -> None:
    """uvicorn's worker processes, each building its app from ``api.workers``. The schema was
    brought up to date above, once, before any of them starts."""
    with tempfile.TemporaryDirectory(prefix="pixelproof-serve-") as run:
        metrics = Path(run) / "metrics"
        metrics.mkdir()
        # Prometheus counters meet here, so that /metrics sums all workers: the user's folder
        # (which they empty before each start), else this fresh private one. Set before any
        # worker imports prometheus_client.
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics))
        from ..api.protocol import ErrorShapedProtocol
        from ..api.workers import FACTORY, share_with_workers

        share_with_workers(settings, workers, open_access, job_lock=Path(run) / "jobs.lock")
        uvicorn.run(
            FACTORY,
            factory=True,
            workers=workers,
            host=host,
            port=port,
            http=ErrorShapedProtocol,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        )
