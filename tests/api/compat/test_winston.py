"""Winston AI compatibility: ``POST /v2/image-detection`` on the API in this process, with
images fetched from a loopback host it was told to allow (``url_allow``). Nothing here needs a
real server: every check is of what the app answers, none of uvicorn's HTTP parsing."""

import io
import re

import httpx
import pytest
from PIL import ExifTags, Image

from pixelproof.analyzers.metadata import IptcFields
from pixelproof.api.compat.winston import WINSTON_EXIF

from tests.support.c2pa import AI_CREATED, c2pa_manifest, sign
from tests.support.compat import DST, MIDJOURNEY_XMP, ai_declared, image, image_host, new_key, start_compat_api
from tests.support.images import BY_NAME, photo_like, png, sd_script
from tests.support.shared import SHARED


def _signed_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (90, 140, 60)).save(buf, "JPEG", quality=90)
    return sign(c2pa_manifest("ChatGPT", AI_CREATED), buf.getvalue())


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(buf, "GIF")
    return buf.getvalue()


def _dated_jpeg() -> bytes:
    """Declared AI in its XMP, with the EXIF date the seed wants as ISO 8601."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2011:01:13 14:33:39"
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (30, 60, 90)).save(buf, "JPEG", exif=exif, xmp=MIDJOURNEY_XMP.encode())
    return buf.getvalue()


FILES = {
    "/declared.png": ai_declared(),
    "/signed.jpg": _signed_jpeg(),
    "/marked.png": png(sd_script(photo_like(256), BY_NAME["sd-v1"].bits)),
    "/plain.png": image(),
    "/small.png": ai_declared(size=(255, 300)),
    "/anim.gif": _gif(),
    "/dated.jpg": _dated_jpeg(),
}


@pytest.fixture(scope="module")
def host():
    with image_host(FILES) as base:
        yield base


@pytest.fixture(scope="module")
def api(start_in_process_api, tmp_path_factory):
    return start_compat_api(start_in_process_api, tmp_path_factory, max_upload_bytes=1024 * 1024)


@pytest.fixture(scope="module")
def models_api(start_in_process_api, tmp_path_factory, fetched_models):
    return start_compat_api(start_in_process_api, tmp_path_factory, models=fetched_models)


def detect(api, host: str, path: str, token: str | None = None, **body) -> httpx.Response:
    with api.client(token) as c:
        return c.post("/v2/image-detection", json={"url": f"{host}{path}", "version": "2", **body})


def newest_report(api) -> dict:
    """The report behind the last Winston answer (Winston's shape has no report id)."""
    with api.client() as c:
        [report] = c.get("/v1/reports", params={"limit": 1}).json()["reports"]
    return report


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "description"} and body["error"] == code
    return body["description"]


def test_declared_ai_image_in_winstons_shape(api, host):
    response = detect(api, host, "/declared.png")
    assert response.status_code == 200, response.text
    body = response.json()
    report = newest_report(api)
    assert report["media"]["sha256"]  # the answer was stored as a report
    assert (body["ai_probability"], body["human_probability"], body["score"]) == (0.99, 0.01, 1)
    assert body["ai_probability"] == report["verdict"]["ai_generated"]
    # no pixel model in this API: the version is that of the analyzer whose evidence decided
    decided_by = report["verdict"]["decided_by"]
    assert body["version"] == f"{decided_by}-{report['analyzers'][decided_by]['version']}"
    assert body["mime_type"] == "image/png"
    assert body["exif"] == {  # the seed's keys, only where the metadata has them
        "Creator": "A. Painter",
        "CreditLine": "Example Press",
        "DigitalSourceType": f"{DST}trainedAlgorithmicMedia",
        "keywords": ["harbour", "dusk"],
        "Title": "Harbour at dusk",
    }
    assert body["c2pa"] is None
    assert (body["ai_watermark_detected"], body["ai_watermark_issuers"]) == (False, {})  # the seed: an object
    assert (body["credits_used"], body["credits_remaining"]) == (300, None)  # an unlimited key


def test_version_is_the_pixel_models_head_when_it_scored_the_image(models_api, host):
    body = detect(models_api, host, "/plain.png").json()
    pixels = newest_report(models_api)["analyzers"]["pixels"]["evidence"]
    assert body["version"] == pixels["models"]["head"] and body["ai_probability"] == pixels["ai_probability"]


def test_every_field_has_the_seeds_type(api, host):
    """The seed's response: score an integer, probabilities numbers, version and mime_type text,
    c2pa, exif and ai_watermark_issuers objects, ai_watermark_detected a boolean."""
    body = detect(api, host, "/marked.png").json()
    seed = {"score": int, "human_probability": float, "ai_probability": float, "version": str, "mime_type": str}
    seed |= {"exif": dict, "ai_watermark_detected": bool, "ai_watermark_issuers": dict, "credits_used": int}
    assert {name: type(body[name]) for name in seed} == seed
    assert set(body) == set(seed) | {"c2pa", "credits_remaining"}


