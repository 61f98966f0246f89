"""Per-key limits in the database (SQLite and PostgreSQL): the bucket of analyses a minute, the
analyses running at once, leases of dead processes, and concurrent admissions through two
Store objects (two server processes) that never pass a limit. Times are passed in, not read."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pixelproof.storage import Store
from pixelproof.storage.keys import AnalysisLimits, OverLimit


@pytest.fixture
def store(db_url):
    with Store.open(db_url) as store:
        yield store


def limits(per_minute: int = 0, at_once: int = 0, lease_s: float = 90) -> AnalysisLimits:
    return AnalysisLimits(per_minute=per_minute, at_once=at_once, lease_s=lease_s)


def test_a_minute_s_bucket_refills_evenly(store):
    key, _ = store.create_key("k")
    two = limits(per_minute=2)
    assert all(isinstance(store.start_analysis(key.id, two, 0), int) for _ in range(2))
    assert store.start_analysis(key.id, two, 0) == OverLimit("per_minute", 30)
    assert store.start_analysis(key.id, two, 15) == OverLimit("per_minute", 15)  # a refusal takes nothing
    assert isinstance(store.start_analysis(key.id, two, 30), int)  # one token back after half a minute
    other, _ = store.create_key("other")
    assert isinstance(store.start_analysis(other.id, two, 30), int)  # every key has its own bucket


def test_analyses_at_once_count_until_they_end_or_their_lease_runs_out(store):
    key, _ = store.create_key("k")
    one = limits(at_once=1, lease_s=10)
    first = store.start_analysis(key.id, one, 0)
    assert store.start_analysis(key.id, one, 5) == OverLimit("at_once", None)
    store.end_analysis(first)
    second = store.start_analysis(key.id, one, 5)
    assert isinstance(second, int)
    assert store.start_analysis(key.id, one, 14) == OverLimit("at_once", None)
    assert isinstance(store.start_analysis(key.id, one, 15), int)  # the second's process died: it expired


def _race(calls: int, start) -> list:
    """``start(i)`` from many threads released at once."""
    barrier = threading.Barrier(calls)

    def one(i):
        barrier.wait()
        return start(i)

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(one, range(calls)))


@pytest.mark.parametrize("allowed", [limits(per_minute=5), limits(at_once=5)], ids=["per_minute", "at_once"])
def test_concurrent_admissions_through_two_stores_never_pass_a_limit(db_url, allowed):
    with Store.open(db_url) as a, Store.open(db_url) as b:
        key, _ = a.create_key("race")
        results = _race(16, lambda i: (a, b)[i % 2].start_analysis(key.id, allowed, 100.0))
    admitted = [r for r in results if isinstance(r, int)]
    assert len(admitted) == 5 and len(set(admitted)) == 5
    assert all(isinstance(r, OverLimit) for r in results if r not in admitted)
