"""Async jobs as the store hands them out: a job, its images' outcomes, its webhook attempts."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..errors import PixelproofError

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
ItemState = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: tuple[JobState, ...] = ("done", "failed", "cancelled")


class JobNotFound(PixelproofError):
    """No job by that id for this key (another key's jobs are not found either)."""

    code = "not_found"
    http_status = 404


def new_job_id() -> str:
    return secrets.token_hex(12)


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


@dataclass(frozen=True)
class NewItem:
    """An image to analyze: a URL to fetch, or an archive member's bytes."""

    url: str | None = None
    filename: str | None = None
    data: bytes | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class ClaimedItem:
    """An item a worker took; it carries everything the worker needs to analyze it."""

    id: int
    job_id: str
    api_key_id: str | None
    options: str  # the job's options, as JSON
    url: str | None
    filename: str | None
    data: bytes | None
    external_id: str | None


@dataclass(frozen=True)
class ItemOutcome:
    """One line of a job's results."""

    position: int
    state: ItemState
    url: str | None
    filename: str | None
    external_id: str | None
    report_id: str | None
    report: str | None  # the stored report's JSON, once done
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class WebhookAttempt:
    attempted_at: datetime
    status_code: int | None
    error: str | None


@dataclass(frozen=True)
class Job:
    id: str
    api_key_id: str | None
    state: JobState
    created_at: datetime
    finished_at: datetime | None
    options: str
    callback_url: str | None
    webhook_state: str | None
    counts: dict[str, int] = field(default_factory=dict)  # items by state
    errors: list[ItemOutcome] = field(default_factory=list)  # the first failed items
    webhook_attempts: list[WebhookAttempt] = field(default_factory=list)
