"""Jobs on PostgreSQL: a server that only queues, and `pixelproof worker` processes that run
the images (procrastinate), killed with -9 or not; the server serves what they stored."""

import json
import os
import subprocess

import pytest

from pixelproof.settings import Settings
from pixelproof.storage import Store

from tests.support.cli import HTTP_TIMEOUT_S, TOKEN, create_token, pixelproof_cli
from tests.support.fixtures import PATIENT, PIXELPROOF
from tests.support.jobs import CHEAP, WebhookReceiver, finished, image_host
from tests.support.waiting import until

# the worker may fetch images from, and post webhooks to, loopback; it retries a webhook after half a second
WORKER_ENV = {**PATIENT, "PIXELPROOF_URL_ALLOW": "127.0.0.1", "PIXELPROOF_WEBHOOK_FIRST_RETRY_S": "0.5"}


@pytest.fixture(scope="module")
def images():
    with image_host() as host:
        yield host


@pytest.fixture
def start_worker(tmp_path):
    """Factory: ``start_worker(db_url)`` → a running `pixelproof worker` (one image at a time);
    every worker still running is stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(db_url: str) -> subprocess.Popen:
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(PIXELPROOF), "worker", "--db", db_url, "--concurrency", "1"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **WORKER_ENV},
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=HTTP_TIMEOUT_S)


@pytest.fixture
def queuing_server(start_server, postgres):
    """A server on a fresh PostgreSQL schema that runs no job itself (PIXELPROOF_JOB_WORKERS=0)."""
    store_args = ("--db", postgres.fresh_url())
    token = create_token(*store_args)
    env = {"PIXELPROOF_JOB_WORKERS": "0"}
    return start_server(store_args, "--url-allow", "127.0.0.1", token=token, env=env)


def results(client, job_id: str) -> list[dict]:
    return [json.loads(line) for line in client.get(f"/v1/jobs/{job_id}/results").text.splitlines()]


def test_the_worker_refuses_sqlite():
    result = pixelproof_cli("worker")
    assert result.exit_code == 2
    assert "the SQLite default runs jobs inside `pixelproof serve`" in result.output


def test_a_job_posted_to_the_server_is_run_by_a_worker_process_which_sends_its_webhook(
    queuing_server, start_worker, images
):
    receiver = WebhookReceiver(failures=1)
    urls = [images.url("/img/1.png"), images.url("/img/2.png")]
    try:
        with queuing_server.client() as client:
            body = {"urls": urls, "only": CHEAP, "callback_url": receiver.url}
            job_id = client.post("/v1/jobs", json=body).json()["id"]
            start_worker(queuing_server.store_args[1])
            job = finished(client, job_id)
            lines = results(client, job_id)
            assert [client.get(f"/v1/reports/{line['report_id']}").json() for line in lines] == [
                line["report"] for line in lines
            ]
            assert receiver.delivered.wait(HTTP_TIMEOUT_S)
            job = until(lambda: client.get(f"/v1/jobs/{job_id}").json(), lambda j: j["webhook"]["state"] != "pending")
    finally:
        receiver.http.shutdown()
    assert job["state"] == "done" and job["counts"]["done"] == 2
    assert [line["state"] for line in lines] == ["done", "done"]
    assert [a["status_code"] for a in job["webhook"]["attempts"]] == [500, 200]  # retried from the worker
    assert json.loads(receiver.posts[-1][1])["job"]["id"] == job_id


def test_a_worker_killed_mid_job_leaves_it_to_the_next_without_analyzing_an_image_twice(
    queuing_server, start_worker, images
):
    urls = [images.url("/img/5.png"), images.url("/img/6.png"), images.url("/gate/7.png")]
    images.close_gate()
    with queuing_server.client() as client:
        job_id = client.post("/v1/jobs", json={"urls": urls, "only": CHEAP}).json()["id"]
        first = start_worker(queuing_server.store_args[1])
        try:
            assert images.reached.wait(HTTP_TIMEOUT_S)  # two images stored, the third in flight
            first.kill()  # kill -9: no shutdown runs, its heartbeat stops
            first.wait()
        finally:
            images.gate.set()
        start_worker(queuing_server.store_args[1])
        job = finished(client, job_id)
        lines = results(client, job_id)
        reports = client.get("/v1/reports").json()["reports"]
    assert job["state"] == "done" and job["counts"]["done"] == 3
    assert sorted(r["id"] for r in reports) == sorted(line["report_id"] for line in lines)  # one report per image
    assert images.hits["/img/5.png"] == images.hits["/img/6.png"] == 1  # finished images were not redone


def test_cancelling_drops_the_images_not_started_and_gives_their_credits_back(
    queuing_server, start_worker, images
):
    result = pixelproof_cli("keys", "create", "--name", "paying", "--credits", "3", *queuing_server.store_args)
    token = TOKEN.search(result.stdout).group(0)
    urls = [images.url("/gate/11.png"), images.url("/img/12.png"), images.url("/img/13.png")]
    receiver = WebhookReceiver(failures=0)
    images.close_gate()
    try:
        with queuing_server.client(token) as client:
            body = {"urls": urls, "only": CHEAP, "callback_url": receiver.url}
            job_id = client.post("/v1/jobs", json=body).json()["id"]
            start_worker(queuing_server.store_args[1])
            assert images.reached.wait(HTTP_TIMEOUT_S)  # the first image is being fetched
            cancelled = client.delete(f"/v1/jobs/{job_id}").json()
            assert cancelled["state"] == "cancelled" and cancelled["counts"]["cancelled"] == 2
            images.gate.set()
            job = until(lambda: client.get(f"/v1/jobs/{job_id}").json(), lambda job: not job["counts"]["running"])
            assert receiver.delivered.wait(HTTP_TIMEOUT_S)
    finally:
        images.gate.set()
        receiver.http.shutdown()
    assert job["counts"] == {"total": 3, "queued": 0, "running": 0, "done": 1, "failed": 0, "cancelled": 2}
    assert images.hits["/img/12.png"] == images.hits["/img/13.png"] == 0  # their tasks found them cancelled
    assert json.loads(receiver.posts[0][1])["job"]["state"] == "cancelled"
    with Store.open(Settings(db=queuing_server.store_args[1]).db_url) as store:
        assert store.get_key(token.split("_")[1]).credits == 2  # 3 reserved, 2 given back, the one analyzed kept


def test_serve_on_postgresql_runs_jobs_itself_by_default(start_server, postgres, images):
    store_args = ("--db", postgres.fresh_url())
    server = start_server(store_args, "--url-allow", "127.0.0.1", token=create_token(*store_args))
    with server.client() as client:
        job_id = client.post("/v1/jobs", json={"urls": [images.url("/img/21.png")], "only": CHEAP}).json()["id"]
        assert finished(client, job_id)["state"] == "done"
