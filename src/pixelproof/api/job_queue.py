"""Jobs on PostgreSQL: procrastinate tasks, run by ``pixelproof worker`` processes on any machine
that reaches the database, and by ``pixelproof serve`` itself unless ``job_workers`` is 0.

The store queues the tasks (storage/queue.py) in the transactions that make the work: one
``analyze_item`` per image of a submitted job, one ``send_webhook`` when a job finishes. The
job table stays the truth: a task claims its image only while it is queued, so the task of a
cancelled image does nothing, and a task run again after its worker died stores no second
report. A worker killed mid-image stops its heartbeat; ``recover_stalled`` (every few seconds,
on whichever worker is up) puts that worker's images back in the queue and retries its tasks.
Each webhook retry is a task deferred for after its backoff, so a dead worker loses none.
"""

import asyncio
import logging

from procrastinate import App, JobContext, RetryStrategy
from starlette.concurrency import run_in_threadpool

from ..pipeline import Engine
from ..settings import Settings
from ..storage import Store
from ..storage.jobs import Job
from ..storage.queue import ANALYZE, WEBHOOK, queue_app
from .admission import Admission
from .health import SelfCheck
from .job_worker import BUSY_BACKOFF_S, JobWorker
from .metrics import Metrics
from .webhooks import attempt

HEARTBEAT_S = 5.0  # a worker tells the database it is alive this often
STALLED_AFTER_S = 20.0  # a worker silent this long is taken for dead: its images run again elsewhere
RECOVER_EVERY_S = 5  # how often some worker looks for the tasks of dead ones
RECOVER = "pixelproof.recover_stalled"

log = logging.getLogger("uvicorn.error")


def _worker(context: JobContext) -> "QueueWorker":
    return context.additional_context["worker"]


async def analyze_item(context: JobContext, job_id: str, item_id: int) -> None:
    await _worker(context).run_item(job_id, item_id)


async def send_webhook(context: JobContext, job_id: str) -> None:
    await _worker(context).send_webhook(job_id)


async def recover_stalled(context: JobContext, timestamp: int) -> None:
    await _worker(context).recover_stalled()


def _with_tasks(app: App) -> App:
    """Register the tasks on this App (an App per QueueWorker: tests build several in a process)."""
    # what escapes a claimed image's analysis is every slot busy or the database failing: try again
    app.task(name=ANALYZE, pass_context=True, retry=RetryStrategy(wait=int(BUSY_BACKOFF_S)))(analyze_item)
    app.task(name=WEBHOOK, pass_context=True)(send_webhook)
    recover = app.task(name=RECOVER, pass_context=True, queueing_lock=RECOVER)(recover_stalled)
    app.periodic(cron=f"* * * * * */{RECOVER_EVERY_S}")(recover)
    return app


class QueueWorker(JobWorker):
    """The jobs of a PostgreSQL database, on procrastinate: the same steps as the in-process
    worker (``process_item``, finishing a job), handed out by the task queue instead."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue = _with_tasks(queue_app(self.settings.db_url))

    async def start(self) -> None:
        """In ``serve``: run ``job_workers`` images at once in this process, if any."""
        if self.settings.job_workers:
            self._spawn(self.work(self.settings.job_workers, install_signal_handlers=False))

    async def work(self, concurrency: int, **options) -> None:
        """Run tasks, ``concurrency`` at once, until cancelled or (with signal handlers) signalled."""
        async with self.queue.open_async():
            await self.queue.run_worker_async(
                concurrency=concurrency,
                additional_context={"worker": self},
                update_heartbeat_interval=HEARTBEAT_S,
                stalled_worker_timeout=STALLED_AFTER_S,
                shutdown_graceful_timeout=self.settings.time_budget_s,  # no analysis outlives its budget
                delete_jobs="successful",  # what a task did is in the job table; a failed one stays to be read
                **options,
            )

    async def submitted(self, job: Job) -> None:
        pass  # its images' tasks were queued with it

    async def job_finished(self, job: Job) -> None:
        pass  # its webhook's task was queued with its last change

    async def run_item(self, job_id: str, item_id: int) -> None:
        """Analyze the image if it is still queued; then finish its job if nothing is left."""
        item = await run_in_threadpool(self.store.claim_queued_item, item_id)
        if item is not None:
            try:
                await self.process_item(item)
            except BaseException as exc:  # every slot busy, the database failed, or shutting down
                await run_in_threadpool(self.store.requeue_item, item.id)
                if isinstance(exc, asyncio.CancelledError):  # this task ends here: a new one runs the image later
                    await self.queue.configure_task(ANALYZE).defer_async(job_id=job_id, item_id=item_id)
                raise
        await self._finish_if_complete(job_id)

    async def send_webhook(self, job_id: str) -> None:
        """One delivery try; the next one, if any, is a task deferred to run after the backoff."""
        delay = await attempt(self.store, self.settings, job_id)
        if delay is not None:
            await self.queue.configure_task(WEBHOOK, schedule_in={"seconds": delay}).defer_async(job_id=job_id)

    async def recover_stalled(self) -> None:
        """The images of workers that stopped sending heartbeats go back to the queue, and their
        tasks are retried (this task's own worker is alive, so it is never among them)."""
        manager = self.queue.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S):
            if job.task_name == ANALYZE:
                await run_in_threadpool(self.store.requeue_item, job.task_kwargs["item_id"])
            log.warning("jobs: task %s (%s) of a silent worker runs again", job.id, job.task_name)
            await manager.retry_job(job)


def standalone_worker(settings: Settings, store: Store) -> QueueWorker:
    """A worker process's own (`pixelproof worker`): its engine, analysis slots and metrics."""
    metrics = Metrics(store, SelfCheck(settings).health)
    return QueueWorker(settings, store, Engine(settings), Admission(settings, store, metrics), metrics)
