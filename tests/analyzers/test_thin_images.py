"""Thin images (issue 14): no analyzer's work grows with a picture's shape.

A 16 × 30,000 PNG of a few KB once cost 34 s of face tiles; a 16 × 6,250,000 one (100 MP)
would have cost an hour, and enlarging it for CLIP's views tens of GB. The work is counted
here (model runs, tiles, pixels resampled), never timed: each count must be the same for a
strip ten times longer, and within the documented constant.
"""

import io

import numpy as np
import pytest
from PIL import Image

from pixelproof.analyzers.dwtdct import MAX_TILES as WATERMARK_MAX_TILES
from pixelproof.analyzers.pixels import HEATMAP_MAX_CELLS
from pixelproof.models.clip import SIZE, grid_crops, views
from pixelproof.analyzers.quality import QualityAnalyzer
from pixelproof.media import MAX_ASPECT, decode, window
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

LENGTHS = (30_000, 300_000)  # the strip, and one ten times longer


def strip(width: int, height: int) -> np.ndarray:
    """A textured strip that compresses (a 64-line random pattern, repeated): the issue's PNG was 4 KB."""
    rng = np.random.default_rng(0)
    if width < height:
        return np.tile(rng.integers(0, 256, (64, width, 3), dtype=np.uint8), (-(-height // 64), 1, 1))[:height]
    return np.tile(rng.integers(0, 256, (height, 64, 3), dtype=np.uint8), (1, -(-width // 64), 1))[:, :width]


def png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def test_an_image_of_ordinary_shape_is_its_own_window():
    for width, height in ((4000, 3000), (1080, 17_280), (16, 256)):
        assert window(width, height, 0.3, 0.7) == ((0, 0, width, height), 0.3, 0.7)


def test_a_thin_image_is_windowed_around_the_point():
    box, cx, cy = window(16, 300_000, 0.5, 0.25)
    assert box == (0, 75_000 - 128, 16, 75_000 + 128)  # 16 × 256: MAX_ASPECT times the short side
    assert (cx, cy) == (0.5, 0.5)
    box, cx, cy = window(300_000, 16, 0.0, 0.5)  # clamped inside the picture
    assert box == (0, 0, MAX_ASPECT * 16, 16) and (cx, cy) == (0.0, 0.5)


@pytest.fixture
def resampled(monkeypatch) -> list[int]:
    """Pixels each Pillow resize reads and writes (the box it reads, plus its output)."""
    counted = []
    resize = Image.Image.resize

    def counting(self, size, *args, **kwargs):
        left, top, right, bottom = kwargs.get("box") or (0, 0, *self.size)
        counted.append(round((right - left) * (bottom - top)) + size[0] * size[1])
        return resize(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", counting)
    return counted


def test_clip_views_of_a_thin_image_resample_a_bounded_window(resampled):
    work = []
    for length in LENGTHS:
        rgb = strip(16, length)
        crops, _ = grid_crops(Image.fromarray(rgb), HEATMAP_MAX_CELLS)
        assert len(views(rgb)) == 4 and len(crops) <= HEATMAP_MAX_CELLS
        work.append(list(resampled))
        resampled.clear()
    assert work[0] == work[1]  # before: the whole strip enlarged 14 times, once per view
    assert max(work[0]) <= 2 * SIZE * SIZE * MAX_ASPECT


def test_quality_measures_the_centre_window_of_a_thin_image():
    analyzer = QualityAnalyzer(Settings())
    for length in LENGTHS:
        rgb = np.zeros((length, 16, 3), np.uint8)  # black, but for the window around the centre
        rgb[length // 2 - 8 * 16 : length // 2 + 8 * 16] = strip(16, 16 * 16)
        evidence = analyzer.analyze(decode(png(rgb)))
        assert evidence.clipped_dark < 0.05  # the whole strip is 99 % black


@pytest.fixture(scope="module")
def engine(fetched_models, tmp_path_factory) -> Engine:
    """Default limits (the strips' files are small), and an index, so reverse_search runs too."""
    data_dir = tmp_path_factory.mktemp("data")
    return Engine(fetched_models.model_copy(update={"data_dir": data_dir, "index_analyzed": True}))


@pytest.mark.parametrize("width, height", [(16, LENGTHS[0]), (16, LENGTHS[1]), (LENGTHS[1], 16)])
def test_every_analyzer_answers_a_thin_strip_with_bounded_work(engine, width, height):
    rgb = strip(width, height)
    report = engine.analyze(png(rgb), heatmap=True)
    for name, section in report.analyzers.items():
        assert section.status in ("processed", "rejected"), (name, section.reason)
        assert section.status == "processed" or section.reason, name
    deepfake = report.analyzers["deepfake"]
    if deepfake.status == "processed":  # else declined: no trained face head
        # No face of a 147th of the length fits across 16 px: the whole image twice, no tiles.
        assert deepfake.evidence["detector_runs"] == 2 and deepfake.evidence["faces_found"] == 0
    assert report.analyzers["watermark"].evidence["tiles_read"] <= 2 * WATERMARK_MAX_TILES
    assert report.analyzers["reverse_search"].evidence["added_to_index"]
    pixels = report.analyzers["pixels"].evidence
    assert len(pixels["views"]) == 4 and len(pixels["heatmap"]["cells"]) <= HEATMAP_MAX_CELLS
