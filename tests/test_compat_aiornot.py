"""AIorNOT compatibility, proven with the official ``aiornot==0.1.1`` client and CLI, unchanged.

The client reads ``AIORNOT_BASE_URL`` once, when imported, so it runs in its own process with
that variable pointed at a real `pixelproof serve`; its own Pydantic response types parse
every answer there (a parse failure would fail the call).
"""

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from .compat_support import ai_declared, image, new_key, start_compat_server
from .conftest import create_token
from .test_c2pa import AI_IMAGE  # signed by "ChatGPT", created by "GPT-4o"
from .test_models import fetched_models  # noqa: F401  (the session-wide model cache)
from .test_watermark import BY_NAME, photo_like, png, sd_script

AIORNOT_CLI = Path(sys.executable).with_name("aiornot")

# Calls the official client's methods and prints what they returned (their own response types,
# dumped) or the HTTP error they raised.
DRIVER = """
import json, sys
import httpx
from aiornot import Client

client = Client()  # AIORNOT_API_KEY and AIORNOT_BASE_URL from the environment
results = []
for method, args, kwargs in json.loads(sys.argv[1]):
    try:
        value = getattr(client, method)(*args, **kwargs)
    except httpx.HTTPStatusError as exc:
        results.append({"status": exc.response.status_code, "body": exc.response.json()})
        continue
    if isinstance(value, bool):
        results.append({"value": value})
    else:
        is_ai = value.is_ai() if hasattr(value, "is_ai") else None
        results.append({"type": type(value).__name__, "value": value.model_dump(mode="json"), "is_ai": is_ai})
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def server(start_server, tmp_path_factory):
    return start_compat_server(start_server, tmp_path_factory)


def official_env(server, token: str | None, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIORNOT_")}
    return {**env, "AIORNOT_BASE_URL": server.base_url, "AIORNOT_API_KEY": token or server.token, "HOME": str(home)}


def official(server, tmp_path, *calls, token: str | None = None) -> list[dict]:
    """Run ``(method, args, kwargs)`` calls through the official client; one result per call."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(calls)],
        env=official_env(server, token, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def report_call(path: Path, **kwargs):
    return ("image_report_by_file_sync", [str(path)], kwargs)


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_official_client_parses_a_full_image_report(server, tmp_path):
    data = ai_declared()
    [result] = official(server, tmp_path, report_call(write(tmp_path, "made.png", data), external_id="case-42"))
    assert result["type"] == "ImageResp" and result["is_ai"] is True
    answer = result["value"]
    with server.client() as c:
        report = c.get(f"/v1/reports/{answer['id']}").raise_for_status().json()
    assert answer["external_id"] == report["external_id"] == "case-42"
    meta = answer["report"]["meta"]
    assert (meta["width"], meta["height"], meta["format"], meta["size_bytes"]) == (256, 256, "png", len(data))
    assert meta["md5"] == hashlib.md5(data).hexdigest()
    assert meta["processing_status"] == {
        "ai_generated": "processed",
        "deepfake": "rejected",  # no analyzer for these yet: said, never faked
        "nsfw": "rejected",
        "quality": "rejected",
        "reverse_search": None,
    }
    ai = answer["report"]["ai_generated"]
    assert ai["verdict"] == "ai"
    assert ai["ai"] == {"is_detected": True, "confidence": report["verdict"]["ai_generated"]}
    assert ai["human"] == {"is_detected": False, "confidence": 0.01}
    named = {k: v for k, v in ai["generator"].items() if v is not None}
    assert named == {"midjourney": 0.99}  # the family the metadata named, at the verdict's probability
    assert all(answer["report"][section] is None for section in ("deepfake", "nsfw", "quality", "reverse_search"))


def test_generator_fields_follow_the_deciding_evidence(server, tmp_path):
    signed = write(tmp_path, "signed.jpg", AI_IMAGE)
    marked = write(tmp_path, "marked.png", png(sd_script(photo_like(256), BY_NAME["sd-v1"].bits)))
    by_c2pa, by_watermark = official(server, tmp_path, report_call(signed), report_call(marked))

    def named(result):
        return {k: v for k, v in result["value"]["report"]["ai_generated"]["generator"].items() if v is not None}

    assert named(by_c2pa) == {"four_o": 0.99}  # OpenAI family, and the manifest names GPT-4o
    assert named(by_watermark) == {"stable_diffusion": 0.99}


def test_pixel_model_family_probabilities_fill_the_generator_fields(
    start_server,
    tmp_path_factory,
    fetched_models,  # noqa: F811
    tmp_path,
):
    store_args = ("--data-dir", str(tmp_path_factory.mktemp("pixels")))
    with_model = start_server(
        store_args, token=create_token(*store_args), env={"PIXELPROOF_CACHE_DIR": str(fetched_models.cache_dir)}
    )
    [result] = official(with_model, tmp_path, report_call(write(tmp_path, "plain.jpg", image("JPEG", (224, 224)))))
    answer = result["value"]["report"]
    with with_model.client() as c:
        verdict = c.get(f"/v1/reports/{result['value']['id']}").json()["verdict"]
    assert answer["meta"]["processing_status"]["ai_generated"] == "processed"
    assert answer["ai_generated"]["ai"]["confidence"] == verdict["ai_generated"]
    families = verdict["generator"]["probabilities"]
    fields = {k: v for k, v in answer["ai_generated"]["generator"].items() if v is not None}
    # A verdict of "human" names no generator, so no field may be filled; otherwise every
    # family probability lands in its AIorNOT field ("other" has none unless a product is named).
    expected = {
        "dall_e": "openai",
        "four_o": "openai",
        "nano_banana": "google",
        "stable_diffusion": "stable_diffusion",
        "flux": "flux",
        "this_person_does_not_exist": "gan",
    }
    assert fields == {field: families[family] for field, family in expected.items() if family in families}


def test_no_score_is_reported_as_errored_not_invented(server, tmp_path):
    [result] = official(server, tmp_path, report_call(write(tmp_path, "plain.png", image())))
    report = result["value"]["report"]
    assert report["meta"]["processing_status"]["ai_generated"] == "errored"  # the pixel model is missing here
    assert report["ai_generated"] is None and result["is_ai"] is False


def test_only_and_excluding_select_reports_and_the_cost(server, tmp_path):
    path = write(tmp_path, "made.png", ai_declared())

    def statuses(result):
        return {k: v for k, v in result["value"]["report"]["meta"]["processing_status"].items() if v}

    [subset] = official(server, tmp_path, report_call(path, excluding=["deepfake", "nsfw,quality"]))
    assert statuses(subset) == {"ai_generated": "processed"}
    broke = new_key(server, "--credits", "0")
    reverse, refused = official(
        server, tmp_path, report_call(path, only=["reverse_search"]), report_call(path), token=broke
    )
    assert statuses(reverse) == {"reverse_search": "rejected"}
    assert reverse["value"]["report"]["ai_generated"] is None  # not asked for, so not charged either
    assert (refused["status"], refused["body"]["code"]) == (402, "credits_exhausted")  # ai_generated costs one
    assert "keys credit" in refused["body"]["message"]


def test_token_check_liveness_and_balance(server, tmp_path):
    limited = new_key(server, "--credits", "3")
    [valid, live] = official(server, tmp_path, ("check_token", [], {}), ("is_live", [], {}), token=limited)
    [invalid] = official(server, tmp_path, ("check_token", [], {}), token="pp_000000000000_not-a-real-secret-at-all")
    assert valid["value"]["is_valid"] is True and invalid["value"]["is_valid"] is False
    assert live == {"value": True}
    with server.client(limited) as c:
        assert c.get("/v2/billing/balance").json() == {"credits_remaining": 3, "unlimited": False}
    with server.client() as c:
        assert c.get("/v2/billing/balance").json() == {"credits_remaining": None, "unlimited": True}


def test_bad_requests_in_the_aiornot_shape(server, tmp_path):
    bmp = io.BytesIO()
    Image.new("RGB", (64, 64)).save(bmp, "BMP")
    unknown_only, wrong_format, not_image = official(
        server,
        tmp_path,
        report_call(write(tmp_path, "a.png", image()), only=["faces"]),
        report_call(write(tmp_path, "b.bmp", bmp.getvalue())),
        report_call(write(tmp_path, "c.png", b"just text")),
    )
    assert (unknown_only["status"], unknown_only["body"]["code"]) == (400, "invalid_request")
    assert "faces" in unknown_only["body"]["message"]
    assert (wrong_format["status"], wrong_format["body"]["code"]) == (415, "unsupported_media_type")
    assert (not_image["status"], not_image["body"]["code"]) == (415, "unsupported_media_type")
    with server.client() as c:
        missing = c.post("/v2/image/sync", files={"picture": ("x.png", image())})
    assert missing.status_code == 400 and set(missing.json()) == {"message", "code"}


def test_official_cli_batch_scans_a_folder(server, tmp_path):
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    made, plain = ai_declared(), image("JPEG")
    write(folder, "made.png", made)
    write(folder / "nested", "plain.jpg", plain)
    write(folder, "broken.png", b"not an image at all")
    out = tmp_path / "scan.jsonl"
    done = subprocess.run(
        [str(AIORNOT_CLI), "image", "batch-scan", str(folder), "--output", str(out)],
        env=official_env(server, None, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 succeeded, 1 failed" in done.stdout
    records = {r["input"]["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(records) == {"made.png", "nested/plain.jpg", "broken.png"}
    assert records["made.png"]["response"]["report"]["ai_generated"]["verdict"] == "ai"
    assert records["made.png"]["response"]["report"]["meta"]["md5"] == hashlib.md5(made).hexdigest()
    plain_status = records["nested/plain.jpg"]["response"]["report"]["meta"]["processing_status"]
    assert plain_status["ai_generated"] == "errored"
    assert records["broken.png"]["ok"] is False and records["broken.png"]["error"]["status_code"] == 415
