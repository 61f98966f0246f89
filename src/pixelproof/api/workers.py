"""Several server processes behind one port: ``pixelproof serve --workers N``.

uvicorn starts each worker as a fresh process that builds its own app from an import string,
so the command's settings travel to them in one environment variable. What the workers share
and what each keeps to itself is in docs/scaling.md ("Several server workers").

On SQLite one worker runs the embedded job worker, the others only queue jobs: its start-up
recovery (items left ``running`` go back to the queue, pending webhooks are sent again)
assumes no other process is working on the jobs, and would otherwise take items from under a
sibling. The first worker to lock a file of the command's runs them and holds the lock until
it exits; the operating system releases it then, and the replacement uvicorn starts takes it
over. On PostgreSQL every worker runs procrastinate's, which shares the queue with any other.
"""

import fcntl
import json
import os
from pathlib import Path
from typing import IO

from fastapi import FastAPI

from ..settings import Settings
from ..storage.queue import is_queued
from .app import create_app

FACTORY = f"{__name__}:worker_app"  # what uvicorn imports in each worker
_SERVED = "PIXELPROOF_SERVE_WORKER"  # not a setting (Settings ignores it): the command's settings and more
_job_lock: list[IO] = []  # the open lock file of the worker that runs the jobs, for as long as it lives


def share_with_workers(settings: Settings, workers: int, open_access: bool, job_lock: Path) -> None:
    """Hand ``settings`` to the worker processes about to start. The memory budget is the
    server's: each worker, with its own memory and analysis slots, gets its share of it."""
    share = settings.model_copy(update={"memory_budget_mb": max(1, settings.memory_budget_mb // workers)})
    served = {"settings": share.model_dump(mode="json"), "open_access": open_access, "job_lock": str(job_lock)}
    os.environ[_SERVED] = json.dumps(served)


def worker_app() -> FastAPI:
    """The app of one worker process, as ``share_with_workers`` described it."""
    served = json.loads(os.environ[_SERVED])
    settings = Settings(**served["settings"])
    if settings.job_workers and not is_queued(settings.db_url) and not _take_job_lock(Path(served["job_lock"])):
        settings = settings.model_copy(update={"job_workers": 0})  # another worker runs them
    return create_app(settings, open_access=served["open_access"])


def _take_job_lock(path: Path) -> bool:
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _job_lock.append(handle)
    return True
