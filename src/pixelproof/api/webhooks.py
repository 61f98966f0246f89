"""Signed webhooks for finished jobs, delivered with retries.

The body is the job's status (what ``GET /v1/jobs/{id}`` answers) under ``"job"``, with
``"type": "job.finished"``. It is signed like Stripe's webhooks, with the key's webhook
secret (``pixelproof keys webhook-secret KEY_ID``)::

    Pixelproof-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

A receiver recomputes the HMAC over the raw bytes it got, compares in constant time, and
refuses a ``t`` too far from its own clock (replays). A delivery that gets no 2xx answer is
retried after ``webhook_first_retry_s``, doubling each time, until ``webhook_retry_for_s``
after the job finished; every attempt is kept on the job. The receiver's URL passes the same
checks as an image URL (no private addresses unless ``url_allow`` names them).
"""

import asyncio
import hashlib
import hmac
import json
import logging
import time

from starlette.concurrency import run_in_threadpool

from ..errors import PixelproofError
from ..ingest import post_json
from ..settings import Settings
from ..storage import Store
from .job_status import JobStatus

SIGNATURE_HEADER = "Pixelproof-Signature"
log = logging.getLogger("uvicorn.error")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _next_retry_s(settings: Settings, finished_at: float, attempts: int) -> float | None:
    """Seconds to wait after the ``attempts``-th failure (doubling each time), or None once
    the retry window would be over by then."""
    delay = settings.webhook_first_retry_s * 2 ** (attempts - 1)
    return delay if time.time() + delay <= finished_at + settings.webhook_retry_for_s else None


async def attempt(store: Store, settings: Settings, job_id: str) -> float | None:
    """Post the finished job's webhook once and record how it went: None when it is over
    (delivered, or the last try failed), else the seconds to wait before the next try."""
    job = await run_in_threadpool(store.job, job_id)
    secret = await run_in_threadpool(store.webhook_secret, job.api_key_id)
    body = json.dumps({"type": "job.finished", "job": JobStatus.of(job).model_dump(mode="json")}).encode()
    status, error = None, None
    try:
        headers = {SIGNATURE_HEADER: signature(secret, int(time.time()), body)}
        status = await post_json(job.callback_url, body, headers, settings)
    except PixelproofError as exc:
        error = exc.message
    if status is not None and not 200 <= status < 300:
        error = f"the receiver answered HTTP {status}"
    await run_in_threadpool(store.record_webhook_attempt, job_id, status, error)
    if error is None:
        await run_in_threadpool(store.set_webhook_state, job_id, "delivered")
        return None
    delay = _next_retry_s(settings, job.finished_at.timestamp(), len(job.webhook_attempts) + 1)
    if delay is None:
        log.warning("job %s: webhook not delivered, giving up: %s", job_id, error)
        await run_in_threadpool(store.set_webhook_state, job_id, "failed")
    return delay


async def deliver(store: Store, settings: Settings, job_id: str) -> None:
    """Post the finished job's webhook until a 2xx answer or the end of the retry window."""
    while (delay := await attempt(store, settings, job_id)) is not None:
        await asyncio.sleep(delay)
