"""No-reference input quality: is this image good enough to judge?

Detectors degrade on small, blurred, noisy, clipped and heavily compressed images, so this
analyzer measures each of those, lists what is wrong in words a moderator understands, and
asks fusion to widen the pixel model's uncertain band accordingly. It never points to AI
or human.

Measures (cheap: 2 ms of CPU for an image under 0.5 MP, 13 ms for 12 MP; docs/performance.md):

* **resolution**: megapixels and the shorter side. The pixel detector looks at 224 px views;
  below that every view is an upscale and the finest traces it reads are invented.
* **JPEG quality**: the IJG (libjpeg) quality factor whose scaled standard tables are nearest
  to the file's own quantisation tables (exact for software that lets libjpeg scale its
  tables: Pillow, OpenCV and most others; the nearest equivalent for cameras and editors with
  tables of their own).
  It describes the last save only; None for other formats.
* **blur**: variance of the Laplacian on a grey copy with the shorter side shrunk to 512 px,
  so a 12 MP photo and a 512 px crop are judged at about the same scale (the raw value grows
  as an image is shrunk; a large photo reads 0.8× what the same photo stored at 512 px does).
  Smaller images are measured as they are: enlarging would blur them, and "small" says it.
  An image more than 16 times longer than wide is measured on its centre window of 16:1.
* **noise**: Immerkær's fast estimate (1996) of the noise standard deviation on a
  native-resolution centre crop, from its flattest blocks, so texture is not taken for noise
  (dense texture everywhere, like a painting's brush strokes, still is).
* **exposure**: the fractions of clipped pixels (grey level ≤ 5 or ≥ 250) on the same copy.

Each measure maps to a badness from 0 (fine) to 1 (no use) between the two limits in
``LIMITS``; an issue is listed when its badness is above 0. ``score`` is the product of
(1 − badness), ``usable`` is ``score ≥ 0.5``, and the band widens by ``MAX_WIDEN × (1 − score)``.
The limits come from ``benchmarks/quality.py`` on the development data and degraded copies of
it (figures in docs/accuracy.md). BRISQUE was measured there too and left out: it told no
degradation apart better than the plain measure aimed at it, at 16 ms an image and a
dependency (opencv-contrib) that clashes with the headless OpenCV wheel.
"""

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from ..evidence import Evidence, Signal
from ..media import Media, window
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer
from .registry import register

Issue = Literal["small", "heavily_compressed", "blurry", "noisy", "overexposed", "underexposed"]

WORKING_SIDE = 512  # blur and exposure: the shorter side is shrunk to this
NOISE_CROP = 512  # noise: a native-resolution centre crop of at most this square
NOISE_BLOCK = 32
NOISE_PERCENTILE = 10  # of the per-block estimates: the flattest tenth of the crop
DARK, BRIGHT = 5, 250  # grey levels counted as clipped
MAX_WIDEN = 0.15  # on each side of the pixel model's band, for the worst input
USABLE_SCORE = 0.5


@dataclass(frozen=True)
class Limit:
    """Where a measure starts to hurt (badness 0) and where it is no use (badness 1)."""

    fine: float
    useless: float
    log: bool = False  # ramp on a log scale (sizes, Laplacian variance: ratios matter)

    def badness(self, value: float) -> float:
        fine, useless = self.fine, self.useless
        if self.log:
            fine, useless, value = math.log(fine), math.log(useless), math.log(max(value, 1e-9))
        return min(1.0, max(0.0, (value - fine) / (useless - fine)))


LIMITS: dict[Issue, Limit] = {
    # shorter side, px: 224 is the pixel detector's view size
    "small": Limit(224, 96, log=True),
    # IJG quality: 50 is the lowest the detector's training augmentation uses
    "heavily_compressed": Limit(50, 20),
    # Laplacian variance: originals p5 43; σ 1.5 px blurred copies p50 23, σ 3 px p50 3.9
    "blurry": Limit(30, 3, log=True),
    # grey levels: 4 is the most the detector's training adds (σ 6 per RGB channel)
    "noisy": Limit(4, 12),
    # fractions of the picture clipped; the pixel model moves most on badly exposed copies
    "overexposed": Limit(0.25, 0.5),
    "underexposed": Limit(0.25, 0.5),
}


