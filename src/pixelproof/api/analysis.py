"""One analyzed image, the same way for every API: admit, pay, fetch, analyze, store; and one
labelled image (feedback): admit, fetch, identify, store.

Credits are reserved before anything is fetched or analyzed, with one conditional UPDATE
(``Store.charge``), and given back if the request then fails: an exhausted key is refused
before any work, concurrent requests can never overdraw a balance, and a failed request
costs nothing. (A server killed mid-analysis keeps the credit it reserved: credits can be
lost that way, never spent twice.) Admission (admission.py) comes first: a key over its limits
or a server out of slots refuses the request before anything is charged.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..report import Report
from ..storage import Feedback, KeyInfo, Store


@dataclass(frozen=True)
class Analyzed:
    report: Report
    credits_left: int | None  # the key's balance after this image; None: unlimited or open server


@asynccontextmanager
async def reserved(store: Store, key: KeyInfo | None, cost: int) -> AsyncIterator[int | None]:
    """Charge ``cost`` credits up front (CreditsExhausted if short); refund if the block fails,
    even when it fails by being cancelled."""
    if key is None or cost == 0:
        yield key.credits if key else None
        return
    left = await run_in_threadpool(store.charge, key.id, cost)
    try:
        yield left
    except BaseException:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(store.refund, key.id, cost)
        raise


async def analyze_image(
    request: Request,
    key: KeyInfo | None,
    *,
    image: bytes | None = None,
    filename: str | None = None,
    url: str | None = None,
    cost: int = 1,
    accept: Callable[[bytes], None] | None = None,
    require: Callable[[Report], None] | None = None,
    external_id: str | None = None,
    only: list[str] | None = None,
    excluding: list[str] | None = None,
    heatmap: bool | None = None,
) -> Analyzed:
    """Analyze an upload or a URL for ``key`` and store the report.

    ``accept`` may refuse the bytes before analysis (an API's own format or size rules);
    ``require`` may refuse the report before it is stored (e.g. an API that must answer with
    a score). Either raising refunds the credits and stores nothing; so does running out of
    the time budget or losing the client. ``filename`` (an upload's own name) is kept in the
    report so that people can tell their reports apart.
    """
    state = request.app.state
    async with state.admission.admit(key) as budget:
        async with reserved(state.store, key, cost) as credits_left:
            data = image if image is not None else await state.admission.fetch(url, budget)

            def analyze_and_store() -> Report:
                if accept:
                    accept(data)
                report = state.engine.analyze(
                    data, external_id=external_id, only=only, excluding=excluding, heatmap=heatmap, budget=budget
                )
                state.metrics.observe_report(report)
                report.filename = filename
                if require:
                    require(report)
                budget.check()  # the last moment to stop: past it, the report is kept
                state.store.save_report(report, api_key_id=key.id if key else None)
                if key:
                    state.store.record_usage(key.id)
                return report

            report = await state.admission.run(request, budget, analyze_and_store)
    return Analyzed(report, credits_left)


async def record_feedback(
    request: Request,
    key: KeyInfo | None,
    *,
    label: str,
    model: str,
    vendor_class: str,
    image: bytes | None = None,
    url: str | None = None,
) -> str:
    """Store ``label`` for an upload or a URL against the image's SHA-256 (never the image) and
    return that SHA-256. Free, but it fetches and decodes like an analysis, so it is admitted
    like one; bytes the engine would refuse to analyze are refused here too."""
    state = request.app.state
    async with state.admission.admit(key) as budget:
        data = image if image is not None else await state.admission.fetch(url, budget)
        sha256 = await state.admission.run(request, budget, lambda: state.engine.inspect(data).sha256)
    feedback = Feedback(
        sha256=sha256,
        label=label,
        model=model,
        vendor_class=vendor_class,
        created_at=datetime.now(UTC),
        source_url=url,
        api_key_id=key.id if key else None,
    )
    await run_in_threadpool(state.store.save_feedback, feedback)
    return sha256
