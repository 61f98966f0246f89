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

from PIL import Image

from pixelproof.analyzers.deepfake import HEAD_PATH
from pixelproof.api.compat.aiornot import REPORTS, SECTIONS
from pixelproof.index.edits import cropped

from tests.support.c2pa import AI_IMAGE
from tests.support.cli import pixelproof_cli
from tests.support.compat import ai_declared, image, new_key
from tests.support.images import BY_NAME, encode, photo_like, png, scene, sd_script
from tests.support.shared import data_images

AIORNOT_CLI = Path(sys.executable).with_name("aiornot")
HAS_FACE_HEAD = HEAD_PATH.exists()  # the faces analyzer judges faces only with a trained head

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


def official_env(server, token: str | None, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIORNOT_")}
    official = {"AIORNOT_BASE_URL": server.base_url, "AIORNOT_API_KEY": token or server.token, "HOME": str(home)}
    return {**env, **official, "COLUMNS": "200"}  # wide: its output must not wrap a line a test reads


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


def statuses(result) -> dict[str, str]:
    return {k: v for k, v in result["value"]["report"]["meta"]["processing_status"].items() if v}


def stored(server, result) -> dict:
    with server.client() as c:
        return c.get(f"/v1/reports/{result['value']['id']}").raise_for_status().json()


def test_official_client_parses_a_full_image_report(server, tmp_path):
    data = ai_declared()
    [result] = official(server, tmp_path, report_call(write(tmp_path, "made.png", data), external_id="case-42"))
    assert result["type"] == "ImageResp" and result["is_ai"] is True
    answer, report = result["value"], stored(server, result)
    assert answer["external_id"] == report["external_id"] == "case-42"
    meta = answer["report"]["meta"]
    assert (meta["width"], meta["height"], meta["format"], meta["size_bytes"]) == (256, 256, "png", len(data))
    assert meta["md5"] == hashlib.md5(data).hexdigest()
    assert meta["processing_status"] == {
        "ai_generated": "processed",  # decided by the file's declaration
        "deepfake": "errored",  # no models on this server: said, never faked
        "nsfw": "errored",
        "quality": "processed",  # needs no model
        "reverse_search": None,  # not a default report
    }
    assert "pixelproof models fetch" in report["analyzers"]["nsfw"]["reason"]
    ai = answer["report"]["ai_generated"]
    assert ai["verdict"] == "ai"
    assert ai["ai"] == {"is_detected": True, "confidence": report["verdict"]["ai_generated"]}
    assert ai["human"] == {"is_detected": False, "confidence": 0.01}
    named = {k: v for k, v in ai["generator"].items() if v is not None}
    assert named == {"midjourney": 0.99}  # the family the metadata named, at the verdict's probability
    quality = report["analyzers"]["quality"]["evidence"]
    assert answer["report"]["quality"] == {
        "is_detected": not quality["usable"],
        "score": quality["score"],
        "issues": quality["issues"],
    }
    assert all(answer["report"][section] is None for section in ("deepfake", "nsfw", "reverse_search"))


def test_quality_is_detected_flags_a_picture_too_poor_to_judge(server, tmp_path):
    """As in the seed's other sections, ``is_detected`` flags what the report looks for: a problem."""
    picture = scene(640, 480, seed=0)
    calls = [
        report_call(write(tmp_path, "sharp.png", encode(picture, "PNG")), only=["quality"]),
        report_call(write(tmp_path, "crushed.jpg", encode(picture, "JPEG", quality=25)), only=["quality"]),
    ]
    good, poor = official(server, tmp_path, *calls)
    for result, flagged in ((good, False), (poor, True)):
        evidence = stored(server, result)["analyzers"]["quality"]["evidence"]
        assert evidence["usable"] is not flagged, evidence
        assert result["value"]["report"]["quality"]["is_detected"] is flagged
    assert result["value"]["report"]["quality"]["issues"]  # the poor one says why


def test_generator_fields_follow_the_deciding_evidence(server, tmp_path):
    signed = write(tmp_path, "signed.jpg", AI_IMAGE)
    marked = write(tmp_path, "marked.png", png(sd_script(photo_like(256), BY_NAME["sd-v1"].bits)))
    by_c2pa, by_watermark = official(server, tmp_path, report_call(signed), report_call(marked))

    def named(result):
        return {k: v for k, v in result["value"]["report"]["ai_generated"]["generator"].items() if v is not None}

    assert named(by_c2pa) == {"four_o": 0.99}  # OpenAI family, and the manifest names GPT-4o
    assert named(by_watermark) == {"stable_diffusion": 0.99}


def test_pixel_model_family_probabilities_fill_the_generator_fields(models_server, tmp_path):
    [result] = official(models_server, tmp_path, report_call(write(tmp_path, "plain.jpg", image("JPEG", (224, 224)))))
    answer, verdict = result["value"]["report"], stored(models_server, result)["verdict"]
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


def test_sections_translate_the_analyzers_on_a_generated_face(models_server, fetched_models, tmp_path, monkeypatch):
    """StyleGAN faces from the development set, indexed first with a crop of them: every section
    runs for real, and only the copy (not the similar crop) becomes an AIorNOT match."""
    [teaser] = data_images("stylegan")
    path = write(tmp_path, "faces.png", teaser.read_bytes())
    crop = write(tmp_path, "crop.jpg", cropped(0.9)(Image.open(teaser)))
    monkeypatch.setenv("PIXELPROOF_CACHE_DIR", str(fetched_models.cache_dir))  # `index add` embeds with CLIP
    added = pixelproof_cli("index", "add", str(path), str(crop), *models_server.store_args)
    assert added.exit_code == 0, added.output
    [result] = official(models_server, tmp_path, report_call(path, only=list(REPORTS)))
    answer, report = result["value"]["report"], stored(models_server, result)
    evidence = {name: section["evidence"] for name, section in report["analyzers"].items()}

    faces = evidence["deepfake"]
    if HAS_FACE_HEAD:
        judged = [roi for roi in faces["rois"] if roi["confidence"] is not None]
        assert faces["faces_found"] >= 1 and judged  # a 147 px face: large enough for the head
        assert answer["deepfake"] == {
            "is_detected": faces["is_detected"],
            "confidence": faces["confidence"],
            "rois": [{k: roi[k] for k in ("is_detected", "confidence", "bbox")} for roi in judged],
        }
        assert faces["confidence"] == max(roi["confidence"] for roi in judged)
    else:  # declined, with the reason in the native report: no section, never a made-up score
        assert faces is None and "no trained face model" in report["analyzers"]["deepfake"]["reason"]
        assert answer["deepfake"] is None
    assert answer["meta"]["processing_status"] == {
        "ai_generated": "processed",
        "deepfake": "processed" if HAS_FACE_HEAD else "rejected",
        "nsfw": "processed",
        "quality": "processed",
        "reverse_search": "processed",
    }
    assert answer["nsfw"] == {
        "is_detected": evidence["nsfw"]["is_detected"],
        "score": evidence["nsfw"]["score"],
        "version": evidence["nsfw"]["version"],
    }
    assert answer["nsfw"]["is_detected"] is False  # portraits, no nudity
    assert answer["quality"] == {
        "is_detected": not evidence["quality"]["usable"],  # a quality problem found, as nsfw flags nudity
        "score": evidence["quality"]["score"],
        "issues": evidence["quality"]["issues"],
    }
    [match, similar] = evidence["reverse_search"]["matches"]
    assert (match["kind"], similar["kind"], similar["source"]) == ("copy", "similar", str(crop.resolve()))
    assert answer["reverse_search"] == {
        "was_found": True,
        "matches": [
            {
                "domain": "",
                "image_url": path.as_uri(),
                "width": 512,
                "height": 512,
                "earliest_crawl_date": match["first_seen"][:10],
                "earliest_backlink": None,  # the client's default: we have none
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "distance": 0.0,
            }
        ],
    }


def test_a_picture_without_a_face_gets_the_nothing_found_deepfake_section(models_server, tmp_path):
    path = write(tmp_path, "grain.png", png(photo_like(384, seed=5)))
    [result] = official(models_server, tmp_path, report_call(path, only=["deepfake"]))
    section = stored(models_server, result)["analyzers"]["deepfake"]
    if not HAS_FACE_HEAD:
        assert section["status"] == "rejected" and "no trained face model" in section["reason"]
        assert statuses(result) == {"deepfake": "rejected"} and result["value"]["report"]["deepfake"] is None
        return
    assert section["status"] == "processed" and section["evidence"]["faces_found"] == 0
    assert statuses(result) == {"deepfake": "processed"}
    assert result["value"]["report"]["deepfake"] == {"is_detected": False, "confidence": 0.0, "rois": []}


def test_no_score_is_reported_as_errored_not_invented(server, tmp_path):
    [result] = official(server, tmp_path, report_call(write(tmp_path, "plain.png", image())))
    report = result["value"]["report"]
    assert report["meta"]["processing_status"]["ai_generated"] == "errored"  # the pixel model is missing here
    assert report["ai_generated"] is None and result["is_ai"] is False


def test_only_and_excluding_select_reports_analyzers_and_the_cost(server, tmp_path):
    path = write(tmp_path, "made.png", ai_declared())
    subset, reverse = official(
        server,
        tmp_path,
        report_call(path, excluding=["deepfake", "nsfw,quality"]),
        report_call(path, only=["reverse_search"]),
    )
    assert statuses(subset) == {"ai_generated": "processed"}
    assert not set(SECTIONS) & set(stored(server, subset)["analyzers"])  # the left-out sections did not run
    assert statuses(reverse) == {"reverse_search": "rejected"}  # this server has no index, and says so
    assert reverse["value"]["report"]["ai_generated"] is None and reverse["value"]["report"]["reverse_search"] is None
    [(name, section)] = stored(server, reverse)["analyzers"].items()  # nothing else ran
    assert name == "reverse_search" and "pixelproof index add" in section["reason"]

    # One credit per analyzed image, whatever its reports; none when no report is left.
    one = new_key(server, "--credits", "1")
    spent, nothing, refused = official(
        server,
        tmp_path,
        report_call(path, only=["nsfw"]),
        report_call(path, excluding=["ai_generated,deepfake,nsfw,quality"]),
        report_call(path, only=["quality"]),
        token=one,
    )
    assert statuses(spent) == {"nsfw": "errored"}  # no model on this server
    assert statuses(nothing) == {} and stored(server, nothing)["analyzers"] == {}
    assert (refused["status"], refused["body"]["code"]) == (402, "credits_exhausted")
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
