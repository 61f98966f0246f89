"""Synthetic faces: find every face, then judge each one that is large enough to judge.

Faces are found by BlazeFace (``blazeface.py``). Each face of at least the head's minimum
size is scored by a small head trained here (``training/faces/``) on CLIP features of a
224 px crop of the stored pixels centred on the face. Faces alone are too few (the
development data has about a thousand AI faces, nine in ten from one gallery), so the head
also learns from native-resolution crops of every development picture, AI or real. Its
probability is calibrated on out-of-fold scores, leave-one-source-out.

A face smaller than the minimum is listed with ``confidence: null`` and a reason: its pixels
are too few to judge, and we do not guess. Without a trained head the analyzer declines
(status ``rejected``, "no trained face model") rather than report an invented score.

What a flag means: the face's pixels look generated (a fully synthetic picture, or a face
swapped or regenerated into a real one). It is reported as a weak signal towards AI in the
verdict, never a decisive one, and a face that looks real says nothing about the rest of
the picture.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel

from ..budget import checkpoint
from ..evidence import Evidence, Signal
from ..media import Media
from ..models import ARTIFACTS, load_path
from ..models.clip import BACKBONE, load_backbone, native_crop
from ..models.numerics import require
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer, NotApplicable
from .blazeface import Face, FaceDetector
from .pixels_head import Linear
from .registry import register

DETECTORS = ("blazeface-short-range", "blazeface-full-range")
HEAD_PATH = Path(__file__).with_name("weights") / "faces_head.npz"
FACE_VIEWS = ("native",)
MAX_JUDGED = 4  # the largest faces of a crowd (as in training); the rest are listed unjudged


def face_views(image: Image.Image, face: Face) -> list[Image.Image]:
    """The crops the head sees for one face, in ``FACE_VIEWS`` order: 224 px of the stored
    pixels centred on the face, untouched by resizing (a generator's traces are in the finest
    pixels; a shrunken face view carried less of them, see training/faces/train.py)."""
    x1, y1, x2, y2 = face.box
    return [native_crop(image, (x1 + x2) / 2 / image.width, (y1 + y2) / 2 / image.height)]


@dataclass(frozen=True)
class FaceHead:
    """What training/faces/train.py learned: written as one small npz, like the pixel head."""

    scorer: Linear  # raw score from the views' tokens
    calibration_x: np.ndarray
    calibration_y: np.ndarray  # P(synthetic) at calibration_x
    threshold: float  # a face is flagged at P >= threshold
    min_face_side: int  # px: smaller faces are not judged
    info: dict

    def probability(self, tokens: np.ndarray) -> float:
        """Calibrated P(synthetic) of one face from its views' tokens (views × 2 × 12 × 768)."""
        return float(np.interp(float(self.scorer(tokens)), self.calibration_x, self.calibration_y))

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            calibration_x=self.calibration_x.astype(np.float64),
            calibration_y=self.calibration_y.astype(np.float64),
            threshold=np.float64(self.threshold),
            min_face_side=np.int64(self.min_face_side),
            info=np.array(json.dumps(self.info)),
            **self.scorer.arrays("scorer_"),
        )

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> tuple["FaceHead", str] | None:
        """The head and its file's SHA-256, or None when no head has been trained."""
        if not path.is_file():
            return None
        with np.load(path) as npz:
            head = cls(
                scorer=Linear.from_arrays(npz, "scorer_"),
                calibration_x=npz["calibration_x"],
                calibration_y=npz["calibration_y"],
                threshold=float(npz["threshold"]),
                min_face_side=int(npz["min_face_side"]),
                info=json.loads(str(npz["info"])),
            )
        return head, hashlib.sha256(path.read_bytes()).hexdigest()


class BBox(BaseModel):
    x1: int
    y1: int
    x2: int
    y2: int


class FaceRoi(BaseModel):
    is_detected: bool  # this face looks synthetic
    confidence: float | None  # calibrated P(synthetic); None: not judged (see ``reason``)
    bbox: BBox  # displayed (orientation-corrected) image pixels
    detection_score: float  # the face detector's confidence that this is a face
    reason: str | None = None


