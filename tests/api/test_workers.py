"""`pixelproof serve --workers 2` on SQLite and on a real PostgreSQL: what the workers share
goes through the database, so concurrent uploads spend each credit once, a key's limits hold
across both workers, and a near-duplicate added through one worker is found through the other.

Which worker accepts a connection is the kernel's choice. Each worker writes its Prometheus
counters to its own file in ``PROMETHEUS_MULTIPROC_DIR``, named by its pid, so a test reads
there which worker answered (``by_process``) and sends requests, one connection each,
until both have: it waits on that state, never on a clock.
"""

import hashlib
import io
import itertools
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from pixelproof.api.admission import PEAK_BYTES_PER_PIXEL
from pixelproof.settings import MB, Settings

from tests.support.cli import create_token
from tests.support.compat import image, new_key
from tests.support.fixtures import Server
from tests.support.held_host import held_host
from tests.support.images import encode, scene
from tests.support.metrics import by_process, scrape, value
from tests.support.waiting import until

WORKERS = 2
REQUESTS = "pixelproof_http_request_duration_seconds"


@dataclass
class Workers:
    server: Server
    metrics: Path  # their PROMETHEUS_MULTIPROC_DIR

    def analyses(self) -> dict[int, float]:
        """``POST /v1/analyze`` requests each worker answered, by pid (whatever their status)."""
        return by_process(self.metrics, REQUESTS, method="POST", route="/v1/analyze")

    def started(self) -> int:
        """How many workers have built their app (each writes its admission gauges then)."""
        return len(list(self.metrics.glob("gauge_livesum_*.db")))

    def analyze(self, token: str | None = None, data: bytes | None = None, **fields) -> tuple[int, httpx.Response]:
        """One upload on a connection of its own, and the pid of the worker that answered it (which
        counts the request once its answer is sent: the test waits for that)."""
        before = self.analyses()
        with self.server.client(token) as client:
            response = upload(client, data, **fields)

        def moved() -> set[int]:
            return {pid for pid, count in self.analyses().items() if count != before.get(pid)}

        (pid,) = until(moved, bool)
        return pid, response

    def until_each_answers(self, status: int, token: str | None = None, **fields) -> list[httpx.Response]:
        """Uploads, one at a time, until each worker has answered one, every one of them with
        ``status``: an answer of each worker."""
        answers: dict[int, httpx.Response] = {}

        def one_more() -> dict[int, httpx.Response]:
            pid, response = self.analyze(token, **fields)
            assert response.status_code == status, response.text
            answers[pid] = response
            return answers

        return list(until(one_more, lambda answered: len(answered) == WORKERS).values())


