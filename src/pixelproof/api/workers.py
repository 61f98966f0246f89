"""Several server processes behind one port: ``pixelproof serve --workers N``.

uvicorn starts each worker as a fresh process that builds its own app from an import string,
so the command's settings travel to them in one environment variable. What the workers share
and what each keeps to itself is in docs/scaling.md ("Several server workers").
"""

import json
import os

from fastapi import FastAPI

from ..settings import Settings
from .app import create_app

FACTORY = f"{__name__}:worker_app"  # what uvicorn imports in each worker
_SERVED = "PIXELPROOF_SERVE_WORKER"  # not a setting (Settings ignores it): the command's settings and --open


def share_with_workers(settings: Settings, workers: int, open_access: bool) -> None:
    """Hand ``settings`` to the worker processes about to start. The memory budget is the
    server's: each worker, with its own memory and analysis slots, gets its share of it."""
    share = settings.model_copy(update={"memory_budget_mb": max(1, settings.memory_budget_mb // workers)})
    os.environ[_SERVED] = json.dumps({"settings": share.model_dump(mode="json"), "open_access": open_access})


def worker_app() -> FastAPI:
    """The app of one worker process, as ``share_with_workers`` described it."""
    served = json.loads(os.environ[_SERVED])
    return create_app(Settings(**served["settings"]), open_access=served["open_access"])
