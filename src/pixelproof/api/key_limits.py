"""Per-key limits: analyses a key may start per minute (a token bucket) and have running at
once (a counter), refused with 429 ``rate_limited`` and ``Retry-After``.

The counts live in this process's memory: one ``pixelproof serve`` enforces them exactly,
while several workers behind one port would each allow the full limit (they need a shared
store for this, e.g. Redis, later). Everything here runs on the event loop: no locks.
"""

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..settings import Settings
from ..storage import KeyInfo
from .errors import RateLimited

BUSY_RETRY_S = 1  # a running analysis may end any moment: try again soon


@dataclass
class _Bucket:
    tokens: float
    updated: float


class KeyLimits:
    def __init__(self, settings: Settings):
        self.per_minute = settings.key_requests_per_minute
        self.at_once = settings.key_concurrent_analyses
        self._buckets: dict[str, _Bucket] = {}
        self._running: Counter[str] = Counter()

    @contextmanager
    def admit(self, key: KeyInfo | None) -> Iterator[None]:
        """Count one analysis for ``key`` while the block runs, or raise RateLimited.
        An open server has no keys to count: only the server-wide admission applies."""
        if key is None:
            yield
            return
        if self.at_once and self._running[key.id] >= self.at_once:
            raise RateLimited(
                f"API key {key.id} already has {self.at_once} analyses running, its limit at once", BUSY_RETRY_S
            )
        self._take_token(key.id)
        self._running[key.id] += 1
        try:
            yield
        finally:
            self._running[key.id] -= 1
            if not self._running[key.id]:
                del self._running[key.id]

    def _take_token(self, key_id: str) -> None:
        """A bucket of ``per_minute`` tokens, refilled evenly over the minute: bursts up to the
        limit pass, a steady stream above it does not."""
        if not self.per_minute:
            return
        now, rate = time.monotonic(), self.per_minute / 60
        bucket = self._buckets.setdefault(key_id, _Bucket(self.per_minute, now))
        bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < 1:
            raise RateLimited(
                f"API key {key_id} may start {self.per_minute} analyses a minute", (1 - bucket.tokens) / rate
            )
        bucket.tokens -= 1
