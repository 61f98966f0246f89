"""GET /metrics: what Prometheus scrapes moves by exactly what the API did, under route
templates (never raw paths), behind the key unless the server says otherwise; and with several
server processes sharing ``PROMETHEUS_MULTIPROC_DIR``, any of them answers for all."""

import io
import zipfile

import httpx
import numpy as np

from pixelproof.api.admission import analysis_slots
from pixelproof.settings import Settings

from tests.support.cli import create_token
from tests.support.fixtures import settled_health
from tests.support.images import png
from tests.support.metrics import moved, scrape, value
from tests.support.waiting import until

CHEAP = ["metadata", "watermark"]  # two analyzers without a model to load
REQUESTS = "pixelproof_http_request_duration_seconds_count"
ANALYZERS = "pixelproof_analyzer_duration_seconds_count"


def series(method: str, route: str, status: int) -> frozenset:
    return frozenset({"method": method, "route": route, "status": str(status)}.items())


def analyze(client: httpx.Client, image: bytes) -> httpx.Response:
    return client.post("/v1/analyze", files={"image": ("a.png", image, "image/png")}, data={"only": CHEAP})


def image(seed: int = 0) -> bytes:
    return png(np.random.default_rng(seed).integers(0, 256, (64, 96, 3), dtype=np.uint8))


def zipped(member: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.png", member)
    return out.getvalue()


def test_an_analysis_moves_its_route_and_each_of_its_analyzers_by_one(in_process_api):
    client = in_process_api.test_client
    before = scrape(client)
    report = analyze(client, image()).json()
    after = scrape(client)

    assert moved(before, after, REQUESTS) == {
        series("POST", "/v1/analyze", 200): 1,
        series("GET", "/metrics", 200): 1,  # the first scrape: counted once it has answered
    }
    assert set(report["analyzers"]) == set(CHEAP)
    assert moved(before, after, ANALYZERS) == {
        frozenset({"analyzer": name, "status": section["status"]}.items()): 1
        for name, section in report["analyzers"].items()
    }
    assert value(after, "pixelproof_admission_in_use", queue="analysis") == 0


def test_requests_are_counted_under_their_route_template_and_status(in_process_api):
    client = in_process_api.test_client
    report_id = analyze(client, image(1)).json()["id"]
    before = scrape(client)
    assert client.get(f"/v1/reports/{report_id}").status_code == 200
    assert client.get("/v1/reports/no-such-report").status_code == 404
    assert client.post("/v1/analyze", files={"image": ("empty.png", b"", "image/png")}).status_code == 400
    assert client.get("/no/such/path").status_code == 404
    assert client.request("BREW", "/v1/reports").status_code == 405
    after = scrape(client)

    assert moved(before, after, REQUESTS) == {
        series("GET", "/v1/reports/{report_id}", 200): 1,
        series("GET", "/v1/reports/{report_id}", 404): 1,
        series("POST", "/v1/analyze", 400): 1,
        series("GET", "unmatched", 404): 1,
        series("other", "/v1/reports", 405): 1,
        series("GET", "/metrics", 200): 1,
    }
    text = client.get("/metrics").text
    assert report_id not in text and "no-such-report" not in text and "/no/such/path" not in text


def test_metrics_need_the_key_unless_the_server_makes_them_public(in_process_api, start_in_process_api):
    without_key = {"Authorization": ""}
    refused = in_process_api.test_client.get("/metrics", headers=without_key)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    public = start_in_process_api(metrics_public=True).test_client
    assert public.get("/metrics", headers=without_key).status_code == 200


def test_admission_refusals_are_counted_by_code(start_in_process_api):
    client = start_in_process_api(key_requests_per_minute=1).test_client
    before = scrape(client)
    assert analyze(client, image(2)).status_code == 200
    assert analyze(client, image(3)).status_code == 429
    after = scrape(client)
    assert moved(before, after, "pixelproof_admission_refusals_total") == {frozenset({("code", "rate_limited")}): 1}
    assert moved(before, after, REQUESTS)[series("POST", "/v1/analyze", 429)] == 1
    assert value(after, "pixelproof_admission_capacity", queue="analysis") == analysis_slots(Settings())


def test_the_self_check_gauge_says_what_healthz_says(in_process_api):
    client = in_process_api.test_client
    models = settled_health(client)["models"]
    samples = scrape(client)
    for model, health in models.items():
        states = {
            dict(labels)["state"]: v
            for (name, labels), v in samples.items()
            if name == "pixelproof_model_selfcheck" and dict(labels)["model"] == model
        }
        assert states[health["state"]] == 1 and sum(states.values()) == 1, (model, states)


def test_a_job_moves_the_jobs_by_state_and_its_analyzers(in_process_api):
    client = in_process_api.test_client
    before = scrape(client)
    archive = {"archive": ("one.zip", zipped(image(4)), "application/zip")}
    submitted = client.post("/v1/jobs", files=archive, data={"only": CHEAP})
    assert submitted.status_code == 202, submitted.text
    until(lambda: client.get(f"/v1/jobs/{submitted.json()['id']}").json()["state"], lambda state: state == "done")
    after = scrape(client)
    assert value(after, "pixelproof_jobs", state="done") - value(before, "pixelproof_jobs", state="done") == 1
    assert sum(moved(before, after, ANALYZERS).values()) == len(CHEAP)


def test_several_server_processes_answer_for_all_of_them(start_server, tmp_path):
    """Two `pixelproof serve` processes on one store and one PROMETHEUS_MULTIPROC_DIR (as
    workers behind one port would be): either one's /metrics counts the other's requests."""
    store_args = ("--data-dir", str(tmp_path / "data"))
    token = create_token(*store_args)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    first, second = (start_server(store_args, token=token, env=env) for _ in range(2))
    with first.client() as one, second.client() as other:
        before = scrape(other)
        for _ in range(3):
            assert one.get("/v1/reports").status_code == 200
        after = scrape(other)
    assert moved(before, after, REQUESTS)[series("GET", "/v1/reports", 200)] == 3
    assert value(after, "pixelproof_admission_capacity", queue="analysis") == 2 * analysis_slots(Settings())