def start_workers(start_server, tmp_path_factory, db_url: str, **settings) -> Workers:
    """Two workers without models (nothing waits on CLIP) on ``db_url``, fetching from loopback,
    their metrics in a folder of the test's."""
    store_args = ("--db", db_url)
    metrics = tmp_path_factory.mktemp("metrics")
    env = {f"PIXELPROOF_{name.upper()}": str(value) for name, value in settings.items()}
    env |= {"PIXELPROOF_CACHE_DIR": str(tmp_path_factory.mktemp("no-models")), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    token = create_token(*store_args)
    server = start_server(store_args, "--workers", str(WORKERS), "--url-allow", "127.0.0.1", token=token, env=env)
    return Workers(server, metrics)


def upload(client: httpx.Client, data: bytes | None = None, **fields) -> httpx.Response:
    files = {"image": ("a.png", data or image(), "image/png")}
    return client.post("/v1/analyze", files=files, data={"only": "metadata", **fields})


def uploads_at_once(workers: Workers, token: str, count: int) -> list[int]:
    """The statuses of ``count`` uploads sent together, each on a connection of its own."""

    def one(_) -> int:
        with workers.server.client(token) as c:
            return upload(c, external_id="at-once").status_code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_uploads_spend_each_credit_once(start_server, tmp_path_factory, db_url):
    workers = start_workers(start_server, tmp_path_factory, db_url, key_concurrent_analyses=0)  # credits only
    workers.until_each_answers(200)  # both are serving
    token = new_key(workers.server, "--credits", "10")
    before = sum(workers.analyses().values())
    assert sorted(uploads_at_once(workers, token, 24)) == [200] * 10 + [402] * 14
    until(lambda: sum(workers.analyses().values()) - before, lambda answered: answered == 24)
    with workers.server.client(token) as c:
        assert c.get("/v2/billing/balance").json()["credits_remaining"] == 0
        stored = c.get("/v1/reports", params={"external_id": "at-once", "limit": 100}).json()["reports"]
        assert len(stored) == 10


def test_each_worker_gets_its_share_of_the_memory_budget_and_metrics_add_up(start_server, tmp_path_factory, db_url):
    """A budget for two analyses at the largest image: one slot a worker (not two each)."""
    one_analysis_mb = -(-Settings().max_pixels * PEAK_BYTES_PER_PIXEL // MB)
    workers = start_workers(start_server, tmp_path_factory, db_url, memory_budget_mb=2 * one_analysis_mb)
    until(workers.started, lambda started: started == WORKERS)
    with workers.server.client() as c:
        assert value(scrape(c), "pixelproof_admission_capacity", queue="analysis") == WORKERS * 1


def test_a_key_s_analyses_at_once_are_counted_across_workers(start_server, tmp_path_factory, db_url):
    """Two URL analyses held in flight use up the key's two at once, whichever workers run
    them: every further request of that key is refused by both workers, another key's pass."""
    workers = start_workers(start_server, tmp_path_factory, db_url, key_concurrent_analyses=2)
    busy = new_key(workers.server)
    with held_host() as host, ThreadPoolExecutor(2) as pool:

        def held(_):
            with workers.server.client(busy) as c:
                return c.post("/v1/analyze", json={"url": host.url, "only": ["metadata"]})

        fetches = [pool.submit(held, i) for i in range(2)]
        host.wait_for(2)
        for refused in workers.until_each_answers(429, busy):
            assert refused.json()["error"]["code"] == "rate_limited" and "2 analyses running" in refused.text
        with workers.server.client() as other:
            assert upload(other).status_code == 200
        host.release.set()
        assert [f.result().status_code for f in fetches] == [200, 200]
    with workers.server.client(busy) as c:
        assert upload(c).status_code == 200  # the held analyses ended: their key may start again


def test_a_key_s_rate_is_counted_across_workers(start_server, tmp_path_factory, db_url):
    workers = start_workers(start_server, tmp_path_factory, db_url, key_requests_per_minute=1)
    token = new_key(workers.server)
    assert sorted(uploads_at_once(workers, token, 8)) == [200] + [429] * 7
    for refused in workers.until_each_answers(429, token):  # not one a worker
        assert "1 analyses a minute" in refused.json()["error"]["message"]


def test_a_near_duplicate_added_through_one_worker_is_found_through_the_other(start_server, tmp_path_factory, db_url):
    """Both workers search first (each loads its copy of the index), one adds the original, and
    re-encoded copies are looked up until the other worker has answered one: every lookup,
    through either worker, finds the original."""
    workers = start_workers(start_server, tmp_path_factory, db_url, index_analyzed="true")

    def reverse_search(data: bytes) -> tuple[int, dict]:
        pid, response = workers.analyze(data=data, only="reverse_search")
        assert response.status_code == 200, response.text
        return pid, response.json()["analyzers"]["reverse_search"]["evidence"]

    # each worker loads its copy of the index (the images searched, blocky noise, look like nothing else here)
    workers.until_each_answers(200, only="reverse_search")

    original = encode(scene(320, 240, 1), "PNG")
    adder, added = reverse_search(original)
    assert added["added_to_index"] is True and added["was_found"] is False
    original_sha256 = hashlib.sha256(original).hexdigest()

    # JPEG copies of this scene at quality 85-98 stay within PDQ distance 26 of the original (the
    # index accepts 31); at 75 and below they drift past it, whichever worker looks them up
    qualities = itertools.cycle(range(98, 84, -1))
    found_by: set[int] = set()

    def look_up() -> set[int]:
        pid, evidence = reverse_search(encode(scene(320, 240, 1), "JPEG", quality=next(qualities)))
        assert evidence["was_found"] is True
        assert original_sha256 in {m["sha256"] for m in evidence["matches"] if m["kind"] == "copy"}
        found_by.add(pid)
        return found_by

    until(look_up, lambda pids: pids - {adder})


def test_a_job_s_images_are_analyzed_once_each(start_server, tmp_path_factory, db_url):
    """On SQLite one worker runs the jobs: its start-up recovery must not take images from under
    a sibling, so the analyzer counts of only one pid move. On PostgreSQL every worker runs
    procrastinate's, which shares the queue."""
    workers = start_workers(start_server, tmp_path_factory, db_url)
    until(workers.started, lambda started: started == WORKERS)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as members:
        for i in range(6):
            members.writestr(f"{i}.png", image())
    with workers.server.client() as c:
        submitted = c.post("/v1/jobs", files={"archive": ("six.zip", archive.getvalue())}, data={"only": "metadata"})
        assert submitted.status_code == 202, submitted.text
        job = until(lambda: c.get(f"/v1/jobs/{submitted.json()['id']}").json(), lambda job: job["state"] == "done")
        assert len(c.get("/v1/reports", params={"limit": 100}).json()["reports"]) == 6
    assert job["counts"]["done"] == 6, job
    analyzed_by = until(
        lambda: by_process(workers.metrics, "pixelproof_analyzer_duration_seconds"), lambda by: sum(by.values()) == 6
    )
    if db_url.startswith("sqlite"):
        assert len(analyzed_by) == 1, analyzed_by
