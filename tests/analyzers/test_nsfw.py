"""The open_nsfw analyzer: Yahoo's preprocessing, scores on generated and real images, errors."""

import io

import numpy as np
import pytest
from PIL import Image

from pixelproof.analyzers.nsfw import MEAN_BGR, THRESHOLD, NsfwAnalyzer, preprocess
from pixelproof.models import ARTIFACTS
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings
from training.locations import EXTRA_DIR



def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def _landscape(width: int, height: int, seed: int) -> np.ndarray:
    """Sky, hills and texture: an ordinary safe picture."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None, None]
    sky = np.array([90, 150, 230]) * (1 - y) + np.array([200, 220, 240]) * y
    hills = (np.sin(np.linspace(0, 6, width))[None, :, None] * 0.1 + 0.6) < y
    rgb = np.where(hills, np.array([60, 120, 50]), sky) + rng.normal(0, 6, (height, width, 3))
    return rgb.clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def analyzer(fetched_models) -> NsfwAnalyzer:
    return NsfwAnalyzer(fetched_models)


def test_preprocessing_is_yahoos_bgr_mean_subtracted_centre_crop():
    rgb = np.zeros((300, 400, 3), np.uint8)
    rgb[..., 0] = 200  # pure red: after BGR ordering it is the last channel
    tensor = preprocess(rgb)
    assert tensor.shape == (1, 224, 224, 3) and tensor.dtype == np.float32
    centre = tensor[0, 100:120, 100:120].mean(axis=(0, 1))
    np.testing.assert_allclose(centre, np.array([0, 0, 200]) - MEAN_BGR, atol=4)  # JPEG round trip: ±a few


def test_safe_generated_images_score_low_and_are_not_flagged(analyzer):
    for seed, size in enumerate([(640, 480), (300, 900), (1200, 800)]):
        score = analyzer.score(_landscape(*size, seed))
        assert 0.0 <= score < 0.2, (size, score)


def test_engine_reports_score_threshold_and_model_without_signals(fetched_models):
    section = Engine(fetched_models).analyze(_png(_landscape(500, 400, 7)), only=["nsfw"]).analyzers["nsfw"]
    assert section.status == "processed", section.reason
    evidence = section.evidence
    assert evidence["is_detected"] is False
    assert evidence["threshold"] == THRESHOLD == 0.8
    assert evidence["version"] == NsfwAnalyzer.version
    assert evidence["model_sha256"] == ARTIFACTS["open-nsfw"].sha256
    assert section.signals == []  # nudity is not evidence about AI generation


def test_missing_model_is_an_error_that_says_how_to_fetch(tmp_path):
    section = Engine(Settings(cache_dir=tmp_path)).analyze(_png(_landscape(300, 300, 1)), only=["nsfw"]).analyzers["nsfw"]
    assert section.status == "errored"
    assert "pixelproof models fetch" in section.reason


def _dev_image(group: str, name: str) -> np.ndarray:
    path = EXTRA_DIR / group / name
    if not path.exists():
        pytest.skip(f"{path} is absent (development data not fetched; see training/data/README.md)")
    return np.asarray(Image.open(path).convert("RGB"))


def test_real_portraits_are_safe(analyzer):
    folder = EXTRA_DIR / "faces-celebahq"
    paths = sorted(folder.glob("*"))[:8] if folder.exists() else []
    if not paths:
        pytest.skip(f"{folder} is absent (development data not fetched; see training/data/README.md)")
    scores = [analyzer.score(np.asarray(Image.open(p).convert("RGB"))) for p in paths]
    assert max(scores) < 0.2, scores


def test_a_suggestive_photo_scores_above_the_threshold(analyzer):
    # ImageNet's "miniskirt" sample (legs up on a sofa): the development data's highest score.
    score = analyzer.score(_dev_image("imagenet-sample", "n03770439_miniskirt.JPEG"))
    assert score >= THRESHOLD, score
