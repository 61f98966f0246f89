"""Sightengine compatibility, proven with the official ``sightengine==1.4.0`` client, unchanged:
only its endpoint points at a real `pixelproof serve`."""

import csv
import hashlib
import re

import httpx
import pytest

from pixelproof.analyzers.deepfake import HEAD_PATH
from pixelproof.evaluation.runner import read_labeled

from tests.support.cli import pixelproof_cli
from tests.support.compat import ai_declared, image, image_host, new_key, pair
from tests.support.shared import REPO_ROOT, data_images

SightengineClient = pytest.importorskip(
    "sightengine.client", reason="the official client needs `pip install sightengine==1.4.0 requests`"
).SightengineClient
HAS_FACE_HEAD = HEAD_PATH.exists()  # the faces analyzer judges faces only with a trained head
DOCS = REPO_ROOT / "docs" / "compatibility.md"


def client(server, token: str | None = None) -> SightengineClient:
    official = SightengineClient(*pair(token or server.token))
    official.endpoint = f"{server.base_url}/"
    return official


def check(server, *models: str, token: str | None = None):
    checker = client(server, token).check(*models)
    checker.endpoint = f"{server.base_url}/1.0/"
    return checker


def stored_report(server, output: dict) -> dict:
    report_id = output["request"]["id"].removeprefix("req_")
    with server.client() as c:
        return c.get(f"/v1/reports/{report_id}").raise_for_status().json()


def assert_failure(output: dict, kind: str, code: int) -> str:
    assert output["status"] == "failure", output
    assert set(output) == {"status", "request", "error"}
    assert output["request"]["id"].startswith("req_") and output["request"]["operations"] == 0
    assert (output["error"]["type"], output["error"]["code"]) == (kind, code)
    return output["error"]["message"]


def test_the_documented_client_lines_work_as_written(server, tmp_path, monkeypatch):
    [snippet] = [b for b in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S) if "SightengineClient" in b]
    user, secret = pair(server.token)
    filled = snippet.replace("http://HOST:8000", server.base_url).replace("API_USER", user)
    (tmp_path / "picture.jpg").write_bytes(ai_declared("JPEG"))
    monkeypatch.chdir(tmp_path)
    run: dict = {}
    exec(filled.replace("API_SECRET", secret), run)
    assert run["output"]["status"] == "success" and run["output"]["type"] == {"ai_generated": 0.99}, run["output"]
    assert run["feedback"]["status"] == "success", run["feedback"]
    assert run["feedback"]["media"] == run["output"]["media"]


def test_set_url_answers_with_the_verdict_probability(server):
    data = ai_declared("JPEG")
    with image_host({"/harbour.jpg": data}) as host:
        output = check(server, "genai").set_url(f"{host}/harbour.jpg")
    assert output["status"] == "success", output
    report = stored_report(server, output)
    assert output["type"] == {"ai_generated": report["verdict"]["ai_generated"]} == {"ai_generated": 0.99}
    assert output["request"]["operations"] == 1
    assert output["request"]["timestamp"] > 0
    assert output["media"] == {"id": f"med_{hashlib.sha256(data).hexdigest()}", "uri": f"{host}/harbour.jpg"}


def test_set_file_and_set_bytes_upload_the_image(server, tmp_path):
    path = tmp_path / "upload.png"
    path.write_bytes(ai_declared())
    from_file = check(server, "genai").set_file(str(path))
    from_bytes = check(server, "genai").set_bytes(ai_declared("JPEG"))
    for output in (from_file, from_bytes):
        assert output["status"] == "success", output
        assert output["type"]["ai_generated"] == stored_report(server, output)["verdict"]["ai_generated"]
    assert from_file["media"]["uri"] == "upload.png"


