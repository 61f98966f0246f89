"""The quality analyzer: each measure on generated images, degraded real images, and fusion.

Generated scenes check each measure against a known cause (a JPEG saved at a known quality,
a blur, a size, added noise of known deviation, clipping); real images of the development
data check that their degraded copies get the issue a moderator would expect; and the
pipeline checks that a poor input really widens the pixel model's uncertain band.
"""

import csv
import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from pixelproof.evidence import Signal
from pixelproof.analyzers.quality import MAX_WIDEN, QualityAnalyzer, QualityEvidence, jpeg_quality
from pixelproof.fusion import fuse
from pixelproof.media import decode
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings
from training.locations import EXTRA_DIR

from tests.support.shared import SHARED

SETTINGS = Settings(max_upload_bytes=50 * 1024 * 1024)
ANALYZER = QualityAnalyzer(SETTINGS)


def scene(width: int = 512, height: int = 384, seed: int = 0) -> Image.Image:
    """A sharp, well-exposed picture: a gradient, 40 crisp shapes and faint sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    image = Image.fromarray(np.stack([60 + 120 * y, 90 + 80 * x, 160 - 60 * y], axis=-1).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        left, top = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = (left, top, left + int(rng.integers(10, width // 4)), top + int(rng.integers(10, height // 4)))
        colour = tuple(int(c) for c in rng.integers(30, 225, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, 1.5, (height, width, 3))
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def analyze(data: bytes) -> QualityEvidence:
    return ANALYZER.analyze(decode(data, SETTINGS))


def with_noise(image: Image.Image, sigma: float, seed: int = 1) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32)
    noisy = pixels + np.random.default_rng(seed).normal(0, sigma, pixels.shape)
    return Image.fromarray(noisy.clip(0, 255).round().astype(np.uint8))


# Generated images, one measure at a time


def test_a_sharp_well_exposed_scene_has_no_issues():
    evidence = analyze(encode(scene()))
    assert evidence.issues == [] and evidence.usable
    assert evidence.score == 1.0 and evidence.widen_band == 0.0
    assert evidence.jpeg_quality is None and evidence.jpeg_tables is None
    assert evidence.shorter_side == 384 and evidence.megapixels == pytest.approx(0.197, abs=1e-3)
    signal = evidence.signals()[0]
    assert (signal.kind, signal.points_to, signal.strength, signal.widen_band) == ("quality", None, "weak", 0.0)


@pytest.mark.parametrize("quality", [10, 20, 30, 45, 60, 75, 85, 95, 100])
def test_jpeg_quality_round_trips(quality):
    pillow = analyze(encode(scene(), "JPEG", quality=quality))
    assert (pillow.jpeg_quality, pillow.jpeg_tables) == (quality, "ijg")  # Pillow writes libjpeg's tables
    ok, opencv = cv2.imencode(".jpg", np.asarray(scene())[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    assert abs(analyze(opencv.tobytes()).jpeg_quality - quality) <= 5  # another libjpeg build, same scaling


def test_custom_tables_get_the_nearest_ijg_quality():
    """Cameras and editors use tables of their own: the estimate is the nearest IJG quality."""
    reference = Image.open(io.BytesIO(encode(scene(), "JPEG", quality=70))).quantization
    rng = np.random.default_rng(3)
    custom = [[max(1, v + int(rng.integers(-2, 3))) for v in reference[i]] for i in sorted(reference)]
    evidence = analyze(encode(scene(), "JPEG", qtables=custom))
    assert evidence.jpeg_tables == "custom"
    assert abs(evidence.jpeg_quality - 70) <= 5


def test_grey_jpeg_has_a_quality_and_a_png_has_none():
    assert analyze(encode(scene().convert("L"), "JPEG", quality=40)).jpeg_quality == 40
    assert jpeg_quality(Image.open(io.BytesIO(encode(scene())))) == (None, None)


def test_heavy_compression_is_an_issue_and_light_compression_is_not():
    heavy = analyze(encode(scene(), "JPEG", quality=25))
    light = analyze(encode(scene(), "JPEG", quality=90))
    assert "heavily_compressed" in heavy.issues and not heavy.usable
    assert "heavily_compressed" not in light.issues
    assert heavy.widen_band > light.widen_band


def test_a_blurred_copy_is_flagged_and_worse_the_more_it_is_blurred():
    sharp, soft, blurred = (analyze(encode(scene().filter(ImageFilter.GaussianBlur(r)))) for r in (0, 1.5, 4))
    assert "blurry" not in sharp.issues
    assert "blurry" in soft.issues and "blurry" in blurred.issues
    assert sharp.blur > soft.blur > blurred.blur
    assert blurred.widen_band == MAX_WIDEN and not blurred.usable


@pytest.mark.parametrize(("size", "usable"), [((80, 60), False), ((200, 150), True)])
def test_images_under_the_detectors_view_size_are_small(size, usable):
    evidence = analyze(encode(scene(*size)))
    assert "small" in evidence.issues
    assert evidence.usable is usable
    assert evidence.shorter_side == min(size)


def test_noise_estimate_recovers_a_known_deviation():
    """Immerkær's estimate on a flat grey field with noise of deviation 8: within 10 %."""
    flat = Image.new("L", (512, 512), 128)
    evidence = analyze(encode(with_noise(flat, 8)))
    assert evidence.noise_sigma == pytest.approx(8, rel=0.1)
    assert "noisy" in evidence.issues


