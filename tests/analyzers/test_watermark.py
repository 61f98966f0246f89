"""The invisible-watermark reader against the reference embedding and real watermarked files.

The embedder (``tests.support.images.embed``) restates invisible-watermark's published ``dwtDct``
algorithm with OpenCV and PyWavelets (the package itself pulls in torch), so the numpy-only
reader is checked against the real colour conversion and wavelet, not its own assumptions.
"""

import io
from functools import partial

import numpy as np
import pytest
from PIL import Image

from pixelproof.analyzers.dwtdct import MAX_TILES
from pixelproof.analyzers.watermark import ABSENCE, PAYLOADS, WatermarkAnalyzer, WatermarkEvidence
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.images import BY_NAME, embed, photo_like, png, sd_script
from tests.support.shared import SHARED, expectations, fixture_rows

ENGINE = Engine(Settings(max_upload_bytes=50 * 1024 * 1024))


def float_pipeline(rgb: np.ndarray, bits: np.ndarray, flip: bool) -> np.ndarray:
    """How diffusers (``flip=False``: RGB passed as BGR) and FLUX / generative-models call it."""
    pixels = rgb.astype(np.float32)
    if flip:
        pixels = np.ascontiguousarray(pixels[:, :, ::-1])
    marked = embed(pixels, bits)
    if flip:
        marked = marked[:, :, ::-1]
    return np.clip(marked, 0, 255).round().astype(np.uint8)


def analyze(data: bytes) -> tuple[WatermarkEvidence, list]:
    report = ENGINE.analyze(data, only=["watermark"])
    return report.evidence(WatermarkAnalyzer), report.analyzers["watermark"].signals


EMBEDDERS = {  # name: (how it marks an RGB image, the colour order the reader must find)
    "sd-script": (sd_script, "bgr"),
    "diffusers": (partial(float_pipeline, flip=False), "rgb"),
    "flux-code": (partial(float_pipeline, flip=True), "bgr"),
}


@pytest.mark.parametrize("embedder", EMBEDDERS)
@pytest.mark.parametrize("payload", [p.name for p in PAYLOADS])
def test_reference_embedding_reads_back(payload, embedder):
    mark, colour_order = EMBEDDERS[embedder]
    expected = BY_NAME[payload]
    evidence, signals = analyze(png(mark(photo_like(), expected.bits)))

    assert evidence.ai_watermark_detected
    assert evidence.ai_watermark_issuers == [expected.issuer]  # no other payload matches by accident
    reading = next(r for r in evidence.readings if r.payload == payload)
    assert reading.matched
    assert reading.colour_order == colour_order
    [signal] = signals
    assert (signal.kind, signal.points_to, signal.strength) == ("watermark", "ai", "decisive")
    assert signal.generator.family == expected.family
    assert expected.embedded_by in signal.summary


def test_mark_reads_through_an_alpha_channel():
    rgba = Image.fromarray(sd_script(photo_like(seed=3), BY_NAME["sd-v1"].bits)).convert("RGBA")
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    evidence, _ = analyze(buf.getvalue())
    assert evidence.ai_watermark_issuers == [BY_NAME["sd-v1"].issuer]


def test_clean_image_gives_no_signal_and_says_absence_means_nothing():
    evidence, signals = analyze(png(photo_like(seed=1)))
    assert not evidence.ai_watermark_detected
    assert evidence.ai_watermark_issuers == []
    assert not any(r.matched or r.partial for r in evidence.readings)
    assert evidence.note == ABSENCE
    assert signals == []


@pytest.mark.slow
def test_mark_survives_in_a_large_image_read_on_sampled_rows():
    rgb = photo_like(size=2048, seed=2)
    evidence, _ = analyze(png(sd_script(rgb, BY_NAME["sd-v2"].bits)))
    assert evidence.ai_watermark_issuers == [BY_NAME["sd-v2"].issuer]
    assert evidence.tiles_read < (2048 // 8) ** 2  # not every tile row was needed


@pytest.mark.slow
def test_mark_reads_in_an_ultra_wide_strip_from_a_bounded_number_of_tiles():
    slabs = photo_like(size=2048, seed=4).reshape(128, 16, 2048, 3)  # its rows of 16 px, laid end to end:
    rgb = np.ascontiguousarray(slabs.transpose(1, 0, 2, 3).reshape(16, 128 * 2048, 3))  # 32,768 tiles a row
    evidence, _ = analyze(png(sd_script(rgb, BY_NAME["sd-v1"].bits)))
    assert evidence.ai_watermark_issuers == [BY_NAME["sd-v1"].issuer]
    assert evidence.tiles_read == MAX_TILES  # the first row's first MAX_TILES: 120 votes a bit


def test_image_too_small_to_carry_a_mark_is_declined():
    report = ENGINE.analyze(png(photo_like(size=128)), only=["watermark"])
    section = report.analyzers["watermark"]
    assert section.status == "rejected"
    assert section.signals == []


def _watermark_rows() -> list[dict]:
    return [row for row in fixture_rows() if "watermark" in expectations(row)]


@pytest.mark.slow
def test_fixtures_meet_their_watermark_expectations():
    rows = _watermark_rows()
    assert any(row["path"].startswith("watermark/") for row in rows), "no watermark/ fixtures listed"
    for row in rows:
        expect = expectations(row)
        evidence, signals = analyze((SHARED / "fixtures" / row["path"]).read_bytes())
        readings = {r.payload: r for r in evidence.readings}
        where = f"{row['path']}: {[(r.payload, r.bit_accuracy) for r in evidence.readings]}"
        kind = expect["watermark"]
        if kind == "none":
            assert not any(r.matched or r.partial for r in evidence.readings), where
            assert not evidence.ai_watermark_detected and signals == [], where
            continue
        name = kind.removeprefix("weak-")
        reading = readings[name]
        if kind.startswith("weak-"):
            assert reading.partial and not evidence.ai_watermark_detected, where
            assert [s.strength for s in signals] == ["weak"], where
        else:
            assert reading.matched and evidence.ai_watermark_issuers == [reading.issuer], where
            assert [s.strength for s in signals] == ["decisive"], where
        if "wm_acc" in expect:
            assert reading.bit_accuracy == pytest.approx(float(expect["wm_acc"]), abs=0.03), where


@pytest.mark.slow
def test_no_real_fixture_carries_a_watermark():
    rows = [row for row in fixture_rows() if row["label"] == "real"]
    assert rows, "the fixtures manifest lists no real images"
    for row in rows:
        report = ENGINE.analyze((SHARED / "fixtures" / row["path"]).read_bytes(), only=["watermark"])
        evidence = report.evidence(WatermarkAnalyzer)
        if evidence is None:  # declined: too small to carry a mark
            continue
        assert not evidence.ai_watermark_detected, row["path"]
        assert not any(r.partial for r in evidence.readings), row["path"]
