"""Builds the application: one Engine (models load once) and one Store per app."""

from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel

from .. import __version__
from ..pipeline import Engine
from ..settings import Settings
from ..storage import Store
from . import analyze, compat, reports, web
from .errors import install_error_handlers
from .limits import BodySizeLimit

DESCRIPTION = """Tells whether an image was made by a generative AI model, and shows the evidence.

Every endpoint except `/healthz` needs `Authorization: Bearer <token>` (create one with
`pixelproof keys create`), unless the server runs with `--open`. Every error has the shape
`{"error": {"code": "...", "message": "..."}}`; branch on `code`.

A key may carry credits: every analyzed image costs one, whichever API asked, and a key with
none left gets 402 `credits_exhausted` with nothing analyzed (`pixelproof keys credit` tops up).

Drop-in APIs of closed detectors answer in their vendor's shapes, errors included: Sightengine
(`/1.0/check.json`, `/1.0/feedback.json`), Winston AI (`/v2/image-detection`) and AIorNOT
(`/v2/image/sync`, `/v1/system/live`, `/v2/billing/balance`). docs/compatibility.md lists
every field and where it comes from in the report.
"""


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = __version__


def create_app(settings: Settings | None = None, *, open_access: bool = False) -> FastAPI:
    settings = settings or Settings()
    store = Store.open(settings.db_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:
            store.close()

    app = FastAPI(title="pixelproof", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = Engine(settings)
    app.state.store = store
    app.state.open_access = open_access
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_upload_bytes=settings.max_upload_bytes)
    app.include_router(analyze.router, prefix="/v1")
    app.include_router(reports.router, prefix="/v1")
    compat.install(app)
    app.include_router(web.router)  # the web page at /, no auth: it calls /v1 with the key it is given

    @app.get("/healthz", response_model=Health, tags=["health"], summary="Liveness check (no auth)")
    def healthz() -> Health:
        return Health()

    return app
