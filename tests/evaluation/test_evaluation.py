"""Evaluation variants and metrics: what `pixelproof eval` and docs/accuracy.md rest on."""

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.JpegImagePlugin import get_sampling

from pixelproof.evaluation.metrics import auc, balanced_accuracy, summary, tpr_at_fpr
from pixelproof.evaluation.runner import BadLabelSet, read_csv, read_folder
from pixelproof.evaluation.variants import degraded, stripped, variant
from pixelproof.media import decode

from tests.support.cli import on_a_terminal


def _photo(width=300, height=200, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) % 256], axis=-1)
    return Image.fromarray((base + rng.normal(0, 12, base.shape)).clip(0, 255).astype(np.uint8))


def _jpeg_with_metadata(image: Image.Image) -> bytes:
    exif = image.getexif()
    exif[271], exif[272], exif[274] = "Canon", "EOS 5D", 6  # make, model, orientation: rotate 90°
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, exif=exif, icc_profile=b"\0" * 200, comment=b"hello")
    return buf.getvalue()


def test_stripped_jpeg_keeps_stored_pixels_and_drops_metadata():
    data = _jpeg_with_metadata(_photo())
    out = stripped(data)
    before, after = decode(data), decode(out)
    assert after.meta.format == "jpeg"
    assert np.array_equal(np.asarray(before.image), np.asarray(after.image))  # not re-encoded
    assert not after.image.getexif() and "icc_profile" not in after.image.info and b"hello" not in out
    assert after.rgb.shape[:2] == (200, 300)  # orientation went with the metadata


def test_stripped_png_drops_text_chunks_only():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a photo of a cat, Steps: 20, Sampler: Euler")
    buf = io.BytesIO()
    _photo().save(buf, "PNG", pnginfo=info)
    out = stripped(buf.getvalue())
    assert b"parameters" not in out
    assert np.array_equal(decode(out).rgb, decode(buf.getvalue()).rgb)


def test_stripped_other_formats_become_lossless_png():
    buf = io.BytesIO()
    _photo().save(buf, "WEBP", lossless=True)
    out = stripped(buf.getvalue())
    assert decode(out).meta.format == "png"
    assert np.array_equal(decode(out).rgb, decode(buf.getvalue()).rgb)


@pytest.mark.slow
def test_degraded_is_small_jpeg_of_the_displayed_image():
    big = io.BytesIO()
    _photo(2400, 1200).save(big, "PNG")
    out = decode(degraded(big.getvalue()))
    assert out.meta.format == "jpeg" and (out.meta.width, out.meta.height) == (1024, 512)
    small = decode(variant("degraded", _jpeg_with_metadata(_photo())))
    assert (small.meta.width, small.meta.height) == (200, 300)  # EXIF rotation applied, size kept
    assert not small.image.getexif()


@pytest.mark.slow
def test_frame_is_a_video_still_whatever_the_shape():
    for width, height in ((2400, 600), (300, 900), (40, 30)):
        buf = io.BytesIO()
        _photo(width, height).save(buf, "PNG")
        data = variant("frame", buf.getvalue())
        out = decode(data)
        assert out.meta.format == "jpeg" and (out.meta.width, out.meta.height) == (854, 480)
        assert get_sampling(out.image) == 2 and data == variant("frame", buf.getvalue())  # 4:2:0, deterministic


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="unknown variant"):
        variant("blurred", b"")


def test_auc_and_rates_on_known_cases():
    y = np.array([1, 1, 1, 0, 0, 0])
    assert auc(y, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]) == 1.0
    assert auc(y, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]) == 0.0
    assert auc(y, [0.5] * 6) == 0.5
    assert balanced_accuracy(y, [0.9, 0.8, 0.2, 0.3, 0.2, 0.9], 0.5) == pytest.approx((2 / 3 + 2 / 3) / 2)
    # 100 real scores 0..99, AI scores 95..104: at 1 % FPR the threshold is real score 98
    labels = np.r_[np.zeros(100), np.ones(10)]
    scores = np.r_[np.arange(100), np.arange(95, 105)]
    assert tpr_at_fpr(labels, scores, 0.01) == pytest.approx(0.6)  # 99..104 are above 98
    groups = ["cam"] * 50 + ["scan"] * 50 + ["sd"] * 10
    s = summary(labels, scores, groups, threshold=99, band=(50, 99))
    assert s["fpr_by_real_group"]["scan"] == (pytest.approx(0.02), 50)
    assert s["recall_by_ai_group"]["sd"] == (pytest.approx(0.6), 10)


def test_label_sets_from_folder_and_csv(tmp_path):
    for rel in ("ai/sdxl/a.png", "ai/b.png", "real/faces/c.jpg", "notes/d.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        _photo(64, 64).save(tmp_path / rel)
    items = read_folder(tmp_path)
    assert sorted((i.path.name, i.label, i.group) for i in items) == [
        ("a.png", 1, "sdxl"), ("b.png", 1, "ai"), ("c.jpg", 0, "faces"),
    ]  # fmt: skip
    (tmp_path / "set.csv").write_text("path,label\nai/b.png,ai\nreal/faces/c.jpg,human\n")
    assert [(i.label, i.group) for i in read_csv(tmp_path / "set.csv")] == [(1, "ai"), (0, "real")]
    (tmp_path / "bad.csv").write_text("path,label\nai/b.png,maybe\n")
    with pytest.raises(BadLabelSet, match="bad.csv:2"):
        read_csv(tmp_path / "bad.csv")
    with pytest.raises(BadLabelSet, match="no images"):
        read_folder(tmp_path / "notes")


def test_eval_shows_progress_on_a_terminal_and_keeps_stdout_for_the_table(fetched_models, tmp_path):
    for label, seed in (("ai", 1), ("real", 2)):
        (tmp_path / label).mkdir()
        _photo(seed=seed).save(tmp_path / label / "one.png")
    command = [str(Path(sys.executable).with_name("pixelproof")), "eval", str(tmp_path), "--variants", "as-is"]
    env = {"PIXELPROOF_CACHE_DIR": str(fetched_models.cache_dir)}
    returncode, stdout, screen = on_a_terminal(command, env=env)
    assert returncode == 0, screen.decode(errors="replace")
    assert b"Scoring" in screen and b"2/2" in screen and b"images/s" in screen
    assert stdout.startswith("variant ") and "Scoring" not in stdout
