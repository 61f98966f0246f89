"""Invisible watermarks that open-source generators embed: the invisible-watermark ``dwtDct`` mark.

The Stable Diffusion reference scripts, diffusers' SDXL pipelines and Black Forest Labs'
FLUX code stamp a fixed, public payload into every image. Reading one back is near-certain
evidence of AI generation. Not reading one means nothing: most generators embed none and
re-encoding, resizing or cropping off the 8-pixel grid removes it.

Thresholds, from ``benchmarks/watermark_threshold.py`` over the 2,130 real images of
../shared/data, ../shared/fixtures and the extra development set that are big enough to read
(best colour order and array type per payload, as reported):

=========  ====  ===================  =========  =====  ==========================
payload    bits  best real image      threshold  floor  watermark fixtures
=========  ====  ===================  =========  =====  ==========================
sd-v1      136   0.662 (90 bits)      0.90       0.75   0.956-1.000; weak one 0.816
sd-v2       32   0.781 (25 bits)      0.94       0.80   0.969-1.000
sdxl        48   0.729 (35 bits)      0.92       0.80   1.000
flux        46   0.739 (34 bits)      0.92       0.80   (none; tests embed it)
=========  ====  ===================  =========  =====  ==========================

So no real image comes within 6 bits of a match or reaches a floor. A reading between floor
and threshold is reported as a partial mark: weak evidence, never a verdict. The thresholds
and floors are those of the fixtures' ``expect`` grammar.
"""

from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image
from pydantic import BaseModel

from ..evidence import Evidence, GeneratorGuess, Signal
from ..media import Media
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer, NotApplicable
from .dwtdct import MAX_TILES, TILE, ArrayType, ColourOrder, Votes, read_votes, row_step
from .registry import register

MIN_PIXELS = 256 * 256  # the embedder refuses smaller images, so none can carry a mark
ABSENCE = "no watermark found; absence means nothing (most generators don't embed one, re-encoding removes it)"


def _bits(value: int | bytes) -> np.ndarray:
    """Payload bits as the embedders wrote them (``bin(x)[2:]`` for integers: no leading zeros)."""
    if isinstance(value, bytes):
        return np.unpackbits(np.frombuffer(value, dtype=np.uint8)).astype(bool)
    return np.array([c == "1" for c in bin(value)[2:]])


@dataclass(frozen=True)
class Payload:
    name: str
    issuer: str  # as ``ai_watermark_issuers`` names it
    family: str
    generator: str  # the model the mark names, for the report's generator detail
    embedded_by: str  # the code that writes it, in plain words
    bits: np.ndarray
    threshold: float  # bit accuracy for a match
    floor: float  # bit accuracy for a partial mark


PAYLOADS = (
    Payload(
        "sd-v1",
        "Stability AI (Stable Diffusion v1)",
        "stable_diffusion",
        "Stable Diffusion v1",
        "the Stable Diffusion v1 reference scripts",
        _bits(b"StableDiffusionV1"),
        0.90,
        0.75,
    ),
    Payload(
        "sd-v2",
        "Stability AI (Stable Diffusion 2.x)",
        "stable_diffusion",
        "Stable Diffusion 2.x",
        "the Stable Diffusion 2.x reference scripts",
        _bits(b"SDV2"),
        0.94,
        0.80,
    ),
    Payload(
        "sdxl",
        "Stability AI (SDXL)",
        "stable_diffusion",
        "Stable Diffusion XL",
        "diffusers' SDXL pipelines and Stability AI's generative-models",
        _bits(0b101100111110110010010000011110111011000110011110),
        0.92,
        0.80,
    ),
    Payload(
        "flux",
        "Black Forest Labs (FLUX)",
        "flux",
        "FLUX",
        "Black Forest Labs' FLUX reference code",
        _bits(0b001010101111111010000111100111001111010100101110),
        0.92,
        0.80,
    ),
)


class PayloadReading(BaseModel):
    """The best reading of one known payload over the colour orders and array types tried."""

    payload: str
    issuer: str
    bits: int
    bit_accuracy: float
    colour_order: ColourOrder  # "rgb": the embedder was handed RGB as if it were BGR (diffusers)
    array_type: ArrayType  # what the embedder worked on: uint8 (SD scripts) or float (diffusers, FLUX)
    threshold: float
    matched: bool
    partial: bool  # above the floor, below the threshold: weak evidence only