class QualityEvidence(Evidence):
    usable: bool  # good enough to judge; AIorNOT's quality.is_detected is its negation
    score: float  # 0..1, 1 = nothing wrong
    issues: list[Issue]
    widen_band: float  # how much this asks fusion to widen the pixel model's uncertain band
    megapixels: float
    shorter_side: int
    jpeg_quality: int | None  # estimated IJG quality factor of the last JPEG save
    jpeg_tables: Literal["ijg", "custom"] | None  # "custom": jpeg_quality is the nearest IJG equivalent
    blur: float  # variance of the Laplacian at the working size; lower is blurrier
    noise_sigma: float  # grey levels
    clipped_dark: float
    clipped_bright: float

    def signals(self) -> list[Signal]:
        if self.issues:
            listed = ", ".join(issue.replace("_", " ") for issue in self.issues)
            summary = f"Input quality {self.score:.2f} ({listed}): detector scores are less reliable on such images."
        else:
            summary = "Input quality is good enough to judge; no issues found."
        return [Signal(kind="quality", strength="weak", widen_band=self.widen_band, summary=summary)]


@register
class QualityAnalyzer(Analyzer):
    name = "quality"
    version = "1.0.0"
    evidence_model = QualityEvidence
    judges_pixels = True
    description = "Resolution, JPEG quality, blur, noise and exposure; low quality widens the uncertain band."

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> QualityEvidence:
        grey = _grey(media)
        working = np.asarray(_shrink(grey, WORKING_SIDE))
        crop = np.asarray(_centre_crop(grey, NOISE_CROP), dtype=np.float32)
        quality, tables = jpeg_quality(media.image)
        measured = {
            "small": min(grey.size),
            "heavily_compressed": quality,
            "blurry": laplacian_variance(working.astype(np.float32)),
            "noisy": noise_sigma(crop),
            "overexposed": np.count_nonzero(working >= BRIGHT) / working.size,
            "underexposed": np.count_nonzero(working <= DARK) / working.size,
        }
        badness = {issue: LIMITS[issue].badness(v) for issue, v in measured.items() if v is not None}
        score = math.prod(1.0 - b for b in badness.values())
        width, height = grey.size
        return QualityEvidence(
            usable=score >= USABLE_SCORE,
            score=round(score, 4),
            issues=[issue for issue, b in badness.items() if b > 0],
            widen_band=round(MAX_WIDEN * (1.0 - score), 4),
            megapixels=round(width * height / 1e6, 3),
            shorter_side=min(width, height),
            jpeg_quality=quality,
            jpeg_tables=tables,
            blur=round(measured["blurry"], 2),
            noise_sigma=round(measured["noisy"], 3),
            clipped_dark=round(measured["underexposed"], 4),
            clipped_bright=round(measured["overexposed"], 4),
        )


