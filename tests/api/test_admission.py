"""Admission and limits (issue 14): slow URL fetches leave the cheap routes answering, a full
server answers 503 with Retry-After, a key over its limits 429 in every API's own shape, and a
request past its time budget 503, refunded, with nothing stored.

Analyses are held in flight deterministically: a URL host that answers only when the test says
so, or a PostgreSQL lock that holds the report's INSERT (inside the analysis slot) until the test
lets go. Nothing here waits on a clock.
"""

import re
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import psycopg
import pytest

from pixelproof.api.admission import PEAK_BYTES_PER_PIXEL, analysis_slots
from pixelproof.settings import MB, Settings
from tests.support.cli import HTTP_TIMEOUT_S, create_token
from tests.support.compat import image, new_key, pair
from tests.support.held_host import held_host
from tests.support.metrics import scrape, value


@pytest.mark.parametrize(("worst_cases", "cpus", "slots"), [(3, 8, 3), (0, 8, 1), (100, 8, 16), (3, 1, 2)])
def test_slots_are_the_worst_cases_the_memory_budget_holds_at_least_one_at_most_two_per_cpu(
    monkeypatch, worst_cases, cpus, slots
):
    monkeypatch.setattr("os.cpu_count", lambda: cpus)
    max_pixels = 1_000_000
    budget_mb = worst_cases * max_pixels * PEAK_BYTES_PER_PIXEL // MB + 1
    assert analysis_slots(Settings(max_pixels=max_pixels, memory_budget_mb=budget_mb)) == slots


def start(start_server, tmp_path_factory, store_args=None, **settings):
    """A server without models (nothing waits on CLIP), fetching from loopback, with these settings."""
    store_args = store_args or ("--data-dir", str(tmp_path_factory.mktemp("data")))
    env = {f"PIXELPROOF_{name.upper()}": str(value) for name, value in settings.items()}
    env["PIXELPROOF_CACHE_DIR"] = str(tmp_path_factory.mktemp("no-models"))
    return start_server(store_args, "--url-allow", "127.0.0.1", token=create_token(*store_args), env=env)


def upload(client: httpx.Client, **data) -> httpx.Response:
    files = {"image": ("a.png", image(), "image/png")}
    return client.post("/v1/analyze", files=files, data={"only": "metadata", **data})