def test_no_score_is_an_honest_failure_that_costs_nothing(server):
    token = new_key(server, "--credits", "1")
    output = check(server, "genai", token=token).set_bytes(image())  # no evidence, and no pixel model here
    message = assert_failure(output, "api_error", 503)
    assert "no AI-generated probability" in message and "pixelproof models fetch" in message
    again = check(server, "genai", token=token).set_bytes(ai_declared())
    assert again["status"] == "success", "the failed request must not have spent the only credit"


def test_a_tiny_image_without_provenance_is_a_media_error_and_one_with_it_is_answered(server):
    token = new_key(server, "--credits", "1")
    output = check(server, "genai", token=token).set_bytes(image(size=(8, 8)))
    assert "too small to judge" in assert_failure(output, "media_error", 422)
    declared = check(server, "genai", token=token).set_bytes(ai_declared(size=(8, 8)))
    assert declared["status"] == "success" and declared["type"]["ai_generated"] == 0.99, declared


def test_deepfake_without_the_face_detector_is_an_honest_failure_that_costs_nothing(server):
    token = new_key(server, "--credits", "1")
    for models in (("deepfake",), ("genai", "deepfake")):
        output = check(server, *models, token=token).set_bytes(ai_declared())
        message = assert_failure(output, "api_error", 503)  # no models on this server
        assert "no deepfake score" in message and "pixelproof models fetch" in message
    assert check(server, "genai", token=token).set_bytes(ai_declared())["status"] == "success"


def test_deepfake_scores_the_faces_of_a_generated_picture(models_server):
    """StyleGAN faces from the development set, scored by the real faces analyzer when a
    trained head is installed; otherwise a clear failure naming the missing model."""
    [teaser] = data_images("stylegan")
    data = teaser.read_bytes()
    token = new_key(models_server, "--credits", "2")
    deepfake = check(models_server, "deepfake", token=token).set_bytes(data)
    if not HAS_FACE_HEAD:
        message = assert_failure(deepfake, "api_error", 501)
        assert "deepfake" in message and "no trained face model" in message
        both = check(models_server, "genai", "deepfake", token=token).set_bytes(data)
        assert_failure(both, "api_error", 501)  # one model it cannot answer fails the request
        with models_server.client(token) as c:  # both refunded
            assert c.get("/v2/billing/balance").json()["credits_remaining"] == 2
        return
    assert deepfake["status"] == "success", deepfake
    report = stored_report(models_server, deepfake)
    assert list(report["analyzers"]) == ["deepfake"]  # deepfake alone needs no other analyzer
    faces = report["analyzers"]["deepfake"]["evidence"]
    assert faces["faces_found"] >= 1  # a 147 px face
    assert deepfake["type"] == {"deepfake": faces["confidence"]} and deepfake["request"]["operations"] == 1
    both = check(models_server, "genai", "deepfake", token=token).set_bytes(data)
    assert both["status"] == "success", both
    report = stored_report(models_server, both)
    assert both["type"] == {
        "ai_generated": report["verdict"]["ai_generated"],
        "deepfake": report["analyzers"]["deepfake"]["evidence"]["confidence"],
    }
    assert both["request"]["operations"] == 2  # two models, one credit: one image


def test_a_picture_without_faces_keeps_its_genai_score_and_gets_nothing_found(models_server):
    """Each model is answered on its own: no face is "nothing found" (0), not an error that loses genai."""
    output = check(models_server, "genai", "deepfake").set_bytes(image("PNG", (320, 320)))
    if not HAS_FACE_HEAD:
        assert "no trained face model" in assert_failure(output, "api_error", 501)
        return
    assert output["status"] == "success", output
    report = stored_report(models_server, output)
    faces = report["analyzers"]["deepfake"]["evidence"]
    assert faces["faces_found"] == 0 and faces["confidence"] is None
    assert output["type"] == {"ai_generated": report["verdict"]["ai_generated"], "deepfake": 0.0}
    assert output["request"]["operations"] == 2


