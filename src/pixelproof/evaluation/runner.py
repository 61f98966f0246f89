"""Score a labelled image set through the real engine, in every evaluation variant.

Anyone can point this at their own images (a folder with ``ai/`` and ``real/`` inside, or a
CSV with ``path,label``) and check our accuracy claims with the product as shipped, not
with the training code.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import PixelproofError
from ..media.files import images_under, read_file
from ..pipeline import Engine
from .metrics import summary
from .variants import VARIANTS, variant

LABELS = {"ai": 1, "real": 0, "human": 0}


class BadLabelSet(PixelproofError):
    code = "bad_label_set"


@dataclass(frozen=True)
class LabeledImage:
    path: Path
    label: int  # 1 = AI
    group: str


@dataclass
class VariantResult:
    name: str
    scores: list[float] = field(default_factory=list)
    items: list[LabeledImage] = field(default_factory=list)
    unscored: list[tuple[LabeledImage, str]] = field(default_factory=list)  # (image, why)


def _label(value: str, where: str) -> int:
    try:
        return LABELS[value.strip().lower()]
    except KeyError:
        raise BadLabelSet(f"{where}: label {value!r} is not one of {', '.join(LABELS)}") from None


def read_csv(path: Path) -> list[LabeledImage]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"path", "label"} <= set(reader.fieldnames):
            raise BadLabelSet(f"{path} needs a header with at least `path,label` columns")
        items = []
        for line, row in enumerate(reader, 2):
            label = _label(row["label"], f"{path}:{line}")
            group = (row.get("group") or "").strip() or ("ai" if label else "real")
            items.append(LabeledImage(path.parent / row["path"], label, group))
    return items


def read_folder(root: Path) -> list[LabeledImage]:
    """``root/ai/**`` and ``root/real/**`` (or ``human/``); a sub-folder names the group. Images
    are told by their bytes, as `scan` tells them: other files (notes, a broken download named
    .jpg) are not part of the set."""
    items = []
    for top in sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower() in LABELS):
        label = LABELS[top.name.lower()]
        for path in sorted(images_under(top)):
            rel = path.relative_to(top).parts
            items.append(LabeledImage(path, label, rel[0] if len(rel) > 1 else top.name.lower()))
    if not items:
        raise BadLabelSet(f"{root} has no images under ai/ and real/ (or human/) sub-folders")
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
            data = read_file(item.path, engine.settings.max_upload_bytes)
        except (OSError, PixelproofError) as exc:
            why = exc.message if isinstance(exc, PixelproofError) else f"unreadable: {exc}"
            for result in results.values():
                result.unscored.append((item, why))
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


def metrics(result: VariantResult, threshold: float, band: tuple[float, float] | None) -> dict:
    labels = np.array([i.label for i in result.items], dtype=bool)
    groups = [i.group for i in result.items]
    out = summary(labels, np.array(result.scores), groups, threshold, band) if result.items else {}
    out["unscored"] = len(result.unscored)
    return out
