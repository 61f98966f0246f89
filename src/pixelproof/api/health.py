"""What /healthz answers (and /metrics repeats): the models' numerics self-check on this machine."""

import logging
import threading
from typing import Literal

from pydantic import BaseModel

from ..__version__ import __version__
from ..settings import Settings

log = logging.getLogger("uvicorn.error")  # uvicorn's general log: our lines appear beside "Started server"

ModelState = Literal["checking", "ok", "mismatch", "missing"]  # "checking": the start-up check still runs


class ModelHealth(BaseModel):
    state: ModelState
    message: str


class Health(BaseModel):
    # "degraded": a model is missing or computes other numbers on this machine, so the
    # analyzers that need it answer "errored" instead of scoring (see ``models``).
    status: Literal["ok", "degraded"] = "ok"
    version: str = __version__
    models: dict[str, ModelHealth] = {}


class SelfCheck:
    """The numerics self-check, run once in the background at start so the port opens at once;
    analyzers wait for the same (cached) checks before their first score."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.results = None
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="pixelproof-selfcheck", daemon=True)

    def _run(self) -> None:
        from ..selfcheck import run  # imported here: it loads the analyzers

        try:
            self.results = run(self.settings)
        except Exception as exc:  # noqa: BLE001 - health must still answer
            log.exception("numerics self-check failed to run")
            self.results = []
            self.error = f"{type(exc).__name__}: {exc}"
            return
        for result in self.results:
            (log.info if result.state == "ok" else log.warning)("self-check %s", result.message)

    def health(self) -> Health:
        if self.results is None:
            return Health(models={"self-check": ModelHealth(state="checking", message="running")})
        models = {r.model: ModelHealth(state=r.state, message=r.message) for r in self.results}
        if not self.results:
            models = {"self-check": ModelHealth(state="mismatch", message=f"could not run: {self.error}")}
        degraded = any(m.state != "ok" for m in models.values())
        return Health(status="degraded" if degraded else "ok", models=models)