def test_unknown_or_missing_models_are_argument_errors(server):
    assert "nudity-2.1" in assert_failure(check(server, "nudity-2.1").set_bytes(image()), "argument_error", 400)
    assert "models" in assert_failure(check(server, "").set_bytes(image()), "argument_error", 400)


def test_bad_credentials_are_credentials_errors(server):
    key_id, _ = pair(server.token)
    wrong = SightengineClient(key_id, "not-the-secret-at-all-0123456789").check("genai")
    wrong.endpoint = f"{server.base_url}/1.0/"
    assert_failure(wrong.set_bytes(image()), "credentials_error", 401)
    response = httpx.post(f"{server.base_url}/1.0/check.json", data={"models": "genai"}, files={"media": image()})
    assert_failure(response.json(), "credentials_error", 401)
    for path in ("/1.0/check.json", "/1.0/feedback.json"):  # the key is checked before the arguments
        assert_failure(httpx.get(server.base_url + path).json(), "credentials_error", 401)


def test_exhausted_key_gets_a_usage_limit_failure_and_nothing_is_analyzed(server):
    token = new_key(server, "--credits", "1")
    assert check(server, "genai", token=token).set_bytes(ai_declared())["status"] == "success"
    message = assert_failure(check(server, "genai", token=token).set_bytes(ai_declared()), "usage_limit", 402)
    assert "keys credit" in message


def test_bad_media_and_urls_are_media_errors(server):
    assert_failure(check(server, "genai").set_bytes(b"%PDF-1.7 not an image"), "media_error", 415)
    assert_failure(check(server, "genai").set_url("http://10.1.2.3/x.jpg"), "media_error", 400)


def test_unknown_paths_answer_in_the_sightengine_shape(server):
    response = httpx.get(f"{server.base_url}/1.0/nope.json")
    assert_failure(response.json(), "request_error", 404)


def test_feedback_is_stored_by_hash_and_exported_for_eval(server, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    labelled = {"made.png": (ai_declared(), "ai"), "photo.png": (image(), "not-ai")}
    for name, (data, _) in labelled.items():
        (images / name).write_bytes(data)
    official = client(server)
    with image_host({"/made.png": labelled["made.png"][0]}) as host:
        by_url = official.feedback("genai", "ai", f"{host}/made.png")
    by_file = official.feedback("genai", "not-ai", str(images / "photo.png"))
    for output, name in ((by_url, "made.png"), (by_file, "photo.png")):
        assert output["status"] == "success", output
        assert output["media"]["id"] == f"med_{hashlib.sha256(labelled[name][0]).hexdigest()}"
    unheld = official.feedback("genai", "ai", str(_write(tmp_path / "elsewhere.png", image())))
    assert unheld["status"] == "success"
    assert_failure(official.feedback("genai", "maybe", str(images / "photo.png")), "argument_error", 400)
    assert_failure(official.feedback("nudity-2.1", "safe", str(images / "photo.png")), "argument_error", 400)

    out = tmp_path / "labels" / "feedback.csv"
    result = pixelproof_cli("feedback", "export", str(out), "--images", str(images), *server.store_args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    by_hash = {row["sha256"]: row for row in rows}
    assert {by_hash[hashlib.sha256(d).hexdigest()]["label"] for d, _ in labelled.values()} == {"ai", "human"}
    unmatched = by_hash[hashlib.sha256((tmp_path / "elsewhere.png").read_bytes()).hexdigest()]
    assert unmatched["path"] == unmatched["sha256"]  # kept, by hash, for when the file turns up

    matched_only = tmp_path / "labels" / "matched.csv"
    args = ("feedback", "export", str(matched_only), "--images", str(images), "--matched-only")
    assert pixelproof_cli(*args, *server.store_args).exit_code == 0
    items = read_labeled(matched_only)  # exactly what `pixelproof eval` reads
    assert {(item.path.resolve(), item.label) for item in items} == {
        ((images / "made.png").resolve(), 1),
        ((images / "photo.png").resolve(), 0),
    }


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
