"""The pixel detector: a calibrated P(AI) from the pixels alone, with the generator family.

Metadata is easily stripped or forged, so this is the analyzer that still answers for a
screenshot of a screenshot. A frozen CLIP ViT-B/16 (INT8, 2-core friendly) looks at the
whole picture and at native-resolution crops; a small trained head (``weights/``) turns its
intermediate-layer tokens into a probability, calibrated out of fold, with a band where we
honestly say "uncertain".
"""

from typing import Literal

from pydantic import BaseModel
from PIL import Image

from ..evidence import Evidence, GeneratorGuess, Signal
from ..media import Media
from ..models import ARTIFACTS
from ..models.clip import BACKBONE, VIEWS, grid_crops, load_backbone, media_tokens
from ..models.numerics import NumericsMismatch
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer
from .pixels_head import check, load_head
from .registry import register

HEATMAP_MAX_CELLS = 4  # per side: at most 16 extra CLIP runs


class ModelVersions(BaseModel):
    backbone: str
    backbone_sha256: str
    head: str
    head_sha256: str


class HeatmapCell(BaseModel):
    box: tuple[int, int, int, int]  # x, y, w, h in displayed-image pixels
    score: float  # the region head's P(AI) for this crop (not calibrated)


class Heatmap(BaseModel):
    rows: int
    cols: int
    cells: list[HeatmapCell]


class PixelEvidence(Evidence):
    ai_probability: float
    raw_score: float
    uncertain_band: tuple[float, float]
    label: Literal["ai", "human", "uncertain"]
    generator: GeneratorGuess
    views: list[str]
    models: ModelVersions
    heatmap: Heatmap | None = None

    def signals(self) -> list[Signal]:
        low, high = self.uncertain_band
        p = self.ai_probability
        if self.label == "uncertain":
            summary = f"The pixel model's probability {p:.2f} is inside its uncertain band ({low:.2f}–{high:.2f})."
        else:
            side = "AI-generated" if self.label == "ai" else "a real (non-AI) image"
            summary = f"The pixel model rates this as {side} (probability of AI {p:.2f})."
        return [
            Signal(
                kind="pixels",
                points_to=None if self.label == "uncertain" else self.label,
                strength="weak" if self.label == "uncertain" else "strong",
                summary=summary,
                ai_probability=p,
                uncertain_band=self.uncertain_band,
                generator=self.generator,
            )
        ]


@register
class PixelAnalyzer(Analyzer):
    name = "pixels"
    version = "1.0.0"
    evidence_model = PixelEvidence
    judges_pixels = True
    score_priority = 100  # its calibrated probability is the verdict's score (fusion rule 2)
    description = "Calibrated P(AI) from the pixels (frozen CLIP ViT-B/16 + trained head), generator family, heatmap."

    def __init__(self, settings):
        super().__init__(settings)
        self.backbone = load_backbone(settings)  # ModelMissing / ModelTampered: a clear error
        self.head, head_sha256 = load_head()
        verified = check(self.backbone, self.head)  # the whole path, once per process
        if not verified.ok:
            raise NumericsMismatch(verified.message)
        self.models = ModelVersions(
            backbone=BACKBONE,
            backbone_sha256=ARTIFACTS[BACKBONE].sha256,
            head=self.head.info.get("version", "unversioned"),
            head_sha256=head_sha256,
        )

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> PixelEvidence:
        tokens = media_tokens(self.backbone, media, self.head.view_count)
        raw = float(self.head.detector(tokens))
        p = self.head.probability(raw)
        low, high = self.head.band
        label = "ai" if p >= high else "human" if p < low else "uncertain"
        heatmap = self.settings.heatmap if options.heatmap is None else options.heatmap
        return PixelEvidence(
            ai_probability=round(p, 4),
            raw_score=round(raw, 4),
            uncertain_band=(low, high),
            label=label,
            generator=self._generator(tokens),
            views=list(VIEWS[: self.head.view_count]),
            models=self.models,
            heatmap=self._heatmap(media) if heatmap else None,
        )

    def _generator(self, tokens) -> GeneratorGuess:
        probs = self.head.family_probabilities(tokens)
        best = max(probs, key=probs.get)
        family = best if probs[best] >= self.head.family_min_probability else "unknown"
        return GeneratorGuess(family=family, probabilities=probs)

    def _heatmap(self, media: Media) -> Heatmap:
        crops, boxes = grid_crops(Image.fromarray(media.rgb), HEATMAP_MAX_CELLS)
        scale = min(media.rgb.shape[:2]) / max(min(media.rgb.shape[:2]), 224)  # boxes of upscaled small images
        tokens = self.backbone.tokens(crops)
        cells = [
            HeatmapCell(box=tuple(round(v * scale) for v in box), score=round(self.head.region_score(t[None]), 4))
            for box, t in zip(boxes, tokens, strict=True)
        ]
        xs, ys = sorted({c.box[0] for c in cells}), sorted({c.box[1] for c in cells})
        return Heatmap(rows=len(ys), cols=len(xs), cells=cells)
