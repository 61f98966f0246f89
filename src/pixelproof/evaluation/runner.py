"""Score a labelled image set through the real engine, in every evaluation variant.

Anyone can point this at their own images (a folder with ``ai/`` and ``real/`` inside, or a
CSV with ``path,label``; labels.py lists the other words accepted) and check our accuracy
claims with the product as shipped, not with the training code.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import PixelproofError
from ..pipeline import Engine
from .confidence import RESAMPLES, intervals, sample_warnings
from .labels import BadLabelSet, is_label, parse_label
from .metrics import summary
from .variants import VARIANTS, variant

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".avif"}


@dataclass(frozen=True)
class LabeledImage:
    path: Path
    label: int  # 1 = AI
    group: str
    written: str  # the label as the user wrote it, for the "how each label was read" line


@dataclass
class VariantResult:
    name: str
    scores: list[float] = field(default_factory=list)
    items: list[LabeledImage] = field(default_factory=list)
    unscored: list[tuple[LabeledImage, str]] = field(default_factory=list)  # (image, why)


def read_csv(path: Path) -> list[LabeledImage]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"path", "label"} <= set(reader.fieldnames):
            raise BadLabelSet(f"{path} needs a header with at least `path,label` columns")
        items = []
        for line, row in enumerate(reader, 2):
            written = row["label"].strip()
            label = parse_label(written, f"{path}:{line}")
            group = (row.get("group") or "").strip() or ("ai" if label else "real")
            items.append(LabeledImage(path.parent / row["path"], label, group, written))
    return items


def read_folder(root: Path) -> list[LabeledImage]:
    """``root/ai/**`` and ``root/real/**`` (or ``fake/``, ``human/``...); a sub-folder names the group."""
    items = []
    for top in sorted(p for p in root.iterdir() if p.is_dir() and is_label(p.name)):
        label = parse_label(top.name, str(top))
        for path in sorted(p for p in top.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
            rel = path.relative_to(top).parts
            items.append(LabeledImage(path, label, rel[0] if len(rel) > 1 else top.name.lower(), top.name))
    if not items:
        raise BadLabelSet(f"{root} has no images under sub-folders named by their label (ai/ and real/, or fake/ and human/...)")
    return items


def read_labeled(target: Path) -> list[LabeledImage]:
    if target.is_dir():
        return read_folder(target)
    if target.is_file() and target.suffix.lower() == ".csv":
        return read_csv(target)
    raise BadLabelSet(f"{target} is neither a folder (with ai/ and real/) nor a .csv file with path,label")


def score_all(
    items: list[LabeledImage],
    engine: Engine,
    variants: tuple[str, ...] = VARIANTS,
    score: str = "verdict",
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, VariantResult]:
    """P(AI) per image and variant: the fused verdict's, or the pixel analyzer's alone."""
    results = {name: VariantResult(name) for name in variants}
    for done, item in enumerate(items, 1):
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            for result in results.values():
                result.unscored.append((item, f"unreadable: {exc}"))
            continue
        for name, result in results.items():
            try:
                report = engine.analyze(variant(name, data, engine.settings))
            except PixelproofError as exc:
                result.unscored.append((item, exc.message))
                continue
            p = report.verdict.ai_generated
            if score == "pixels":
                section = report.analyzers.get("pixels")
                p = section.evidence["ai_probability"] if section and section.status == "processed" else None
            if p is None:
                reason = report.analyzers["pixels"].reason if "pixels" in report.analyzers else "no score"
                result.unscored.append((item, reason or "no score"))
                continue
            result.scores.append(p)
            result.items.append(item)
        progress(done, len(items))
    return results


def metrics(result: VariantResult, threshold: float, band: tuple[float, float] | None, resamples: int = RESAMPLES) -> dict:
    """The summary, its bootstrap 95 % intervals and the warnings about too few examples."""
    labels = np.array([i.label for i in result.items], dtype=bool)
    scores = np.array(result.scores, float)
    groups = [i.group for i in result.items]
    out = summary(labels, scores, groups, threshold, band) if result.items else {}
    if result.items and resamples:
        out["ci95"] = intervals(labels, scores, resamples)
    out["warnings"] = sample_warnings(labels)
    out["unscored"] = len(result.unscored)
    return out
