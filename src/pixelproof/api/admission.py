"""Admission: how many analyses and URL fetches run at once, and how long a request waits.

An analysis of an image at ``max_pixels`` takes gigabytes at its peak, so analyses run in
slots sized from a memory budget (``memory_budget_mb`` over the worst-case cost of one): a
request waits up to ``admission_wait_s`` for one, then gets 503 ``server_busy`` with
``Retry-After``. The slots' threads are their own (an anyio limiter apart from the shared
threadpool), so the cheap routes (``/healthz``, report listings, key checks) never queue
behind analyses. URL fetches are coroutines in the event loop, capped in number the same way.

A request's ``Budget`` bounds all of it: the waits, the fetch, and the analysis, which checks
it between steps and also stops once the client has hung up.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Literal, TypeVar

import anyio
from starlette.requests import Request

from ..budget import Budget
from ..ingest import fetch_url
from ..settings import MB, Settings
from ..storage import KeyInfo, Store
from . import memory
from .errors import ServerBusy
from .key_limits import KeyLimits
from .metrics import Metrics

T = TypeVar("T")

# Peak memory of one analysis (every analyzer) per decoded pixel, the worst format's with a
# margin: at 100 megapixels, WebP (still or animated) peaks at 19.5 to 20.5 bytes a pixel over the
# base, because Pillow's WebP decoder keeps its own copy of the frame for as long as the image
# lives; the other formats at 8.4 to 13.6 (benchmarks/memory.py, figures in docs/reliability.md).
PEAK_BYTES_PER_PIXEL = 24
DISCONNECT_POLL_S = 0.25  # how often a running analysis asks whether its client is still there


def analysis_slots(settings: Settings) -> int:
    """As many analyses at their worst case as the memory budget holds (at least one), and no
    more than two per CPU: more threads would only share the same cores."""
    fits = settings.memory_budget_mb * MB // (settings.max_pixels * PEAK_BYTES_PER_PIXEL)
    return max(1, min(fits, 2 * (os.cpu_count() or 1)))


Queue = Literal["analysis", "fetch"]
DESCRIBED: dict[Queue, str] = {"analysis": "analysis slots", "fetch": "URL fetches"}


class Admission:
    def __init__(self, settings: Settings, store: Store, metrics: Metrics):
        self.settings = settings
        self.metrics = metrics
        self.slots = anyio.CapacityLimiter(analysis_slots(settings))
        self._threads = anyio.CapacityLimiter(self.slots.total_tokens)  # the slots' own worker threads
        self.fetches = anyio.CapacityLimiter(settings.max_concurrent_fetches)
        self._queues: dict[Queue, anyio.CapacityLimiter] = {"analysis": self.slots, "fetch": self.fetches}
        for queue, limiter in self._queues.items():
            metrics.admission_queue(queue, limiter.total_tokens)
        self.keys = KeyLimits(settings, store)

    @asynccontextmanager
    async def admit(self, key: KeyInfo | None) -> AsyncIterator[Budget]:
        """One request of ``key``, within its limits (else 429): its time budget starts now.
        Its refusals (429, 503 now or later in the request) are counted in the metrics."""
        with self.metrics.counting_refusals():
            async with self.keys.admit(key):
                yield Budget(self.settings.time_budget_s)

    async def fetch(self, url: str, budget: Budget) -> bytes:
        """The bytes behind ``url``, fetched in the event loop within the request's budget."""
        async with self._turn("fetch", budget):
            try:
                with anyio.fail_after(budget.remaining()):
                    return await fetch_url(url, self.settings)
            except TimeoutError:
                raise budget.exceeded() from None

    async def run(self, request: Request | None, budget: Budget, work: Callable[[], T]) -> T:
        """``work`` (blocking, it should check ``budget``) on an analysis slot's thread; the
        budget is abandoned if the client hangs up meanwhile (a job's work has no client: None).
        Memory goes back to the OS after."""

        def work_then_release() -> T:
            try:
                return work()
            finally:
                memory.release()

        async with self._turn("analysis", budget):
            watcher = asyncio.create_task(_abandon_on_disconnect(request, budget)) if request else None
            await asyncio.sleep(0)  # its first look comes before the work starts
            try:
                return await anyio.to_thread.run_sync(work_then_release, limiter=self._threads)
            finally:
                if watcher:
                    watcher.cancel()

    @asynccontextmanager
    async def _turn(self, queue: Queue, budget: Budget) -> AsyncIterator[None]:
        """Hold one of ``queue``'s tokens, waiting for one at most ``admission_wait_s``."""
        limiter, wait = self._queues[queue], self.settings.admission_wait_s
        try:
            limiter.acquire_nowait()
        except anyio.WouldBlock:
            self.metrics.waiting.labels(queue).inc()
            try:
                with anyio.fail_after(min(wait, budget.remaining())):
                    await limiter.acquire()
            except TimeoutError:
                if budget.remaining() <= 0:
                    raise budget.exceeded() from None
                raise ServerBusy(
                    f"all {limiter.total_tokens} {DESCRIBED[queue]} stayed busy for {wait:g}s; try again later", wait
                ) from None
            finally:
                self.metrics.waiting.labels(queue).dec()
        self.metrics.in_use.labels(queue).inc()
        try:
            yield
        finally:
            limiter.release()
            self.metrics.in_use.labels(queue).dec()


async def _abandon_on_disconnect(request: Request, budget: Budget) -> None:
    while not await request.is_disconnected():
        await asyncio.sleep(DISCONNECT_POLL_S)
    budget.abandon()
