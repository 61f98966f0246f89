"""Evaluation variants and metrics: what `pixelproof eval` and docs/accuracy.md rest on."""

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.JpegImagePlugin import get_sampling

from pixelproof.evaluation.confidence import intervals, sample_warnings
from pixelproof.evaluation.labels import describe, readings
from pixelproof.evaluation.metrics import auc, balanced_accuracy, roc_curve, summary, tpr_at_fpr
from pixelproof.evaluation.presentation import rounded
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


def test_auc_agrees_with_counting_pairs():
    rng = np.random.default_rng(3)
    labels = rng.random(300) < 0.4
    scores = rng.integers(0, 20, 300) / 20  # many ties
    pos, neg = scores[labels], scores[~labels]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert auc(labels, scores) == pytest.approx(pairs)
    fpr, tpr = roc_curve(labels, scores)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert np.trapezoid(tpr, fpr) == pytest.approx(pairs)  # the curve's area is the AUC


# 4 AI and 6 real images around a band (0.3, 0.7)
KNOWN_LABELS = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
KNOWN_SCORES = np.array([0.95, 0.8, 0.5, 0.1, 0.75, 0.6, 0.4, 0.2, 0.1, 0.05])


def test_confusion_matrix_at_the_band_counts_uncertain_as_not_called_ai():
    s = summary(KNOWN_LABELS, KNOWN_SCORES, ["g"] * 10, threshold=0.7, band=(0.3, 0.7))
    assert s["confusion"]["columns"] == ["ai", "uncertain", "real"]
    assert s["confusion"]["rows"] == {
        "ai": {"ai": 2, "uncertain": 1, "real": 1},
        "real": {"ai": 1, "uncertain": 2, "real": 3},
    }  # fmt: skip
    assert s["precision"] == pytest.approx(2 / 3)  # 2 of the 3 called AI are AI
    assert s["recall"] == pytest.approx(2 / 4)  # the uncertain AI image is not caught
    assert s["f1"] == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))


def test_a_threshold_replaces_the_band_and_leaves_nothing_uncertain():
    s = summary(KNOWN_LABELS, KNOWN_SCORES, ["g"] * 10, threshold=0.45)
    assert s["confusion"]["columns"] == ["ai", "real"]
    assert s["confusion"]["rows"] == {"ai": {"ai": 3, "real": 1}, "real": {"ai": 2, "real": 4}}
    assert (s["precision"], s["recall"]) == (pytest.approx(3 / 5), pytest.approx(3 / 4))


