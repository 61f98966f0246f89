"""Builds the application: one Engine (models load once) and one Store per app."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from ..__version__ import __version__
from ..pipeline import Engine
from ..settings import Settings
from ..storage import Store
from ..storage.queue import is_queued
from . import analyze, compat, jobs, reports, web
from .admission import Admission
from .errors import install_error_handlers
from .health import Health, SelfCheck
from .job_worker import JobWorker
from .limits import BodySizeLimit
from .metrics import Metrics
from .metrics import install as install_metrics

DESCRIPTION = """Tells whether an image was made by a generative AI model, and shows the evidence.

Every endpoint needs `Authorization: Bearer <token>` (create one with `pixelproof keys create`),
unless the server runs with `--open`, except those that hold no data: `/healthz`, AIorNOT's
`/v1/system/live` (its client asks without a key), the web page (`/`, `/web/…`) and this
documentation (`/docs` and below, `/redoc`, `/openapi.json`). Prometheus metrics at `/metrics`
need a key too, unless the server runs with `metrics_public`. Every error has the shape
`{"error": {"code": "...", "message": "..."}}`; branch on `code`.

A key may carry credits: every analyzed image costs one, whichever API asked, and a key with
none left gets 402 `credits_exhausted` with nothing analyzed (`pixelproof keys credit` tops up).

Analyses are admitted within limits: 429 `rate_limited` for a key over its analyses per minute
or at once, 503 `server_busy` when every analysis slot stays taken (both with `Retry-After`),
and 503 `time_budget_exceeded` for a request past the server's time budget (refunded, nothing
stored).

Drop-in APIs of closed detectors answer in their vendor's shapes, errors included: Sightengine
(`/1.0/check.json`, `/1.0/feedback.json`), Winston AI (`/v2/image-detection`) and AIorNOT
(`/v2/image/sync`, `/v1/system/live`, `/v2/billing/balance`). docs/compatibility.md lists
every field and where it comes from in the report.
"""


def job_worker_for(settings: Settings, *parts) -> JobWorker:
    """This process's job worker: the in-process one on SQLite, procrastinate's on PostgreSQL."""
    if not is_queued(settings.db_url):
        return JobWorker(settings, *parts)
    from .job_queue import QueueWorker  # imported here: procrastinate comes with the postgres extra

    return QueueWorker(settings, *parts)


def create_app(settings: Settings | None = None, *, open_access: bool = False) -> FastAPI:
    settings = settings or Settings()
    store = Store.open(settings.db_url)
    selfcheck = SelfCheck(settings)
    engine = Engine(settings)
    metrics = Metrics(store, selfcheck.health)
    admission = Admission(settings, store, metrics)
    job_worker = job_worker_for(settings, store, engine, admission, metrics)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        selfcheck.thread.start()
        await job_worker.start()
        try:
            yield
        finally:
            await job_worker.stop()
            metrics.process_exited()
            store.close()

    # The docs pages load Swagger UI and ReDoc from this server (a package ships them), not a CDN:
    # they work offline. No validator badge: it would be fetched from swagger.io.
    app = FastAPIOffline(
        title="pixelproof",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs/assets",
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = store
    app.state.admission = admission
    app.state.job_worker = job_worker
    app.state.open_access = open_access
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit, max_upload_bytes=settings.max_upload_bytes, max_archive_bytes=settings.max_archive_bytes
    )
    install_metrics(app, metrics, public=settings.metrics_public)
    app.include_router(analyze.router, prefix="/v1")
    app.include_router(reports.router, prefix="/v1")
    app.include_router(jobs.router, prefix="/v1")
    compat.install(app)
    app.include_router(web.router)  # the web page at /, no auth: it calls /v1 with the key it is given

    @app.get("/healthz", response_model=Health, tags=["health"], summary="Liveness and model self-check (no auth)")
    async def healthz() -> Health:
        return selfcheck.health()  # async: answers even while every worker thread is busy

    return app