def test_exif_dates_are_iso_8601(api, host):
    body = detect(api, host, "/dated.jpg").json()
    evidence = newest_report(api)["analyzers"]["metadata"]["evidence"]
    assert evidence["iptc"]["date_created"] == "2011:01:13 14:33:39"  # the native report keeps EXIF's text
    assert body["exif"]["DateCreated"] == "2011-01-13T14:33:39"


def test_an_upload_is_told_to_send_json_with_a_url(api):
    with api.client() as c:
        response = c.post("/v2/image-detection", files={"file": ("photo.png", image())}, data={"version": "2"})
    description = assert_error(response, 400, "invalid_request")
    assert "JSON" in description and '"url"' in description and "no upload" in description
    assert "dictionary" not in description


def test_c2pa_manifests_in_winstons_fields(api, host):
    body = detect(api, host, "/signed.jpg").json()
    assert body["ai_probability"] == 0.99
    c2pa = body["c2pa"]
    [(label, manifest)] = c2pa["manifests"].items()
    assert c2pa["active_manifest"] == manifest
    assert manifest["claim_generator"] == "ChatGPT/1.0"
    assert manifest["alg"].lower() == "es256"
    assert manifest["assertions"]["c2pa.actions"]["actions"] == [
        {"action": "c2pa.created", "softwareAgent": "GPT-4o", "digitalSourceType": f"{DST}trainedAlgorithmicMedia"}
    ]
    assert set(manifest) <= {"claim_generator", "title", "ingredients", "assertions", "alg"}
    evidence = newest_report(api)["analyzers"]["c2pa"]["evidence"]
    assert evidence["active_manifest"] == label


def test_invisible_watermark_fields(api, host):
    body = detect(api, host, "/marked.png").json()
    assert body["ai_watermark_detected"] is True
    assert body["ai_watermark_issuers"] == {BY_NAME["sd-v1"].issuer: True}
    assert body["ai_probability"] == 0.99


def test_credits_count_down_in_winston_units_then_402(api, host):
    token = new_key(api, "--credits", "2")
    assert detect(api, host, "/declared.png", token).json()["credits_remaining"] == 300
    assert detect(api, host, "/declared.png", token).json()["credits_remaining"] == 0
    assert "keys credit" in assert_error(detect(api, host, "/declared.png", token), 402, "credits_exhausted")


def test_no_score_is_a_503_that_costs_nothing(api, host):
    token = new_key(api, "--credits", "1")
    assert "pixelproof models fetch" in assert_error(detect(api, host, "/plain.png", token), 503, "no_score")
    assert detect(api, host, "/declared.png", token).json()["credits_remaining"] == 0


@pytest.mark.parametrize(
    ("path", "body", "code", "says"),
    [
        ("/small.png", {}, "too_small", "256"),
        ("/anim.gif", {}, "unsupported_media_type", "jpeg, png, webp"),
        ("/missing.png", {}, "url_fetch_failed", "404"),
        ("/declared.png", {"version": "3"}, "invalid_request", "version"),
    ],
)
def test_unusable_requests_are_400(api, host, path, body, code, says):
    assert says in assert_error(detect(api, host, path, **body), 400, code)


def test_private_urls_outside_the_allow_list_are_refused(api):
    with api.client() as c:
        response = c.post("/v2/image-detection", json={"url": "http://10.0.0.7/photo.jpg"})
    assert_error(response, 400, "url_refused")
    with api.client() as c:
        assert_error(c.post("/v2/image-detection", json={"version": "2"}), 400, "invalid_request")


def test_numeric_version_is_accepted(api, host):
    assert detect(api, host, "/declared.png", version=1).status_code == 200


def test_auth_and_body_size_errors_in_winstons_shape(api, host):
    with api.client("pp_000000000000_not-a-real-secret-at-all") as c:
        assert_error(c.post("/v2/image-detection", json={"url": f"{host}/declared.png"}), 401, "unauthorized")
    with api.client() as c:
        response = c.post("/v2/image-detection", json={"url": "http://x/" + "a" * (1024 * 1024 + 70_000)})
    assert_error(response, 413, "too_large")


def test_winston_field_set_is_complete():
    assert [field for _, field in WINSTON_EXIF] == list(IptcFields.model_fields)
    for winston, field in WINSTON_EXIF:
        assert winston.lower() == field.replace("_", "").lower(), winston
    doc = SHARED / "seeds" / "003_4ae0cb415729b57d.txt"
    if not doc.exists():
        pytest.skip(f"{doc} is absent: the field set is checked against our own table only")
    block = doc.read_text().split('"exif": {', 1)[1].split('"ai_watermark_detected"', 1)[0]
    assert [winston for winston, _ in WINSTON_EXIF] == re.findall(r'^"(\w+)":', block, re.MULTILINE)