def test_bootstrap_intervals_are_deterministic_and_hold_the_estimate():
    rng = np.random.default_rng(5)
    labels = np.r_[np.ones(150, bool), np.zeros(250, bool)]
    scores = np.clip(rng.normal(np.where(labels, 0.65, 0.35), 0.15), 0, 1)
    first, again = intervals(labels, scores, resamples=300), intervals(labels, scores, resamples=300)
    assert first == again
    s = summary(labels, scores, ["g"] * 400, threshold=0.5)
    for key in ("auc", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr"):
        low, high = first[key]
        assert low < s[key] < high and high - low < 0.5, (key, low, s[key], high)
    assert intervals(labels[:150], scores[:150]) == {}  # no real images: no AUC to bound


def test_small_samples_are_warned_about_with_what_they_need():
    few_real = np.r_[np.ones(40, bool), np.zeros(25, bool)]
    messages = {w["metric"]: w["message"] for w in sample_warnings(few_real)}
    assert messages["tpr_at_1pct_fpr"].startswith("TPR at 1 % FPR needs ≥ 100 real images (negatives), have 25")
    assert messages["fpr"].startswith("FPR needs ≥ 30 real images, have 25")
    assert {"tpr_at_5pct_fpr", "recall"}.isdisjoint(messages)  # 25 ≥ 20 negatives, 40 ≥ 30 AI images
    assert sample_warnings(np.r_[np.ones(100, bool), np.zeros(100, bool)]) == []


def test_json_keeps_four_significant_digits_and_no_nan():
    assert rounded({"auc": 0.912345678, "tiny": 0.00123456, "n": 12, "rate": (0.33333, 7), "none": float("nan")}) == {
        "auc": 0.9123, "tiny": 0.001235, "n": 12, "rate": [0.3333, 7], "none": None,
    }  # fmt: skip


def test_labels_as_users_write_them(tmp_path):
    for rel in ("Fake/a.png", "Fake/b.png", "human/c.png", "generated/d.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        _photo(32, 32).save(tmp_path / rel)
    items = read_folder(tmp_path)
    rows = readings(i.written for i in items)
    assert describe(rows) == "labels: 'Fake' → ai (2 images), 'generated' → ai (1), 'human' → real (1)"
    (tmp_path / "set.csv").write_text("path,label\nFake/a.png,SYNTHETIC\nhuman/c.png,0\ngenerated/d.png,1\nFake/b.png,Real\n")
    assert [i.label for i in read_csv(tmp_path / "set.csv")] == [1, 0, 1, 0]
    (tmp_path / "bad.csv").write_text("path,label\nFake/a.png,deepfake\n")
    with pytest.raises(BadLabelSet, match=r"bad.csv:2: label 'deepfake' is neither AI \(ai, fake, generated, synthetic, 1\)"):
        read_csv(tmp_path / "bad.csv")


def test_label_sets_from_folder_and_csv(tmp_path):
    for rel in ("ai/sdxl/a.png", "ai/b.png", "real/faces/c.jpg", "notes/d.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        _photo(64, 64).save(tmp_path / rel)
    # Images are told by their bytes, as `scan` tells them: a PNG without a suffix is one, a
    # text file is not, and neither is a broken download that is named .jpg.
    _photo(64, 64).save(tmp_path / "real" / "scan-0001", "PNG")
    (tmp_path / "ai" / "notes.txt").write_text("prompts used")
    (tmp_path / "ai" / "broken.jpg").write_text("<html>404</html>")
    items = read_folder(tmp_path)
    assert sorted((i.path.name, i.label, i.group) for i in items) == [
        ("a.png", 1, "sdxl"), ("b.png", 1, "ai"), ("c.jpg", 0, "faces"), ("scan-0001", 0, "real"),
    ]  # fmt: skip
    (tmp_path / "set.csv").write_text("path,label\nai/b.png,ai\nreal/faces/c.jpg,human\n")
    assert [(i.label, i.group) for i in read_csv(tmp_path / "set.csv")] == [(1, "ai"), (0, "real")]
    (tmp_path / "bad.csv").write_text("path,label\nai/b.png,maybe\n")
    with pytest.raises(BadLabelSet, match="bad.csv:2"):
        read_csv(tmp_path / "bad.csv")
    with pytest.raises(BadLabelSet, match="no images"):
        read_folder(tmp_path / "notes")


def test_eval_shows_progress_on_a_terminal_and_keeps_stdout_for_the_table(fetched_models, tmp_path):
    for label, seed in (("fake", 1), ("human", 2)):
        (tmp_path / label).mkdir()
        _photo(seed=seed).save(tmp_path / label / "one.png")
    report = tmp_path / "report.html"
    command = [str(Path(sys.executable).with_name("pixelproof")), "eval", str(tmp_path), "--variants", "as-is", "--threshold", "0.5"]
    if importlib.util.find_spec("matplotlib"):  # the [eval] extra
        command += ["--report", str(report)]
    env = {"PIXELPROOF_CACHE_DIR": str(fetched_models.cache_dir)}
    returncode, stdout, screen = on_a_terminal(command, env=env)
    assert returncode == 0, screen.decode(errors="replace")
    assert b"Scoring" in screen and b"2/2" in screen and b"images/s" in screen
    assert stdout.startswith("Metrics") and "\nvariant " in stdout and "Scoring" not in stdout
    assert b"labels: 'fake' \xe2\x86\x92 ai (1 image), 'human' \xe2\x86\x92 real (1)" in screen
    assert "AI when P(AI) ≥ 0.500, real below (--threshold)" in stdout
    assert "--report" not in command or "data:image/png;base64," in report.read_text()
