"""Async jobs and their images: the table the in-process worker (SQLite) and the task queue's
workers (PostgreSQL: storage/queue.py, whose tasks are queued here in the same transactions)
take work from.

Credits for every image are reserved when the job is submitted; an image that fails or is
cancelled gives its credit back in the same transaction that records it. A report and its
item's ``report_id`` are written in one transaction too, and only while the item is unsettled,
so an item left ``running`` by a killed server (``requeue_interrupted``) was never stored and
is safe to analyze again, and two workers that both analyzed one item store one report.
"""

from collections.abc import Iterator

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from .database import Database, utc_now
from .key_records import refund_in
from .queue import ANALYZE, WEBHOOK, enqueue
from .jobs import (
    ClaimedItem,
    ItemOutcome,
    Job,
    JobNotFound,
    NewItem,
    WebhookAttempt,
    new_job_id,
    new_webhook_secret,
)
from .tables import ApiKeyRow, JobItemRow, JobRow, ReportRow, WebhookAttemptRow

ERRORS_SHOWN = 100  # failed items listed on a job; the results list them all
RESULTS_PAGE = 200  # items read per query while streaming results


class JobRecords(Database):
    def create_job(
        self, api_key_id: str | None, options: str, items: list[NewItem], callback_url: str | None = None
    ) -> Job:
        job_id = new_job_id()
        with self._session() as session:
            session.add(
                JobRow(
                    id=job_id,
                    api_key_id=api_key_id,
                    state="queued",
                    created_at=utc_now(),
                    options=options,
                    callback_url=callback_url,
                    webhook_state="pending" if callback_url else None,
                )
            )
            session.flush()
            rows = [
                JobItemRow(
                    job_id=job_id,
                    position=position,
                    state="queued",
                    url=item.url,
                    filename=item.filename,
                    data=item.data,
                    external_id=item.external_id,
                )
                for position, item in enumerate(items)
            ]
            session.add_all(rows)
            session.flush()
            enqueue(session, ANALYZE, *({"job_id": job_id, "item_id": row.id} for row in rows))
        return self.get_job(job_id, api_key_id)

    def get_job(self, job_id: str, api_key_id: str | None) -> Job:
        """The job, if ``api_key_id`` owns it; JobNotFound otherwise."""
        job = self.job(job_id)
        if job.api_key_id != api_key_id:
            raise JobNotFound(f"there is no job with id {job_id!r}")
        return job

    def job(self, job_id: str) -> Job:
        """The job whoever owns it (for the worker); JobNotFound when there is none."""
        with self._session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise JobNotFound(f"there is no job with id {job_id!r}")
            counts = dict(
                session.execute(
                    select(JobItemRow.state, func.count()).where(JobItemRow.job_id == job_id).group_by(JobItemRow.state)
                ).all()
            )
            failed = session.scalars(
                select(JobItemRow)
                .where(JobItemRow.job_id == job_id, JobItemRow.state == "failed")
                .order_by(JobItemRow.position)
                .limit(ERRORS_SHOWN)
            ).all()
            attempts = session.scalars(
                select(WebhookAttemptRow).where(WebhookAttemptRow.job_id == job_id).order_by(WebhookAttemptRow.id)
            ).all()
            return Job(
                id=row.id,
                api_key_id=row.api_key_id,
                state=row.state,
                created_at=row.created_at,
                finished_at=row.finished_at,
                options=row.options,
                callback_url=row.callback_url,
                webhook_state=row.webhook_state,
                counts={state: counts.get(state, 0) for state in ("queued", "running", "done", "failed", "cancelled")},
                errors=[_outcome(item, None) for item in failed],
                webhook_attempts=[WebhookAttempt(a.attempted_at, a.status_code, a.error) for a in attempts],
            )

    def job_counts(self) -> dict[str, int]:
        """How many jobs are in each state, whoever owns them (for the metrics)."""
        with self._session() as session:
            return dict(session.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all())

    def job_results(self, job_id: str, api_key_id: str | None) -> Iterator[ItemOutcome]:
        """Every item in order, read a page at a time so a large job is never all in memory."""
        self.get_job(job_id, api_key_id)  # JobNotFound before the first line
        position = -1
        while True:
            with self._session() as session:
                page = session.execute(
                    select(JobItemRow, ReportRow.report)
                    .options(defer(JobItemRow.data))  # images still queued: their bytes are not results
                    .outerjoin(ReportRow, ReportRow.id == JobItemRow.report_id)
                    .where(JobItemRow.job_id == job_id, JobItemRow.position > position)
                    .order_by(JobItemRow.position)
                    .limit(RESULTS_PAGE)
                ).all()
            if not page:
                return
            for item, report in page:
                yield _outcome(item, report)
            position = page[-1][0].position

    def claim_item(self) -> ClaimedItem | None:
        """Take the next queued item of the oldest unfinished job (it and its job become running)."""
        with self._session() as session:
            found = session.execute(
                _queued()
                .add_columns(JobRow)
                .order_by(JobRow.created_at, JobRow.id, JobItemRow.position)
                .limit(1)
            ).first()
            return _claim(session, *found) if found else None

    def claim_queued_item(self, item_id: int) -> ClaimedItem | None:
        """Take this item, if it is still queued in an unfinished job (a task queue handed its id
        to a worker); None when it was cancelled, done, or taken by another worker."""
        with self._session() as session:
            found = session.execute(_queued().add_columns(JobRow).where(JobItemRow.id == item_id)).first()
            return _claim(session, *found) if found else None

    def requeue_item(self, item_id: int) -> None:
        """Put a running item back, untouched (the server was too busy to take it, or the worker
        running it is gone); an item settled meanwhile keeps its outcome."""
        with self._session() as session:
            session.execute(
                update(JobItemRow).where(JobItemRow.id == item_id, JobItemRow.state == "running").values(state="queued")
            )

    def complete_item(self, item: ClaimedItem, report) -> bool:
        """Store the item's report and mark it done, in one transaction. False, storing nothing,
        when the item was settled meanwhile (done by another worker that took it after a
        requeue, or cancelled): whatever runs concurrently, an item gets at most one report."""
        with self._session() as session:
            if not _settle(session, item, state="done", data=None):  # locks the row first
                return False
            self._add_report(session, report, item.api_key_id)
            session.flush()
            session.execute(update(JobItemRow).where(JobItemRow.id == item.id).values(report_id=report.id))
            return True

    def fail_item(self, item: ClaimedItem, code: str, message: str) -> None:
        """Record why the item failed and give its reserved credit back (unless it was settled
        meanwhile: see ``complete_item``)."""
        with self._session() as session:
            failed = _settle(session, item, state="failed", error_code=code, error_message=message[:2000], data=None)
            if failed and item.api_key_id:
                refund_in(session, item.api_key_id, 1)

    def finish_if_complete(self, job_id: str) -> bool:
        """Mark the job done (failed: no image succeeded) once no item is left to run; True
        only for the call that finished it, which then sends its webhook."""
        with self._session() as session:
            left = session.scalar(
                select(func.count())
                .select_from(JobItemRow)
                .where(JobItemRow.job_id == job_id, JobItemRow.state.in_(("queued", "running")))
            )
            if left:
                return False
            succeeded = session.scalar(
                select(func.count())
                .select_from(JobItemRow)
                .where(JobItemRow.job_id == job_id, JobItemRow.state == "done")
            )
            finished = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state.in_(("queued", "running")))
                .values(state="done" if succeeded else "failed", finished_at=utc_now())
            )
            if finished.rowcount != 1:
                return False
            _webhook_due(session, job_id)
            return True

    def cancel_job(self, job_id: str, api_key_id: str | None) -> tuple[Job, bool]:
        """Cancel the items not started yet, refunding their credits; an item already running
        finishes. A finished job stays as it is. True with the job when this call cancelled it."""
        self.get_job(job_id, api_key_id)
        with self._session() as session:
            cancelled = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state.in_(("queued", "running")))
                .values(state="cancelled", finished_at=utc_now())
            )
            if cancelled.rowcount == 1:
                dropped = session.execute(
                    update(JobItemRow)
                    .where(JobItemRow.job_id == job_id, JobItemRow.state == "queued")
                    .values(state="cancelled", data=None)
                ).rowcount
                if api_key_id and dropped:
                    refund_in(session, api_key_id, dropped)
                _webhook_due(session, job_id)
        return self.get_job(job_id, api_key_id), cancelled.rowcount == 1

    def requeue_interrupted(self) -> int:
        """Items a killed server left running go back to the queue (their reports were never
        stored: see ``complete_item``). Call before any worker starts."""
        with self._session() as session:
            return session.execute(
                update(JobItemRow).where(JobItemRow.state == "running").values(state="queued")
            ).rowcount

    def unfinished_jobs(self) -> list[str]:
        """Jobs not marked finished; among them, after a crash, some whose last item was stored
        just before (``finish_if_complete`` finishes those)."""
        with self._session() as session:
            return list(session.scalars(select(JobRow.id).where(JobRow.state.in_(("queued", "running")))))

    def webhooks_pending(self) -> list[str]:
        """Finished jobs whose webhook is still to be delivered."""
        with self._session() as session:
            return list(
                session.scalars(
                    select(JobRow.id).where(JobRow.webhook_state == "pending", JobRow.finished_at.is_not(None))
                )
            )

    def record_webhook_attempt(self, job_id: str, status_code: int | None, error: str | None) -> None:
        with self._session() as session:
            session.add(
                WebhookAttemptRow(job_id=job_id, attempted_at=utc_now(), status_code=status_code, error=error)
            )

    def set_webhook_state(self, job_id: str, state: str) -> None:
        with self._session() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(webhook_state=state))

    def webhook_secret(self, key_id: str) -> str | None:
        """The key's webhook signing secret, made at the first ask; None when there is no such key."""
        with self._session() as session:
            session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.webhook_secret.is_(None))
                .values(webhook_secret=new_webhook_secret())
                .execution_options(synchronize_session=False)
            )
            return session.scalar(select(ApiKeyRow.webhook_secret).where(ApiKeyRow.id == key_id))