def test_texture_is_not_taken_for_noise_but_added_noise_is():
    clean = analyze(encode(scene()))
    noisy = analyze(encode(with_noise(scene(), 15)))  # per channel: about 10 grey levels
    assert clean.noise_sigma < 2 and "noisy" not in clean.issues
    assert noisy.noise_sigma == pytest.approx(15 * 0.668, rel=0.15) and "noisy" in noisy.issues


def test_clipped_images_are_over_or_underexposed():
    pixels = np.asarray(scene(), dtype=np.float32)
    over = analyze(encode(Image.fromarray((pixels * 3).clip(0, 255).astype(np.uint8))))
    under = analyze(encode(Image.fromarray(((pixels - 150) * 0.5).clip(0, 255).astype(np.uint8))))
    assert "overexposed" in over.issues and over.clipped_bright > 0.5
    assert "underexposed" in under.issues and under.clipped_dark > 0.5
    assert "overexposed" not in under.issues and "underexposed" not in over.issues


@pytest.mark.parametrize(
    ("mode", "fmt"), [("RGBA", "PNG"), ("P", "PNG"), ("I;16", "PNG"), ("CMYK", "JPEG"), ("L", "WEBP"), ("LA", "PNG")]
)
def test_every_mode_is_measured_through_the_engine(mode, fmt):
    image = scene().convert("L").convert(mode) if mode.startswith("I") else scene().convert(mode)
    report = Engine(SETTINGS).analyze(encode(image, fmt), only=["quality"])
    section = report.analyzers["quality"]
    assert section.status == "processed", section.reason
    assert section.signals[0].source == "quality"
    assert QualityEvidence.model_validate(section.evidence).shorter_side == 384


# Real images of the development data and degraded copies of them


