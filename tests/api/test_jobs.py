"""Async jobs against a real server: images from a loopback host, webhooks to a loopback
receiver, and a server killed mid-job that finishes the job after a restart."""

import csv
import hashlib
import hmac
import io
import json
import time
import zipfile

import pytest

from pixelproof.settings import Settings
from pixelproof.storage import Store

from tests.support.cli import HTTP_TIMEOUT_S, create_token, pixelproof_cli
from tests.support.jobs import CHEAP, WebhookReceiver, finished, image_host, png
from tests.support.waiting import until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def images():
    with image_host() as host:
        yield host


@pytest.fixture(scope="module")
def jobs_server(start_server, tmp_path_factory):
    """A server that may fetch from loopback and retries webhooks after half a second."""
    store_args = ("--data-dir", str(tmp_path_factory.mktemp("data")))
    token = create_token(*store_args)
    env = {"PIXELPROOF_WEBHOOK_FIRST_RETRY_S": "0.5"}
    return start_server(store_args, "--max-upload-mb", "1", "--url-allow", "127.0.0.1", token=token, env=env)


def zip_of(members: dict[str, bytes], method=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def submit_archive(client, archive: bytes, **fields):
    return client.post("/v1/jobs", files={"archive": ("batch.zip", archive, "application/zip")}, data=fields)


def test_a_url_job_streams_its_results_as_jsonl_and_csv(jobs_server, images):
    urls = [images.url("/img/1.png"), images.url("/img/2.png"), "http://127.0.0.1:1/nothing-listens.png"]
    with jobs_server.client() as client:
        refusals = [
            ({"urls": []}, 422, "invalid_request"),
            ({"urls": urls, "external_ids": ["a"]}, 422, "invalid_request"),
            ({"urls": urls, "only": "no-such"}, 400, "unknown_analyzer"),
        ]
        for body, status, code in refusals:
            refused = client.post("/v1/jobs", json=body)
            assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
        submitted = client.post("/v1/jobs", json={"urls": urls, "external_ids": ["a", "b", "c"], "only": CHEAP})
        assert submitted.status_code == 202, submitted.text
        job = finished(client, submitted.json()["id"])
        assert job["state"] == "done"
        assert job["counts"] == {"total": 3, "queued": 0, "running": 0, "done": 2, "failed": 1, "cancelled": 0}
        assert [(e["position"], e["code"]) for e in job["errors"]] == [(2, "url_fetch_failed")]

        response = client.get(f"/v1/jobs/{job['id']}/results")
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert [(r["position"], r["external_id"], r["state"]) for r in lines] == [
            (0, "a", "done"),
            (1, "b", "done"),
            (2, "c", "failed"),
        ]
        for line in lines[:2]:
            assert client.get(f"/v1/reports/{line['report_id']}").json() == line["report"]
            assert list(line["report"]["analyzers"]) == [CHEAP]
        assert lines[2]["error"]["code"] == "url_fetch_failed" and lines[2]["report"] is None

        rows = list(csv.DictReader(io.StringIO(client.get(f"/v1/jobs/{job['id']}/results?format=csv").text)))
        assert [(r["external_id"], r["report_id"], r["error_code"]) for r in rows] == [
            ("a", lines[0]["report_id"], ""),
            ("b", lines[1]["report_id"], ""),
            ("c", "", "url_fetch_failed"),
        ]


def test_an_archive_job_analyzes_each_member_through_the_normal_limits(jobs_server):
    archive = zip_of({"photos/one.png": png(1), "two.png": png(2), "notes.txt": b"not an image", "__MACOSX/._x": b""})
    with jobs_server.client() as client:
        submitted = submit_archive(client, archive, only=CHEAP)
        assert submitted.status_code == 202, submitted.text
        job = finished(client, submitted.json()["id"])
        lines = [json.loads(line) for line in client.get(f"/v1/jobs/{job['id']}/results").text.splitlines()]
    outcomes = [(r["filename"], r["state"]) for r in lines]
    assert outcomes == [("one.png", "done"), ("two.png", "done"), ("notes.txt", "failed")]
    assert lines[0]["report"]["filename"] == "one.png"
    assert lines[2]["error"]["code"] == "unsupported_media_type"


def test_a_zip_bomb_is_refused_before_any_job_exists(jobs_server):
    bomb = zip_of({"huge.png": bytes(900 * 1024)}, zipfile.ZIP_DEFLATED)  # ~1000:1, under the 1 MB image limit
    with jobs_server.client() as client:
        response = submit_archive(client, bomb, only=CHEAP)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "decompression_bomb"
        too_big = submit_archive(client, zip_of({"big.png": bytes(2 * 1024 * 1024)}, zipfile.ZIP_DEFLATED))
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"
        not_archive = submit_archive(client, png(1))
        assert not_archive.status_code == 415


def test_credits_are_reserved_per_image_and_cancelling_gives_back_the_unstarted(jobs_server, images):
    result = pixelproof_cli("keys", "create", "--name", "paying", "--credits", "3", *jobs_server.store_args)
    token = next(word for word in result.stdout.split() if word.startswith("pp_"))
    key_id = token.split("_")[1]
    urls = [images.url("/gate/1.png"), images.url("/img/2.png"), images.url("/img/3.png")]
    receiver = WebhookReceiver(failures=0)
    images.close_gate()
    try:
        with jobs_server.client(token) as client:
            short = client.post("/v1/jobs", json={"urls": [*urls, images.url("/img/4.png")], "only": CHEAP})
            assert short.status_code == 402 and short.json()["error"]["code"] == "credits_exhausted"

            body = {"urls": urls, "only": CHEAP, "callback_url": receiver.url}
            job_id = client.post("/v1/jobs", json=body).json()["id"]
            assert images.reached.wait(HTTP_TIMEOUT_S)  # the first image is being fetched
            cancelled = client.delete(f"/v1/jobs/{job_id}").json()
            assert cancelled["state"] == "cancelled" and cancelled["counts"]["cancelled"] == 2
            images.gate.set()
            job = until(lambda: client.get(f"/v1/jobs/{job_id}").json(), lambda job: not job["counts"]["running"])
            assert job["counts"] == {"total": 3, "queued": 0, "running": 0, "done": 1, "failed": 0, "cancelled": 2}
            assert receiver.delivered.wait(HTTP_TIMEOUT_S)
    finally:
        images.gate.set()
        receiver.http.shutdown()
    assert json.loads(receiver.posts[0][1])["job"]["state"] == "cancelled"
    with Store.open(Settings(data_dir=jobs_server.store_args[1]).db_url) as store:
        assert store.get_key(key_id).credits == 2  # 3 reserved, 2 given back, the one analyzed kept


def test_another_key_cannot_see_a_job(jobs_server):
    other = create_token(*jobs_server.store_args)
    with jobs_server.client() as client:
        job_id = submit_archive(client, zip_of({"one.png": png(1)}), only=CHEAP).json()["id"]
        finished(client, job_id)
    with jobs_server.client(other) as client:
        for response in (
            client.get(f"/v1/jobs/{job_id}"),
            client.get(f"/v1/jobs/{job_id}/results"),
            client.delete(f"/v1/jobs/{job_id}"),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


def test_the_webhook_is_signed_retried_and_its_attempts_are_on_the_job(jobs_server):
    receiver = WebhookReceiver(failures=1)
    key_id = jobs_server.token.split("_")[1]
    secret = pixelproof_cli("keys", "webhook-secret", key_id, *jobs_server.store_args).stdout.strip()
    assert pixelproof_cli("keys", "webhook-secret", "000000000000", *jobs_server.store_args).exit_code == 1
    try:
        with jobs_server.client() as client:
            private = {"urls": ["http://127.0.0.1/x.png"], "callback_url": "http://10.1.2.3/"}
            refused = client.post("/v1/jobs", json=private)
            assert refused.status_code == 400 and refused.json()["error"]["code"] == "url_refused"

            archive = zip_of({"one.png": png(1)})
            submitted_at = int(time.time())
            job_id = submit_archive(client, archive, only=CHEAP, callback_url=receiver.url).json()["id"]
            assert receiver.delivered.wait(HTTP_TIMEOUT_S)
            job = until(lambda: client.get(f"/v1/jobs/{job_id}").json(), lambda job: job["webhook"]["state"] != "pending")
    finally:
        receiver.http.shutdown()
    delivered_by = int(time.time())
    assert job["webhook"]["state"] == "delivered"
    assert [a["status_code"] for a in job["webhook"]["attempts"]] == [500, 200]
    for headers, body in receiver.posts:
        # The documented check, written out: t=<unix>,v1=HMAC-SHA256(secret, "<t>." + raw body)
        fields = dict(part.split("=", 1) for part in headers["Pixelproof-Signature"].split(","))
        expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(fields["v1"], expected)
        assert submitted_at <= int(fields["t"]) <= delivered_by  # signed when sent: a receiver's replay check holds
        event = json.loads(body)
        assert event["type"] == "job.finished"
        assert event["job"]["id"] == job_id and event["job"]["counts"]["done"] == 1


def test_a_job_survives_a_kill_mid_job_without_analyzing_an_image_twice(start_server, images, tmp_path):
    store_args = ("--data-dir", str(tmp_path))
    token = create_token(*store_args)
    args = ("--url-allow", "127.0.0.1")
    urls = [images.url("/img/5.png"), images.url("/img/6.png"), images.url("/gate/7.png")]
    images.close_gate()
    first = start_server(store_args, *args, token=token)
    try:
        with first.client() as client:
            job_id = client.post("/v1/jobs", json={"urls": urls, "only": CHEAP}).json()["id"]
        assert images.reached.wait(HTTP_TIMEOUT_S)  # two images stored, the third in flight
        first.process.kill()  # kill -9: no shutdown runs
        first.process.wait()
    finally:
        images.gate.set()

    second = start_server(store_args, *args, token=token)
    with second.client() as client:
        job = finished(client, job_id)
        lines = [json.loads(line) for line in client.get(f"/v1/jobs/{job_id}/results").text.splitlines()]
        reports = client.get("/v1/reports").json()["reports"]
    assert job["state"] == "done" and job["counts"]["done"] == 3
    assert sorted(r["id"] for r in reports) == sorted(line["report_id"] for line in lines)  # one report per image
    assert images.hits["/img/5.png"] == images.hits["/img/6.png"] == 1  # finished images were not redone
