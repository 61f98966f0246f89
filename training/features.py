"""The feature cache: CLIP tokens per (image sha256, variant), outside the repository.

Extraction is the slow part (a few CLIP runs per variant), so every result is kept in
``<FEATURES_DIR>/<variant>/<sha256>.npz`` (``training.locations``: ``../devdata/features`` by
default) and re-runs only do what is missing.
"""

import json
from pathlib import Path

import numpy as np

from pixelproof.evaluation.variants import ALL_VARIANTS, STRESS_VARIANTS, VARIANTS

from .locations import FEATURES_DIR

EVAL_VARIANTS = VARIANTS  # as-is, stripped, degraded: what docs/accuracy.md reports
# STRESS_VARIANTS (frame): scored out of fold and reported, never used for calibration
SAME_AS = "same_as"  # marker: this variant's pixels equal another variant's


def aug_variants(k: int) -> list[str]:
    return [f"aug{i}" for i in range(k)]


def caption_variants(k: int) -> list[str]:
    return [f"cap{i}" for i in range(k)]


def box_variants(k: int, captioned: bool = False) -> list[str]:
    return [f"{'boxcap' if captioned else 'box'}{i}" for i in range(k)]


def cache_path(sha256: str, variant: str, root: Path = FEATURES_DIR) -> Path:
    return root / variant / f"{sha256}.npz"


def save(path: Path, tokens: np.ndarray | None, meta: dict, same_as: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    extra = {SAME_AS: np.array(same_as)} if same_as else {"tokens": tokens.astype(np.float16)}
    np.savez(partial, meta=np.array(json.dumps(meta)), **extra)
    partial.replace(path)


def holds_tokens(path: Path) -> bool:
    """Whether a cache file exists and holds tokens itself (not a pointer to another variant)."""
    if not path.exists():
        return False
    with np.load(path) as npz:
        return "tokens" in npz.files


def load(sha256: str, variant: str, root: Path = FEATURES_DIR) -> tuple[np.ndarray, dict]:
    """Tokens (views × 2 × 12 × 768, float32) and outside description of one cached variant."""
    with np.load(cache_path(sha256, variant, root)) as npz:
        meta = json.loads(str(npz["meta"]))
        if SAME_AS in npz:
            return load(sha256, str(npz[SAME_AS]), root)[0], meta
        return npz["tokens"].astype(np.float32), meta
