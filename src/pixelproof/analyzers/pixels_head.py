"""The trained head on top of CLIP features: a small npz file, written by training/train.py.

Everything learned lives here (the feature recipe, normaliser, logistic weights, the
calibration map fitted on out-of-fold scores, the uncertain band, the generator-family and
region heads), so the analyzer holds no numbers of its own and a retrained head is one file.

The file also holds the head's raw score on each test card (``models/testcards.py``),
computed where the head was measured: ``check`` runs the whole image → views → CLIP → head
path on them, so a machine or library version that would move a score is caught before it
scores anything (written by training/train.py and training/golden.py).
"""

import functools
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..models.clip import ClipBackbone, views, vectorize
from ..models.numerics import Check
from ..models.testcards import cards

HEAD_PATH = Path(__file__).with_name("weights") / "pixels_head.npz"
TRAINING_LIST_PATH = HEAD_PATH.with_name("pixels_head.training.json")  # sha256 of every training image


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Linear:
    """Standardise, then a linear map: the shape of every head we train."""

    parts: list[dict]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (D,) for a binary head, (classes, D) for a multinomial one
    intercept: np.ndarray

    def __call__(self, tokens: np.ndarray) -> np.ndarray:
        x = (vectorize(tokens, self.parts) - self.mean) / self.scale
        return self.coef @ x + self.intercept

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}parts": np.array(json.dumps(self.parts)),
            f"{prefix}mean": self.mean.astype(np.float32),
            f"{prefix}scale": self.scale.astype(np.float32),
            f"{prefix}coef": self.coef.astype(np.float32),
            f"{prefix}intercept": np.asarray(self.intercept, np.float64),
        }

    @classmethod
    def from_arrays(cls, npz, prefix: str) -> "Linear":
        return cls(
            parts=json.loads(str(npz[f"{prefix}parts"])),
            mean=npz[f"{prefix}mean"].astype(np.float64),
            scale=npz[f"{prefix}scale"].astype(np.float64),
            coef=npz[f"{prefix}coef"].astype(np.float64),
            intercept=npz[f"{prefix}intercept"].astype(np.float64),
        )


@dataclass(frozen=True, eq=False)  # compared and cached by identity
class Head:
    detector: Linear
    calibration_x: np.ndarray  # raw detector scores, increasing
    calibration_y: np.ndarray  # calibrated P(AI) at those scores
    band: tuple[float, float]  # calibrated probabilities between which the label is "uncertain"
    families: list[str]
    family: Linear
    family_min_probability: float
    region: Linear  # scores one native-resolution crop, for the heatmap
    info: dict  # version, backbone hash, training summary
    golden: dict[str, float] = field(default_factory=dict)  # test card -> raw score where measured

    @property
    def view_count(self) -> int:
        """How many of ``VIEWS`` (a prefix) the detector and family heads read: each costs a CLIP run."""
        return 1 + max(v for linear in (self.detector, self.family) for part in linear.parts for v in part["views"])

    def probability(self, raw: float) -> float:
        return float(np.interp(raw, self.calibration_x, self.calibration_y))

    def family_probabilities(self, tokens: np.ndarray) -> dict[str, float]:
        probs = _softmax(self.family(tokens))
        return {name: round(float(p), 4) for name, p in zip(self.families, probs, strict=True)}

    def region_score(self, crop_tokens: np.ndarray) -> float:
        return float(_sigmoid(self.region(crop_tokens)))

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            calibration_x=self.calibration_x.astype(np.float64),
            calibration_y=self.calibration_y.astype(np.float64),
            band=np.asarray(self.band, np.float64),
            families=np.array(json.dumps(self.families)),
            family_min_probability=np.float64(self.family_min_probability),
            info=np.array(json.dumps(self.info)),
            golden=np.array(json.dumps(self.golden)),
            **self.detector.arrays("detector_"),
            **self.family.arrays("family_"),
            **self.region.arrays("region_"),
        )


@functools.cache
def load_head(path: Path = HEAD_PATH) -> tuple[Head, str]:
    """The head and its file's SHA-256 (reported in every evidence, so scores are traceable).
    One per process and file, so its end-to-end check (``check``) runs once."""
    data = path.read_bytes()
    with np.load(path) as npz:
        head = Head(
            detector=Linear.from_arrays(npz, "detector_"),
            calibration_x=npz["calibration_x"],
            calibration_y=npz["calibration_y"],
            band=tuple(float(b) for b in npz["band"]),
            families=json.loads(str(npz["families"])),
            family=Linear.from_arrays(npz, "family_"),
            family_min_probability=float(npz["family_min_probability"]),
            region=Linear.from_arrays(npz, "region_"),
            info=json.loads(str(npz["info"])),
            golden=json.loads(str(npz["golden"])) if "golden" in npz.files else {},
        )
    return head, hashlib.sha256(data).hexdigest()


RAW_TOLERANCE = 0.01  # raw-score units; near the threshold 0.01 moves P(AI) by about 0.001


def testcard_scores(backbone: ClipBackbone, head: Head) -> dict[str, float]:
    """The head's raw score on each test card, through the same views and CLIP the analyzer uses."""
    return {name: float(head.detector(backbone.tokens(views(rgb, head.view_count)))) for name, rgb in cards().items()}


_lock = threading.Lock()


@functools.cache
def _check(backbone: ClipBackbone, head: Head, name: str) -> Check:
    if not head.golden:
        return Check(name, "mismatch", float("inf"), "the head file stores no test-card scores")
    measured = testcard_scores(backbone, head)
    if set(measured) != set(head.golden):
        return Check(name, "mismatch", float("inf"), "the head file's test cards are not this version's")
    worst_card = max(measured, key=lambda card: abs(measured[card] - head.golden[card]))
    worst = abs(measured[worst_card] - head.golden[worst_card])
    if not worst <= RAW_TOLERANCE:
        detail = (
            f"test card {worst_card!r} scores {measured[worst_card]:.4f} where the reference is "
            f"{head.golden[worst_card]:.4f}, tolerance {RAW_TOLERANCE}"
        )
        return Check(name, "mismatch", worst, detail)
    return Check(name, "ok", worst, "")


def check(backbone: ClipBackbone, head: Head, name: str = "pixels-head") -> Check:
    """The head's end-to-end check, run once per process (concurrent callers wait for it)."""
    with _lock:
        return _check(backbone, head, name)