def real_images(count: int = 16) -> list[bytes]:
    manifest = SHARED / "data" / "manifest.csv"
    if not manifest.exists():
        pytest.skip(f"{manifest} is absent (a clone without ../shared): real-image quality checks skipped")
    with manifest.open(newline="") as f:
        # Big enough not to be small already, small enough that a quarter of it is.
        rows = [
            r for r in csv.DictReader(f) if r["label"] == "real" and 300 <= min(int(r["width"]), int(r["height"])) < 896
        ]
    step = max(1, len(rows) // count)
    return [(SHARED / "data" / row["path"]).read_bytes() for row in rows[::step][:count]]


@pytest.fixture(scope="module")
def real() -> list[tuple[bytes, QualityEvidence]]:
    return [(data, analyze(data)) for data in real_images()]


def test_most_real_images_are_usable(real):
    usable = [evidence.usable for _, evidence in real]
    assert sum(usable) >= 0.8 * len(usable)


def degraded(data: bytes, how: str) -> bytes:
    image = Image.fromarray(decode(data, SETTINGS).rgb)
    if how == "jpeg30":
        return encode(image, "JPEG", quality=30)
    if how == "quarter":
        return encode(image.resize((image.width // 4, image.height // 4), Image.Resampling.BICUBIC))
    return encode(image.filter(ImageFilter.GaussianBlur(3)))


@pytest.mark.parametrize(
    ("how", "issue"), [("jpeg30", "heavily_compressed"), ("quarter", "small"), ("blur3", "blurry")]
)
@pytest.mark.slow
def test_degraded_real_images_get_the_expected_issue(real, how, issue):
    for data, original in real:
        copy = analyze(degraded(data, how))
        assert issue in copy.issues, (how, copy)
        assert copy.widen_band >= original.widen_band
        if how == "jpeg30":
            assert abs(copy.jpeg_quality - 30) <= 5


@pytest.mark.slow
def test_blur_reads_about_the_same_for_a_large_photo_and_a_512_px_copy_of_it():
    """The working size makes blur comparable across resolutions (docs/accuracy.md: 0.80× median)."""
    manifest = EXTRA_DIR / "manifest.csv"
    if not manifest.exists():
        pytest.skip(f"{manifest} is absent (no extra development data here): large-photo blur check skipped")
    with manifest.open(newline="") as f:
        rows = [
            r for r in csv.DictReader(f) if r["format"] == "JPEG" and min(int(r["width"]), int(r["height"])) >= 1536
        ]
    if not rows:
        pytest.skip("no JPEG of at least 1536 px in the extra development data")
    for row in rows[:: max(1, len(rows) // 6)][:6]:
        media = decode((EXTRA_DIR / row["path"]).read_bytes(), SETTINGS)
        image = Image.fromarray(media.rgb)
        scale = 512 / min(image.size)
        stored = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        ratio = ANALYZER.analyze(media).blur / analyze(encode(stored)).blur
        assert 0.6 < ratio < 1.25, (row["path"], ratio)


# Fusion: poor input widens the pixel model's band


def test_fusion_widens_the_band_by_the_quality_signal():
    """The pixel signal is the fusion contract's input; the quality signals are the analyzer's own."""
    pixel = Signal(kind="pixels", ai_probability=0.66, uncertain_band=(0.4, 0.6), summary="model", source="pixels")
    good = [s.model_copy(update={"source": "quality"}) for s in analyze(encode(scene())).signals()]
    bad_evidence = analyze(encode(scene().filter(ImageFilter.GaussianBlur(4)), "JPEG", quality=25))
    bad = [s.model_copy(update={"source": "quality"}) for s in bad_evidence.signals()]

    sharp = fuse([pixel, *good], ["pixels"])
    assert sharp.label == "ai" and sharp.uncertain_band == (0.4, 0.6)

    poor = fuse([pixel, *bad], ["pixels"])
    w = bad_evidence.widen_band
    assert 0.1 < w <= MAX_WIDEN
    assert poor.uncertain_band == (round(0.4 - w, 4), round(0.6 + w, 4))
    assert poor.label == "uncertain"  # 0.66 is no longer outside the band
    assert "Input quality widened" in poor.explanation[0]


def test_pipeline_widens_the_pixel_models_band_for_a_poor_image(fetched_models):
    data = encode(scene(640, 480).filter(ImageFilter.GaussianBlur(3)), "JPEG", quality=30)
    report = Engine(fetched_models).analyze(data, only=["pixels", "quality"])
    pixels, quality = report.analyzers["pixels"], report.analyzers["quality"]
    assert pixels.status == "processed", pixels.reason
    assert quality.status == "processed", quality.reason
    w = quality.evidence["widen_band"]
    assert w > 0 and quality.signals[0].widen_band == w
    low, high = pixels.evidence["uncertain_band"]
    assert report.verdict.uncertain_band == (round(max(0.0, low - w), 4), round(min(1.0, high + w), 4))
    p = report.verdict.ai_generated
    band = report.verdict.uncertain_band
    assert report.verdict.label == ("ai" if p >= band[1] else "human" if p < band[0] else "uncertain")
