"""The pixel detector end to end: real decoding, the real CLIP model, the shipped head."""

import io

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixelproof.analyzers.pixels import PixelEvidence
from pixelproof.analyzers.pixels_head import load_head
from pixelproof.cli import app
from pixelproof.models import ARTIFACTS
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from .test_models import fetched_models  # noqa: F401  (the session-wide model cache)


def _scene(width: int, height: int, seed: int) -> Image.Image:
    """A smooth, noisy, photo-like picture (sky gradient, blobs, sensor noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    img = np.stack([0.3 + 0.5 * y, 0.5 + 0.3 * y, 0.9 - 0.2 * y], axis=-1)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r**2)[..., None]
        img = img * (1 - blob) + rng.uniform(0, 1, 3) * blob
    img = img * 255 + rng.normal(0, 4, img.shape)
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


def _encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def engine(fetched_models) -> Engine:  # noqa: F811
    return Engine(fetched_models)


def test_score_is_deterministic_for_a_fixed_image(engine, fetched_models):  # noqa: F811
    data = _encode(_scene(320, 240, seed=1), "PNG")
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
    report = engine.analyze(_encode(_scene(*size, seed=size[0]), fmt, **options))
    section = report.analyzers["pixels"]
    assert section.status == "processed", section.reason
    evidence = report.evidence("pixels", PixelEvidence)
    low, high = evidence.uncertain_band
    p = evidence.ai_probability
    assert 0.0 <= low <= high <= 1.0 and 0.0 <= p <= 1.0
    assert evidence.label == ("ai" if p >= high else "human" if p < low else "uncertain")
    assert report.verdict.ai_generated == p and report.verdict.decided_by == "pixels"
    assert report.verdict.label == evidence.label
    assert sum(evidence.generator.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert evidence.models.backbone_sha256 == ARTIFACTS["clip-vit-b16-int8"].sha256
    [signal] = section.signals
    assert signal.kind == "pixels" and signal.ai_probability == p and signal.source == "pixels"


def test_heatmap_covers_the_image(fetched_models):  # noqa: F811
    engine = Engine(fetched_models.model_copy(update={"heatmap": True}))
    report = engine.analyze(_encode(_scene(700, 300, seed=3), "PNG"), only=["pixels"])
    heatmap = report.evidence("pixels", PixelEvidence).heatmap
    assert heatmap is not None and (heatmap.rows, heatmap.cols) == (2, 4)
    assert all(0.0 <= cell.score <= 1.0 for cell in heatmap.cells)
    right = max(c.box[0] + c.box[2] for c in heatmap.cells)
    bottom = max(c.box[1] + c.box[3] for c in heatmap.cells)
    assert (right, bottom) == (700, 300)
    plain = Engine(fetched_models).analyze(_encode(_scene(700, 300, seed=3), "PNG"), only=["pixels"])
    assert plain.evidence("pixels", PixelEvidence).heatmap is None


def test_missing_model_errors_the_section_but_not_the_report(tmp_path):
    report = Engine(Settings(cache_dir=tmp_path)).analyze(_encode(_scene(64, 64, seed=4), "PNG"))
    section = report.analyzers["pixels"]
    assert section.status == "errored"
    assert "pixelproof models fetch" in section.reason
    assert report.verdict.ai_generated is None and report.verdict.label == "uncertain"


def test_shipped_head_matches_the_pinned_backbone():
    head, sha256 = load_head()
    assert head.info["backbone_sha256"] == ARTIFACTS["clip-vit-b16-int8"].sha256
    low, high = head.band
    assert 0.0 < low <= high < 1.0
    assert np.all(np.diff(head.calibration_x) > 0) and np.all(np.diff(head.calibration_y) >= 0)
    assert len(sha256) == 64


def test_eval_command_on_a_generated_labelled_folder(tmp_path, fetched_models, monkeypatch):  # noqa: F811
    for i in range(3):
        for label in ("ai", "real"):
            folder = tmp_path / "set" / label / ("grp" if i else "")
            folder.mkdir(parents=True, exist_ok=True)
            _scene(160 + 16 * i, 128, seed=10 * i + (label == "ai")).save(folder / f"{i}.png")
    monkeypatch.setenv("PIXELPROOF_CACHE_DIR", str(fetched_models.cache_dir))
    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "set"), "--json", str(out), "--score", "pixels"])
    assert result.exit_code == 0, result.output
    assert "as-is" in result.output and "degraded" in result.output
    import json

    metrics = json.loads(out.read_text())["variants"]
    assert set(metrics) == {"as-is", "stripped", "degraded"}
    assert all(m["n_ai"] == 3 and m["n_real"] == 3 and m["unscored"] == 0 for m in metrics.values())
    assert 0.0 <= metrics["stripped"]["auc"] <= 1.0


def test_eval_command_refuses_an_unlabelled_folder(tmp_path):
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2
    assert "ai/ and real/" in result.output
