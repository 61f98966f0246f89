"""The pixel detector end to end: real decoding, the real CLIP model, the shipped head."""

import json

import numpy as np
import pytest

from pixelproof.analyzers.pixels import PixelAnalyzer
from pixelproof.analyzers.pixels_head import load_head
from pixelproof.models import ARTIFACTS
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.cli import create_token, pixelproof_cli
from tests.support.images import encode, scene


@pytest.fixture(scope="module")
def engine(fetched_models) -> Engine:
    return Engine(fetched_models)


def test_score_is_deterministic_for_a_fixed_image(engine, fetched_models):
    data = encode(scene(320, 240, seed=1), "PNG")
    first = engine.analyze(data, only=["pixels"]).analyzers["pixels"]
    again = engine.analyze(data, only=["pixels"]).analyzers["pixels"]
    fresh = Engine(fetched_models).analyze(data, only=["pixels"]).analyzers["pixels"]  # a new session
    assert first.status == "processed", first.reason
    assert first.evidence["raw_score"] == again.evidence["raw_score"] == fresh.evidence["raw_score"]
    assert first.evidence["ai_probability"] == fresh.evidence["ai_probability"]


@pytest.mark.parametrize(
    ("fmt", "size", "options"),
    [("JPEG", (640, 480), {"quality": 88}), ("PNG", (200, 300), {}), ("WEBP", (96, 64), {"quality": 80})],
)
def test_pipeline_scores_small_images_end_to_end(engine, fmt, size, options):
    report = engine.analyze(encode(scene(*size, seed=size[0]), fmt, **options))
    section = report.analyzers["pixels"]
    assert section.status == "processed", section.reason
    evidence = report.evidence(PixelAnalyzer)
    low, high = evidence.uncertain_band
    p = evidence.ai_probability
    assert 0.0 <= low <= high <= 1.0 and 0.0 <= p <= 1.0
    assert evidence.label == ("ai" if p >= high else "human" if p < low else "uncertain")
    assert report.verdict.ai_generated == p and report.verdict.decided_by == "pixels"
    v_low, v_high = report.verdict.uncertain_band  # the model's band, maybe widened for input quality
    assert v_low <= round(low, 4) <= round(high, 4) <= v_high
    assert report.verdict.label == ("ai" if p >= v_high else "human" if p < v_low else "uncertain")
    assert sum(evidence.generator.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert evidence.models.backbone_sha256 == ARTIFACTS["clip-vit-b16-float"].sha256
    [signal] = section.signals
    assert signal.kind == "pixels" and signal.ai_probability == p and signal.source == "pixels"


def test_heatmap_covers_the_image(engine):
    report = engine.analyze(encode(scene(700, 300, seed=3), "PNG"), only=["pixels"], heatmap=True)
    heatmap = report.evidence(PixelAnalyzer).heatmap
    assert heatmap is not None and (heatmap.rows, heatmap.cols) == (2, 4)
    assert all(0.0 <= cell.score <= 1.0 for cell in heatmap.cells)
    right = max(c.box[0] + c.box[2] for c in heatmap.cells)
    bottom = max(c.box[1] + c.box[3] for c in heatmap.cells)
    assert (right, bottom) == (700, 300)


def test_heatmap_follows_the_request_then_the_server_setting(engine, fetched_models):
    data = encode(scene(300, 300, seed=5), "PNG")
    heatmap_on = Engine(fetched_models.model_copy(update={"heatmap": True}))
    assert engine.analyze(data, only=["pixels"]).evidence(PixelAnalyzer).heatmap is None
    assert heatmap_on.analyze(data, only=["pixels"]).evidence(PixelAnalyzer).heatmap is not None
    assert heatmap_on.analyze(data, only=["pixels"], heatmap=False).evidence(PixelAnalyzer).heatmap is None
    # analyzers that take no per-request option simply do not get it
    assert engine.analyze(data, only=["quality"], heatmap=True).analyzers["quality"].status == "processed"


def test_scan_heatmap_flag_adds_region_scores(tmp_path, fetched_models, monkeypatch):
    monkeypatch.setenv("PIXELPROOF_CACHE_DIR", str(fetched_models.cache_dir))
    (tmp_path / "scene.png").write_bytes(encode(scene(300, 300, seed=6), "PNG"))
    args = ["scan", str(tmp_path), "--full", "--only", "pixels", "--workers", "1"]
    plain = pixelproof_cli(*args)
    mapped = pixelproof_cli(*args, "--heatmap")
    assert plain.exit_code == 0 and mapped.exit_code == 0, plain.output + mapped.output
    assert json.loads(plain.stdout)["analyzers"]["pixels"]["evidence"]["heatmap"] is None
    assert json.loads(mapped.stdout)["analyzers"]["pixels"]["evidence"]["heatmap"]["cells"]


def test_missing_model_errors_the_section_but_not_the_report(tmp_path):
    report = Engine(Settings(cache_dir=tmp_path)).analyze(encode(scene(64, 64, seed=4), "PNG"))
    section = report.analyzers["pixels"]
    assert section.status == "errored"
    assert "pixelproof models fetch" in section.reason
    assert report.verdict.ai_generated is None and report.verdict.label == "uncertain"


def test_shipped_head_matches_the_pinned_backbone():
    head, sha256 = load_head()
    assert head.info["backbone_sha256"] == ARTIFACTS["clip-vit-b16-float"].sha256
    low, high = head.band
    assert 0.0 < low <= high < 1.0
    assert np.all(np.diff(head.calibration_x) > 0) and np.all(np.diff(head.calibration_y) >= 0)
    assert len(sha256) == 64


def test_eval_command_on_a_generated_labelled_folder(tmp_path, fetched_models, monkeypatch):
    for i in range(3):
        for label in ("ai", "real"):
            folder = tmp_path / "set" / label / ("grp" if i else "")
            folder.mkdir(parents=True, exist_ok=True)
            scene(160 + 16 * i, 128, seed=10 * i + (label == "ai")).save(folder / f"{i}.png")
    monkeypatch.setenv("PIXELPROOF_CACHE_DIR", str(fetched_models.cache_dir))
    out = tmp_path / "metrics.json"
    result = pixelproof_cli("eval", str(tmp_path / "set"), "--json", str(out), "--score", "pixels")
    assert result.exit_code == 0, result.output
    assert "as-is" in result.output and "degraded" in result.output
    import json

    metrics = json.loads(out.read_text())["variants"]
    assert set(metrics) == {"as-is", "stripped", "degraded"}
    assert all(m["n_ai"] == 3 and m["n_real"] == 3 and m["unscored"] == 0 for m in metrics.values())
    assert 0.0 <= metrics["stripped"]["auc"] <= 1.0


def test_eval_command_refuses_an_unlabelled_folder(tmp_path):
    result = pixelproof_cli("eval", str(tmp_path))
    assert result.exit_code == 2
    assert "ai/ and real/" in result.output


def test_http_heatmap_on_request(start_server, tmp_path, fetched_models):
    store_args = ("--data-dir", str(tmp_path / "data"))
    server = start_server(store_args, token=create_token(*store_args), env={"PIXELPROOF_CACHE_DIR": str(fetched_models.cache_dir)})
    image = {"image": ("scene.png", encode(scene(300, 300, seed=7), "PNG"), "image/png")}
    with server.client() as client:
        as_form = client.post("/v1/analyze", params={"only": "pixels"}, files=image, data={"heatmap": "true"})
        as_query = client.post("/v1/analyze", params={"only": "pixels", "heatmap": "true"}, files=image)
        plain = client.post("/v1/analyze", params={"only": "pixels"}, files=image)
        wrong = client.post("/v1/analyze", files=image, data={"heatmap": "sometimes"})
    for response in (as_form, as_query):
        assert response.status_code == 200, response.text
        assert response.json()["analyzers"]["pixels"]["evidence"]["heatmap"]["cells"]
    assert plain.json()["analyzers"]["pixels"]["evidence"]["heatmap"] is None
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_request"