# The IJG standard tables (ITU T.81 Annex K) at quality 50, in natural (row-major) order as
# Pillow's ``image.quantization`` gives them.
_IJG_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
_IJG_CHROMINANCE = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, *([99] * 32),
)  # fmt: skip
_QUALITIES = np.arange(1, 101)
# libjpeg's jpeg_quality_scaling: percentage scale factor for each quality 1..100.
_SCALES = np.where(_QUALITIES < 50, 5000 // _QUALITIES, 200 - 2 * _QUALITIES)


def jpeg_quality(image: Image.Image) -> tuple[int | None, Literal["ijg", "custom"] | None]:
    """The IJG quality whose scaled standard tables best match the file's (None for non-JPEG).

    libjpeg scales each standard entry as ``(entry × scale + 50) // 100``, clamped to 1..255
    (baseline) or 1..32767; we build the tables for all 100 qualities and take the one with
    the smallest mean absolute log ratio to the file's tables (table 0 against luminance, the
    others against chrominance), so every coefficient counts by its relative step size.
    """
    tables = getattr(image, "quantization", None)
    if not tables:
        return None, None
    actual = np.array([tables[i] for i in sorted(tables)], dtype=np.float64)
    bases = np.array([_IJG_LUMINANCE] + [_IJG_CHROMINANCE] * (len(actual) - 1), dtype=np.int64)
    ceiling = 255 if actual.max() <= 255 else 32767
    scaled = np.clip((bases[None] * _SCALES[:, None, None] + 50) // 100, 1, ceiling)  # (100, tables, 64)
    error = np.abs(np.log(scaled) - np.log(np.maximum(actual, 1))[None]).mean(axis=(1, 2))
    best = int(np.argmin(error))
    return int(_QUALITIES[best]), "ijg" if error[best] == 0 else "custom"


def laplacian_variance(pixels: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian (OpenCV's ``Laplacian`` with ksize 1), borders left out."""
    centre = pixels[1:-1, 1:-1]
    laplacian = pixels[:-2, 1:-1] + pixels[2:, 1:-1] + pixels[1:-1, :-2] + pixels[1:-1, 2:] - 4 * centre
    return float(laplacian.var()) if laplacian.size else 0.0


def noise_sigma(pixels: np.ndarray) -> float:
    """Immerkær's estimate of the noise standard deviation, taken from the flatter blocks.

    The 3×3 mask [[1,−2,1],[−2,4,−2],[1,−2,1]] (a second difference across, then down)
    cancels smooth image structure; for white noise of deviation σ its output has mean
    absolute value 6σ·√(2/π). Edges and texture leak through, so the crop is cut into 32 px
    blocks and a low percentile of the per-block estimates is kept: noise is everywhere,
    texture is not.
    """
    across = pixels[:, :-2] - 2 * pixels[:, 1:-1] + pixels[:, 2:]
    residual = np.abs(across[:-2] - 2 * across[1:-1] + across[2:])
    rows, cols = residual.shape[0] // NOISE_BLOCK, residual.shape[1] // NOISE_BLOCK
    if rows and cols:
        cut = residual[: rows * NOISE_BLOCK, : cols * NOISE_BLOCK]
        means = cut.reshape(rows, NOISE_BLOCK, cols, NOISE_BLOCK).mean(axis=(1, 3))
        mean_abs = float(np.percentile(means, NOISE_PERCENTILE))
    else:
        mean_abs = float(residual.mean()) if residual.size else 0.0
    return math.sqrt(math.pi / 2) * mean_abs / 6


def _grey(media: Media) -> Image.Image:
    """Grey pixels, from the stored image when it is plain RGB or grey (rotation changes none
    of the measures, and a large image is converted once, not copied into ``media.rgb`` first);
    other modes go through ``media.rgb``, which composites transparency and maps 16-bit,
    CMYK and palette images to 8-bit RGB."""
    image = media.image if media.image.mode in ("RGB", "L") else Image.fromarray(media.rgb)
    return image.convert("L")


def _shrink(image: Image.Image, side: int) -> Image.Image:
    """Shorter side to ``side``, never enlarged: a box reduction by a whole factor (fast), then
    Lanczos, which keeps most of the finest detail a photo stored at that size would have. A
    bilinear shrink would halve a large photo's Laplacian variance and call it blurry.

    Of a thin image only the centre window is kept (``media.window``): the measures are then
    taken on at most ``side`` × 16 ``side`` pixels, whatever the image's length."""
    box, _, _ = window(*image.size)
    width, height = box[2] - box[0], box[3] - box[1]
    scale = side / min(width, height)
    if scale >= 1:
        return image.crop(box) if (width, height) != image.size else image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=1.0)


def _centre_crop(image: Image.Image, side: int) -> Image.Image:
    width, height = image.size
    w, h = min(width, side), min(height, side)
    left, top = (width - w) // 2, (height - h) // 2
    return image.crop((left, top, left + w, top + h))
