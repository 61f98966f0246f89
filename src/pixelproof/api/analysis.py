"""One analyzed image, the same way for every API: pay, fetch, analyze, store.

Credits are reserved before anything is fetched or analyzed, with one conditional UPDATE
(``Store.charge``), and given back if the request then fails: an exhausted key is refused
before any work, concurrent requests can never overdraw a balance, and a failed request
costs nothing. (A server killed mid-analysis keeps the credit it reserved: credits can be
lost that way, never spent twice.)
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..ingest import fetch_url
from ..report import Report
from ..storage import KeyInfo, Store


@dataclass(frozen=True)
class Analyzed:
    report: Report
    credits_left: int | None  # the key's balance after this image; None: unlimited or open server


@contextmanager
def reserved(store: Store, key: KeyInfo | None, cost: int) -> Iterator[int | None]:
    """Charge ``cost`` credits up front (CreditsExhausted if short); refund if the block fails."""
    if key is None or cost == 0:
        yield key.credits if key else None
        return
    left = store.charge(key.id, cost)
    try:
        yield left
    except BaseException:
        store.refund(key.id, cost)
        raise


def analyze_image(
    state,
    key: KeyInfo | None,
    *,
    image: bytes | None = None,
    url: str | None = None,
    cost: int = 1,
    accept: Callable[[bytes], None] | None = None,
    require: Callable[[Report], None] | None = None,
    external_id: str | None = None,
    only: list[str] | None = None,
    excluding: list[str] | None = None,
    heatmap: bool | None = None,
) -> Analyzed:
    """Analyze an upload or a URL for ``key`` and store the report (blocking: run it in a thread).

    ``accept`` may refuse the bytes before analysis (an API's own format or size rules);
    ``require`` may refuse the report before it is stored (e.g. an API that must answer with
    a score). Either raising refunds the credits and stores nothing.
    """
    with reserved(state.store, key, cost) as credits_left:
        data = image if image is not None else fetch_url(url, state.settings)
        if accept:
            accept(data)
        report = state.engine.analyze(data, external_id=external_id, only=only, excluding=excluding, heatmap=heatmap)
        if require:
            require(report)
        state.store.save_report(report, api_key_id=key.id if key else None)
        if key:
            state.store.record_usage(key.id)
    return Analyzed(report, credits_left)