def _webhook_due(session: Session, job_id: str) -> None:
    """The job just finished: queue its webhook with that change (PostgreSQL's workers send it)."""
    if session.get(JobRow, job_id).callback_url:
        enqueue(session, WEBHOOK, {"job_id": job_id})


def _queued():
    """Items waiting to run, with their (unfinished) job joined."""
    return (
        select(JobItemRow)
        .join(JobRow, JobRow.id == JobItemRow.job_id)
        .where(JobItemRow.state == "queued", JobRow.state.in_(("queued", "running")))
    )


def _claim(session: Session, item: JobItemRow, job: JobRow) -> ClaimedItem | None:
    """Move a queued item to running (and its job with it); None when another worker took it first."""
    taken = session.execute(
        update(JobItemRow).where(JobItemRow.id == item.id, JobItemRow.state == "queued").values(state="running")
    )
    if taken.rowcount != 1:
        return None
    job.state = "running"
    return ClaimedItem(
        id=item.id,
        job_id=job.id,
        api_key_id=job.api_key_id,
        options=job.options,
        url=item.url,
        filename=item.filename,
        data=item.data,
        external_id=item.external_id,
    )


def _settle(session: Session, item: ClaimedItem, **values) -> bool:
    """Move an unsettled item (queued or running) to its outcome; False when it had one already."""
    settled = session.execute(
        update(JobItemRow)
        .where(JobItemRow.id == item.id, JobItemRow.state.in_(("queued", "running")))
        .values(**values)
    )
    return settled.rowcount == 1


def _outcome(item: JobItemRow, report: str | None) -> ItemOutcome:
    return ItemOutcome(
        position=item.position,
        state=item.state,
        url=item.url,
        filename=item.filename,
        external_id=item.external_id,
        report_id=item.report_id,
        report=report,
        error_code=item.error_code,
        error_message=item.error_message,
    )