class FaceModels(BaseModel):
    detectors: list[str]
    backbone_sha256: str
    head: str
    head_sha256: str


class DeepfakeEvidence(Evidence):
    is_detected: bool  # at least one judged face looks synthetic
    confidence: float | None  # the highest P(synthetic) among judged faces; None: none judged
    rois: list[FaceRoi]  # every face found, largest first
    faces_found: int
    faces_judged: int  # one CLIP run each, at most MAX_JUDGED
    detector_runs: int  # BlazeFace runs: 2 on the whole image, one per tile, at most 2 + blazeface.MAX_TILES
    threshold: float
    min_face_side: int
    models: FaceModels

    def signals(self) -> list[Signal]:
        if not self.is_detected:
            return []
        flagged = sum(roi.is_detected for roi in self.rois)
        return [
            Signal(
                kind="pixels",
                points_to="ai",
                strength="weak",
                summary=f"{flagged} of {self.faces_judged} judged faces look synthetic "
                f"(highest probability {self.confidence:.2f}).",
            )
        ]


@register
class DeepfakeAnalyzer(Analyzer):
    name = "deepfake"
    version = "1.1.0"  # 1.1: detector_runs; thin images scanned in at most 16 windows
    evidence_model = DeepfakeEvidence
    judges_pixels = True
    description = "Faces (BlazeFace) with a per-face synthetic-face probability (CLIP + trained head)."

    def __init__(self, settings, head_path: Path = HEAD_PATH):
        super().__init__(settings)
        paths = [load_path(name, settings) for name in DETECTORS]
        for name, path in zip(DETECTORS, paths, strict=True):
            require(name, path)  # NumericsMismatch: this CPU does not compute the reference numbers
        self.detector = FaceDetector(*paths)
        loaded = FaceHead.load(head_path)
        self.head, head_sha256 = loaded if loaded else (None, "")
        self.backbone = load_backbone(settings) if self.head else None
        self.models = FaceModels(
            detectors=list(DETECTORS),
            backbone_sha256=ARTIFACTS[BACKBONE].sha256,
            head=self.head.info.get("version", "unversioned") if self.head else "none",
            head_sha256=head_sha256,
        )

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> DeepfakeEvidence:
        if self.head is None:
            raise NotApplicable("no trained face model (run training/faces/train.py)")
        scan = self.detector(media.rgb)
        faces = sorted(scan.faces, key=lambda f: f.side, reverse=True)
        image = Image.fromarray(media.rgb)
        rois = [self._judge(image, face, rank) for rank, face in enumerate(faces)]
        judged = [roi.confidence for roi in rois if roi.confidence is not None]
        return DeepfakeEvidence(
            is_detected=any(roi.is_detected for roi in rois),
            confidence=max(judged) if judged else None,
            rois=rois,
            faces_found=len(rois),
            faces_judged=len(judged),
            detector_runs=scan.model_runs,
            threshold=self.head.threshold,
            min_face_side=self.head.min_face_side,
            models=self.models,
        )

    def _judge(self, image: Image.Image, face: Face, rank: int) -> FaceRoi:
        x1, y1, x2, y2 = (round(v) for v in face.box)
        roi = FaceRoi(is_detected=False, confidence=None, bbox=BBox(x1=x1, y1=y1, x2=x2, y2=y2),
                      detection_score=round(face.score, 4))  # fmt: skip
        if face.side < self.head.min_face_side:
            roi.reason = f"too small to judge ({face.side:.0f} px < {self.head.min_face_side} px)"
        elif rank >= MAX_JUDGED:
            roi.reason = f"not judged: only the {MAX_JUDGED} largest faces are"
        else:
            checkpoint()
            p = self.head.probability(self.backbone.tokens(face_views(image, face)))
            roi.confidence, roi.is_detected = round(p, 4), p >= self.head.threshold
        return roi