def credits(server, token: str) -> int:
    with server.client(token) as c:
        return c.get("/v2/billing/balance").json()["credits_remaining"]


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait for a state of the server, as long as a test waits for any answer."""
    for _ in range(HTTP_TIMEOUT_S * 10):
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"never happened: {what}")


def retry_after(response: httpx.Response) -> int:
    value = int(response.headers["retry-after"])
    assert value >= 1
    return value


def native_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


FETCHES = 45  # more than the 40 threads of the shared pool the fetches used to take


def test_pending_url_fetches_leave_every_other_route_answering(start_server, tmp_path_factory):
    server = start(
        start_server,
        tmp_path_factory,
        key_concurrent_analyses=0,
        max_concurrent_fetches=64,
        admission_wait_s=HTTP_TIMEOUT_S,  # the 45 analyses then queue for the slots: none may be refused
        url_read_timeout=HTTP_TIMEOUT_S,
        time_budget_s=10 * HTTP_TIMEOUT_S,
    )
    with held_host() as host, ThreadPoolExecutor(FETCHES) as pool, server.client() as client:

        def fetch(_):
            with server.client() as c:
                return c.post("/v1/analyze", json={"url": host.url, "only": ["metadata"], "external_id": "held"})

        fetches = [pool.submit(fetch, i) for i in range(FETCHES)]
        host.wait_for(FETCHES)  # every fetch is connected and waiting for headers
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/reports").status_code == 200
        assert upload(client).status_code == 200
        assert [f.done() for f in fetches] == [False] * FETCHES
        host.release.set()
        assert [f.result().status_code for f in fetches] == [200] * FETCHES
        assert len(client.get("/v1/reports", params={"external_id": "held", "limit": 200}).json()["reports"]) == FETCHES


def _schema(db_url: str) -> str:
    return re.search(r"search_path%3D(\w+)", db_url).group(1)


HELD_INSERTS = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO reports%'"
)


@contextmanager
def reports_locked(port: int, schema: str):
    """Holds the reports table against writes (reads still pass) until the block ends; yields a
    function that waits until ``n`` report INSERTs are held."""
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres") as lock, psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as watch:
        lock.execute(f"LOCK TABLE {schema}.reports IN EXCLUSIVE MODE")

        def wait_for_inserts(n: int) -> None:
            eventually(lambda: watch.execute(HELD_INSERTS).fetchone()[0] >= n, f"{n} INSERTs into reports held")

        yield wait_for_inserts
        lock.rollback()


@contextmanager
def first_analysis_holding_the_slot(server, token: str, postgres, db_url: str):
    """An upload by ``token`` that has been analyzed and holds the only slot while its report
    insert waits on the locked table; yields its future, which settles once the block ends."""

    def analyze():
        with server.client(token) as c:
            return upload(c)

    pool = ThreadPoolExecutor(1)
    try:
        with reports_locked(postgres.port, _schema(db_url)) as wait_for_inserts:
            held = pool.submit(analyze)
            wait_for_inserts(1)
            yield held
    finally:
        pool.shutdown()


def test_a_full_server_answers_503_and_a_busy_key_429(start_server, tmp_path_factory, postgres):
    """One analysis slot (a tiny memory budget), held by an analysis whose report cannot be stored yet."""
    db_url = postgres.fresh_url()
    server = start(
        start_server,
        tmp_path_factory,
        ("--db", db_url),
        memory_budget_mb=1,
        admission_wait_s=0.2,
        key_concurrent_analyses=1,
    )
    first, other = new_key(server, "--credits", "5"), new_key(server, "--credits", "5")

    with first_analysis_holding_the_slot(server, first, postgres, db_url) as held:
        with server.client(first) as c:
            busy_key = upload(c)
            native_error(busy_key, 429, "rate_limited")  # its key is at its 1 analysis at once
            retry_after(busy_key)
        with server.client(other) as c:
            full = upload(c)
            native_error(full, 503, "server_busy")  # another key: no slot frees within 0.2 s
            retry_after(full)
            held_slot = scrape(c)
            assert value(held_slot, "pixelproof_admission_in_use", queue="analysis") == 1
            for code in ("rate_limited", "server_busy"):
                assert value(held_slot, "pixelproof_admission_refusals_total", code=code) == 1
            assert c.get("/healthz").status_code == 200
            assert c.get("/v1/reports").status_code == 200  # reads pass the lock
        assert not held.done()
        assert (credits(server, first), credits(server, other)) == (4, 5)  # the refused paid nothing
    assert held.result().status_code == 200  # the lock is gone: the held report is stored
    with server.client() as c:
        assert len(c.get("/v1/reports").json()["reports"]) == 1


def _send_upload(server, token: str, external_id: str) -> socket.socket:
    """An upload sent over a raw socket, so the test can hang up before the answer."""
    request = httpx.Request(
        "POST",
        f"{server.base_url}/v1/analyze",
        headers={"Authorization": f"Bearer {token}"},
        files={"image": ("a.png", image(), "image/png")},
        data={"only": "metadata", "external_id": external_id},
    )
    body = request.read()
    head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    sock = socket.create_connection((request.url.host, request.url.port))
    sock.sendall(f"POST /v1/analyze HTTP/1.1\r\n{head}\r\n".encode() + body)
    return sock


def test_work_for_a_client_that_hung_up_is_abandoned(start_server, tmp_path_factory, postgres):
    """A request waits for the only slot, its client hangs up, then the slot frees: the analysis
    is abandoned before it starts (refunded, nothing stored)."""
    db_url = postgres.fresh_url()
    server = start(start_server, tmp_path_factory, ("--db", db_url), memory_budget_mb=1)
    first, gone = new_key(server), new_key(server, "--credits", "5")

    with first_analysis_holding_the_slot(server, first, postgres, db_url) as held:
        sock = _send_upload(server, gone, "hung-up")
        eventually(lambda: credits(server, gone) == 4, "the request charged, waiting for the slot")
        sock.close()
    assert held.result().status_code == 200
    eventually(lambda: credits(server, gone) == 5, "the abandoned request refunded")
    with server.client() as c:
        assert c.get("/v1/reports", params={"external_id": "hung-up"}).json()["reports"] == []
        assert len(c.get("/v1/reports").json()["reports"]) == 1


@pytest.fixture(scope="module")
def limited(start_server, tmp_path_factory):
    """Each key may start one analysis a minute."""
    return start(start_server, tmp_path_factory, key_requests_per_minute=1)


def _spend_the_minute(server, token: str) -> None:
    with server.client(token) as c:
        assert upload(c).status_code == 200


def test_a_key_over_its_rate_gets_429_natively(limited):
    token = new_key(limited)
    _spend_the_minute(limited, token)
    with limited.client(token) as c:
        refused = upload(c)
        native_error(refused, 429, "rate_limited")
        assert "1 analyses a minute" in refused.json()["error"]["message"]
        assert retry_after(refused) <= 60
        assert c.get("/v1/reports").status_code == 200  # only analyses count
    with limited.client(new_key(limited)) as c:  # the limit is per key
        assert upload(c).status_code == 200


def test_sightengine_rate_limit_in_its_shape(limited):
    token = new_key(limited)
    _spend_the_minute(limited, token)
    user, secret = pair(token)
    response = httpx.post(
        f"{limited.base_url}/1.0/check.json",
        data={"models": "genai", "api_user": user, "api_secret": secret},
        files={"media": ("a.png", image(), "image/png")},
        timeout=HTTP_TIMEOUT_S,
    )
    assert response.status_code == 429
    retry_after(response)
    body = response.json()
    assert body["status"] == "failure"
    assert (body["error"]["type"], body["error"]["code"]) == ("usage_limit", 429)


def test_winston_rate_limit_in_its_shape(limited):
    token = new_key(limited)
    _spend_the_minute(limited, token)
    with limited.client(token) as c:
        response = c.post("/v2/image-detection", json={"url": "http://127.0.0.1:9/never-fetched.png"})
    assert response.status_code == 429
    retry_after(response)
    assert set(response.json()) == {"error", "description"} and response.json()["error"] == "rate_limited"


def test_aiornot_rate_limit_in_its_shape(limited):
    token = new_key(limited)
    _spend_the_minute(limited, token)
    with limited.client(token) as c:
        response = c.post("/v2/image/sync", files={"image": ("a.png", image(), "image/png")})
    assert response.status_code == 429
    retry_after(response)
    assert set(response.json()) == {"message", "code"} and response.json()["code"] == "rate_limited"


def test_past_the_time_budget_nothing_is_stored_and_the_credit_is_refunded(start_server, tmp_path_factory):
    server = start(start_server, tmp_path_factory, time_budget_s=0.000001)
    token = new_key(server, "--credits", "3")
    with server.client(token) as c:
        response = upload(c, external_id="too-slow")
        native_error(response, 503, "time_budget_exceeded")
        assert "time budget" in response.json()["error"]["message"]
        assert c.get("/v1/reports", params={"external_id": "too-slow"}).json()["reports"] == []
    assert credits(server, token) == 3
