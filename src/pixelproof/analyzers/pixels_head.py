"""The trained head on top of CLIP features: a small npz file, written by training/train.py.

Everything learned lives here (the feature recipe, normaliser, logistic weights, the
calibration map fitted on out-of-fold scores, the uncertain band, the generator-family and
region heads), so the analyzer holds no numbers of its own and a retrained head is one file.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .pixels_features import vectorize

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


@dataclass(frozen=True)
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
            **self.detector.arrays("detector_"),
            **self.family.arrays("family_"),
            **self.region.arrays("region_"),
        )


def load_head(path: Path = HEAD_PATH) -> tuple[Head, str]:
    """The head and its file's SHA-256 (reported in every evidence, so scores are traceable)."""
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
        )
    return head, hashlib.sha256(data).hexdigest()