class WatermarkEvidence(Evidence):
    ai_watermark_detected: bool
    ai_watermark_issuers: list[str]
    tiles_read: int  # 8×8 pixel tiles voted on
    readings: list[PayloadReading]
    note: str | None = None

    def signals(self) -> list[Signal]:
        by_name = {p.name: p for p in PAYLOADS}
        out = []
        for reading in self.readings:
            if not (reading.matched or reading.partial):
                continue
            payload = by_name[reading.payload]
            seen = f"{reading.bit_accuracy:.0%} of its {reading.bits} bits"
            if reading.matched:
                strength, summary = "decisive", f"The invisible watermark of {payload.embedded_by} reads back ({seen})."
            else:
                strength = "weak"
                summary = (
                    f"A partial invisible watermark of {payload.embedded_by} ({seen}, below the "
                    f"{reading.threshold:.0%} needed): a damaged mark or chance, so weak evidence only."
                )
            generator = GeneratorGuess(family=payload.family, detail=f"{payload.generator} (invisible watermark)")
            out.append(
                Signal(kind="watermark", points_to="ai", strength=strength, summary=summary, generator=generator)
            )
        return out


@register
class WatermarkAnalyzer(Analyzer):
    name = "watermark"
    version = "1.0.0"
    evidence_model = WatermarkEvidence
    judges_pixels = True
    description = "Invisible-watermark dwtDct payloads of Stable Diffusion v1/v2, SDXL and FLUX."

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> WatermarkEvidence:
        width, height = media.image.size
        if height * width < MIN_PIXELS:
            raise NotApplicable(f"{width}×{height} is too small to carry the mark (embedders need 256×256 pixels)")
        step = row_step(height, width)
        votes = read_votes(_tile_rows(media, step), step)
        readings = [_best_reading(votes, payload) for payload in PAYLOADS]
        issuers = [r.issuer for r in readings if r.matched]
        return WatermarkEvidence(
            ai_watermark_detected=bool(issuers),
            ai_watermark_issuers=issuers,
            tiles_read=int(votes.tiles.size),
            readings=readings,
            note=None if issuers else ABSENCE,
        )


def _best_reading(votes: Votes, payload: Payload) -> PayloadReading:
    frame, accuracy = max(votes.accuracies(payload.bits).items(), key=lambda item: item[1])
    accuracy = round(accuracy, 4)
    return PayloadReading(
        payload=payload.name,
        issuer=payload.issuer,
        bits=payload.bits.size,
        bit_accuracy=accuracy,
        colour_order=frame.colour_order,
        array_type=frame.array_type,
        threshold=payload.threshold,
        matched=accuracy >= payload.threshold,
        partial=payload.floor <= accuracy < payload.threshold,
    )


def _tile_rows(media: Media, step: int) -> np.ndarray:
    """The tile rows to read, in the grid the mark was written in: as stored, no EXIF rotation.

    A whole image is ``media.rgb`` when nothing needs rotating or compositing, shared with the
    pixel analyzers; a large one is read as crops of the rows needed, never converted whole, so
    at most 2 × ``MAX_TILES`` tiles are read whatever the image's shape.
    """
    image = media.image
    if step == 1:
        if image.mode == "RGB" and image.getexif().get(ExifTags.Base.Orientation, 1) in (0, 1):
            return media.rgb
        return _rgb(image)
    # Past MAX_TILES tiles a row, only the first row is read (step > rows), and only its first
    # MAX_TILES tiles: their numbers run on, so every payload bit still gets over 120 votes.
    width = min(image.width, MAX_TILES * TILE)
    bands = range(0, image.height // TILE, step)
    return np.concatenate([_rgb(image.crop((0, row * TILE, width, (row + 1) * TILE))) for row in bands])


def _rgb(image: Image.Image) -> np.ndarray:
    """Colour channels as stored; alpha is dropped, as the reference decoder (cv2.imread) does."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")  # Pillow warns when a palette loses its transparency in one step
    return np.asarray(image.convert("RGB"))
