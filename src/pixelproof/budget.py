"""A request's time budget, checked cooperatively: Python threads cannot be stopped from outside,
so the work itself asks between steps whether it should go on."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import ClientGone, TimeBudgetExceeded


class Budget:
    """A deadline that the request's owner may also cancel (the client hung up)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.abandoned = False

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def abandon(self) -> None:
        self.abandoned = True

    def check(self) -> None:
        """Raise if the work should stop: the client is gone or the time is up."""
        if self.abandoned:
            raise ClientGone("the client disconnected; the analysis was abandoned")
        if self.remaining() <= 0:
            raise self.exceeded()

    def exceeded(self) -> TimeBudgetExceeded:
        return TimeBudgetExceeded(
            f"the request took longer than its time budget of {self.seconds:g}s; nothing was stored"
        )


_GOVERNING: ContextVar[Budget | None] = ContextVar("pixelproof_budget", default=None)


@contextmanager
def governing(budget: Budget | None) -> Iterator[None]:
    """Make ``budget`` the one ``checkpoint`` checks, in this thread, inside the block."""
    token = _GOVERNING.set(budget)
    try:
        yield
    finally:
        _GOVERNING.reset(token)


def checkpoint() -> None:
    """Called between the units of an analyzer's own loops (face detector tiles, faces judged), so
    a spent or abandoned request stops there rather than when the analyzer is done. Outside a
    budgeted analysis (the CLI, tests), it does nothing."""
    budget = _GOVERNING.get()
    if budget:
        budget.check()
