"""What the jobs API answers: a job's status (also the webhook's body) and its result lines."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ..storage.jobs import ItemOutcome, Job

CSV_COLUMNS = (
    "position",
    "state",
    "url",
    "filename",
    "external_id",
    "report_id",
    "label",
    "ai_generated",
    "error_code",
    "error_message",
)


class JobCounts(BaseModel):
    total: int
    queued: int
    running: int
    done: int
    failed: int
    cancelled: int


class ItemError(BaseModel):
    position: int
    url: str | None
    filename: str | None
    external_id: str | None
    code: str
    message: str


class DeliveryAttempt(BaseModel):
    attempted_at: datetime
    status_code: int | None  # None: no HTTP answer (refused, unreachable, timed out)
    error: str | None


class Webhook(BaseModel):
    url: str
    state: Literal["pending", "delivered", "failed"]
    attempts: list[DeliveryAttempt]


class JobStatus(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    created_at: datetime
    finished_at: datetime | None
    counts: JobCounts
    errors: list[ItemError]  # the first 100 failed images; the results list every one
    webhook: Webhook | None  # None: no callback_url

    @classmethod
    def of(cls, job: Job) -> "JobStatus":
        webhook = None
        if job.callback_url:
            attempts = [DeliveryAttempt(**vars(a)) for a in job.webhook_attempts]
            webhook = Webhook(url=job.callback_url, state=job.webhook_state, attempts=attempts)
        return cls(
            id=job.id,
            state=job.state,
            created_at=job.created_at,
            finished_at=job.finished_at,
            counts=JobCounts(total=sum(job.counts.values()), **job.counts),
            errors=[
                ItemError(
                    position=e.position,
                    url=e.url,
                    filename=e.filename,
                    external_id=e.external_id,
                    code=e.error_code,
                    message=e.error_message,
                )
                for e in job.errors
            ],
            webhook=webhook,
        )


def _line(item: ItemOutcome) -> dict:
    report = json.loads(item.report) if item.report else None
    verdict = report["verdict"] if report else {}
    return {
        "position": item.position,
        "state": item.state,
        "url": item.url,
        "filename": item.filename,
        "external_id": item.external_id,
        "report_id": item.report_id,
        "label": verdict.get("label"),
        "ai_generated": verdict.get("ai_generated"),
        "error": {"code": item.error_code, "message": item.error_message} if item.error_code else None,
        "report": report,
    }


def jsonl_lines(items: Iterable[ItemOutcome]) -> Iterator[str]:
    """One JSON object per image, with its whole report once done."""
    for item in items:
        yield json.dumps(_line(item), separators=(",", ":")) + "\n"


def csv_lines(items: Iterable[ItemOutcome]) -> Iterator[str]:
    """One row per image: the verdict, not the whole report."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        line = _line(item)
        error = line["error"] or {}
        line |= {"error_code": error.get("code"), "error_message": error.get("message")}
        writer.writerow(["" if line[c] is None else line[c] for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
