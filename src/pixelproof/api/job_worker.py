"""The job worker inside the server: the embedded (SQLite) way to run ``POST /v1/jobs``.

``job_workers`` coroutines take one image at a time from the job table (``Store.claim_item``),
fetch it (same SSRF checks as ``/v1/analyze``), analyze it on an analysis slot shared with the
interactive requests, and store the report with the item in one transaction. At start-up,
items a killed server left running go back to the queue, jobs whose last item was stored but
that were never marked finished are finished, and webhooks still pending are sent again.

``process_item`` is the unit of work on its own: on PostgreSQL, job_queue.py's procrastinate
tasks run the same step for the item id they were handed (docs/scaling.md).
"""

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from ..budget import Budget
from ..errors import PixelproofError
from ..pipeline import Engine
from ..settings import Settings
from ..storage import Store
from ..storage.jobs import ClaimedItem, Job
from .admission import Admission
from .analyze import AnalyzerChoice
from .errors import RetryLater
from .metrics import Metrics
from .webhooks import deliver

IDLE_POLL_S = 1.0  # an idle worker looks at the table this often, besides being woken on submit
BUSY_BACKOFF_S = 1.0  # a worker whose image found every analysis slot taken tries again after this

log = logging.getLogger("uvicorn.error")


class JobWorker:
    def __init__(self, settings: Settings, store: Store, engine: Engine, admission: Admission, metrics: Metrics):
        self.settings = settings
        self.store = store
        self.engine = engine
        self.admission = admission
        self.metrics = metrics
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    async def submitted(self, job: Job) -> None:
        """A job was stored: idle workers look now rather than at their next poll."""
        self._wake.set()

    async def start(self) -> None:
        if not self.settings.job_workers:
            return  # this server only queues: another one runs the jobs
        requeued = await run_in_threadpool(self.store.requeue_interrupted)
        if requeued:
            log.info("jobs: %d images interrupted by the last shutdown are queued again", requeued)
        for job_id in await run_in_threadpool(self.store.webhooks_pending):
            self._spawn(deliver(self.store, self.settings, job_id))
        for job_id in await run_in_threadpool(self.store.unfinished_jobs):
            await self._finish_if_complete(job_id)  # after the pending ones: this sends its own
        for _ in range(self.settings.job_workers):
            self._spawn(self._work())

    async def stop(self) -> None:
        """Cancel every worker and delivery; an image cut off mid-analysis is queued again at the
        next start (its report was not stored)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self) -> None:
        while True:
            try:
                item = await run_in_threadpool(self.store.claim_item)
                if item is None:
                    await self._idle()
                else:
                    await self._run(item)
            except Exception:  # noqa: BLE001 - the database failed: the worker must go on
                log.exception("jobs: the worker could not take an image; it tries again shortly")
                await asyncio.sleep(BUSY_BACKOFF_S)

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _run(self, item: ClaimedItem) -> None:
        try:
            await self.process_item(item)
        except Exception as exc:  # noqa: BLE001 - every slot busy (RetryLater), or the database failed
            if not isinstance(exc, RetryLater):
                log.exception("jobs: image %d of job %s goes back to the queue", item.id, item.job_id)
            await run_in_threadpool(self.store.requeue_item, item.id)
            await asyncio.sleep(BUSY_BACKOFF_S)
            return
        await self._finish_if_complete(item.job_id)

    async def process_item(self, item: ClaimedItem) -> None:
        """Analyze one claimed image into a stored report, or record why it failed (its credit
        goes back). RetryLater (every slot busy) leaves the item for the caller to requeue."""
        options = AnalyzerChoice.model_validate_json(item.options)
        budget = Budget(self.settings.time_budget_s)
        try:
            data = item.data if item.data is not None else await self.admission.fetch(item.url, budget)

            def analyze():
                report = self.engine.analyze(
                    data,
                    external_id=item.external_id,
                    only=options.only or None,
                    excluding=options.excluding or None,
                    heatmap=options.heatmap,
                    budget=budget,
                )
                self.metrics.observe_report(report)
                report.filename = item.filename
                return report

            report = await self.admission.run(None, budget, analyze)
        except RetryLater:
            raise
        except PixelproofError as exc:
            await run_in_threadpool(self.store.fail_item, item, exc.code, exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - one bad image must not stop the worker
            log.exception("job %s: image %d failed unexpectedly", item.job_id, item.id)
            message = f"unexpected {type(exc).__name__}; the details are in the server log"
            await run_in_threadpool(self.store.fail_item, item, "internal_error", message)
            return
        finally:
            budget.abandon()  # a cancelled worker's thread stops at its next check
        stored = await run_in_threadpool(self.store.complete_item, item, report)
        if stored and item.api_key_id:
            await run_in_threadpool(self.store.record_usage, item.api_key_id)

    async def _finish_if_complete(self, job_id: str) -> None:
        if await run_in_threadpool(self.store.finish_if_complete, job_id):
            await self.job_finished(await run_in_threadpool(self.store.job, job_id))

    async def job_finished(self, job: Job) -> None:
        """Send the webhook of a job that just ended (done, failed or cancelled), if it has one."""
        if job.callback_url:
            self._spawn(deliver(self.store, self.settings, job.id))
