"""Per-key limits: analyses a key may start per minute (a token bucket) and have running at
once, refused with 429 ``rate_limited`` and ``Retry-After``.

The counts live in the database (``Store.start_analysis``), so every server process on it
(``serve --workers N``, or servers on several machines) enforces one limit per key, not one
each. An analysis whose process dies without ending it counts until its lease runs out: the
time budget, which no request outlives, and a minute more.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.concurrency import run_in_threadpool

from ..settings import Settings
from ..storage import KeyInfo, Store
from ..storage.keys import AnalysisLimits, OverLimit
from .errors import RateLimited

BUSY_RETRY_S = 1  # a running analysis may end any moment: try again soon
LEASE_SLACK_S = 60  # beyond the time budget, before a dead process's analysis stops counting


class KeyLimits:
    def __init__(self, settings: Settings, store: Store):
        self.store = store
        self.limits = AnalysisLimits(
            per_minute=settings.key_requests_per_minute,
            at_once=settings.key_concurrent_analyses,
            lease_s=settings.time_budget_s + LEASE_SLACK_S,
        )

    @asynccontextmanager
    async def admit(self, key: KeyInfo | None) -> AsyncIterator[None]:
        """Count one analysis for ``key`` while the block runs, or raise RateLimited.
        An open server has no keys to count: only the server-wide admission applies."""
        if key is None or not (self.limits.per_minute or self.limits.at_once):
            yield
            return
        started = await run_in_threadpool(self.store.start_analysis, key.id, self.limits, time.time())
        if isinstance(started, OverLimit):
            raise self._refusal(key.id, started)
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled request ends its analysis too
                await run_in_threadpool(self.store.end_analysis, started)

    def _refusal(self, key_id: str, over: OverLimit) -> RateLimited:
        if over.limit == "at_once":
            return RateLimited(
                f"API key {key_id} already has {self.limits.at_once} analyses running, its limit at once", BUSY_RETRY_S
            )
        return RateLimited(f"API key {key_id} may start {self.limits.per_minute} analyses a minute", over.retry_after_s)
