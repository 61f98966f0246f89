"""The development set as arrays: one row per unique image, cached CLIP tokens per variant."""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data.manifests import ImageRow, load_rows
from .features import FEATURES_DIR, cache_path, load
from .locations import SYNTHETIC_DIR

# Generator family of each AI group (None: the source does not say which model made it).
FAMILIES = {
    "gpt-4o": "openai", "dalle2": "openai",
    "nano-banana-pro": "google",
    "midjourney": "midjourney",
    "unknown-gallery-gpt4o-era": None,
    "biggan": "gan", "stylegan": "gan", "stylegan3": "gan", "gan-stylegan2-prior": "gan",
    "flux1-dev": "flux", "flux1-kontext": "flux", "flux1-schnell": "flux", "flux1-tools": "flux", "flux2": "flux",
    "ldm-txt2img": "stable_diffusion", "ldm": "stable_diffusion", "sd1.x": "stable_diffusion",
    "sd2.x": "stable_diffusion", "sd3": "stable_diffusion", "sd3.5": "stable_diffusion", "sdxl": "stable_diffusion",
    "sdxl-turbo": "stable_diffusion", "stable-cascade": "stable_diffusion",
}  # fmt: skip
FAMILY_ORDER = ("openai", "google", "midjourney", "stable_diffusion", "flux", "gan", "other")


def family_of(row: ImageRow) -> str | None:
    if row.label != "ai":
        return None
    return FAMILIES.get(row.group, "other")


def synthetic_rows(folder: Path = SYNTHETIC_DIR) -> list[ImageRow]:
    """Rows drawn by training.make_synthetic (screenshots, label real); none when not drawn yet."""
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        return []
    with manifest.open(newline="") as f:
        return [
            ImageRow(
                path=folder / r["path"], label=r["label"], group=r["group"], generator_family=None,
                generator=r["generator"], source_group=r["source"].rsplit(":", 1)[0], cluster=r["source"],
                sha256=r["sha256"], manifest="synthetic",
            )
            for r in csv.DictReader(f)
        ]  # fmt: skip


def all_rows() -> list[ImageRow]:
    """Every development image once: shared, extra (training/data/manifests.py), synthetic."""
    unique, seen = [], set()
    for row in load_rows() + synthetic_rows():
        if row.sha256 not in seen:
            seen.add(row.sha256)
            unique.append(row)
    return unique


@dataclass
class Dataset:
    rows: list[ImageRow]
    labels: np.ndarray  # 1 = AI
    tokens: dict[str, np.ndarray]  # variant -> N × views × 2 × 12 × 768 (float16)
    outside: dict[str, list[dict]]  # variant -> format/size/quality of each sample

    @property
    def sources(self) -> np.ndarray:
        return np.array([r.source_group for r in self.rows])

    @property
    def groups(self) -> list[str]:
        return [r.group for r in self.rows]


def load_dataset(variants: list[str], root: Path = FEATURES_DIR) -> tuple[Dataset, int]:
    """Rows whose every variant is cached (and how many were left out for lack of features)."""
    unique = all_rows()
    ready = [r for r in unique if all(cache_path(r.sha256, v, root).exists() for v in variants)]
    tokens, outside = {}, {}
    for v in variants:
        loaded = [load(r.sha256, v, root) for r in ready]
        tokens[v] = np.stack([t.astype(np.float16) for t, _ in loaded]) if loaded else np.empty((0,))
        outside[v] = [m for _, m in loaded]
    labels = np.array([r.label == "ai" for r in ready], dtype=np.int8)
    return Dataset(ready, labels, tokens, outside), len(unique) - len(ready)
