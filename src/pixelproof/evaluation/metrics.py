"""Detection metrics, written out so that a reader can check exactly what a number means.

Scores are P(AI); labels are 1 for AI, 0 for real. "At a FPR" thresholds are set on the real
images' scores, so "TPR at 1 % FPR" is the share of AI images caught when at most 1 % of real
images are flagged.
"""

from collections import defaultdict
from collections.abc import Sequence

import numpy as np


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    labels, scores = np.asarray(labels, bool), np.asarray(scores, float)
    pos, neg = labels.sum(), (~labels).sum()
    if not pos or not neg:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks over ties
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = (s + e + 1) / 2
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def threshold_at_fpr(labels: np.ndarray, scores: np.ndarray, fpr: float) -> float:
    """Lowest threshold t such that at most ``fpr`` of real images score strictly above t."""
    real = np.sort(np.asarray(scores, float)[~np.asarray(labels, bool)])[::-1]
    allowed = int(np.floor(fpr * len(real)))
    return float(real[allowed]) if allowed < len(real) else float(real[-1]) - 1e-12


def tpr_at_fpr(labels: np.ndarray, scores: np.ndarray, fpr: float) -> float:
    labels, scores = np.asarray(labels, bool), np.asarray(scores, float)
    return float((scores[labels] > threshold_at_fpr(labels, scores, fpr)).mean())


def balanced_accuracy(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    labels, flagged = np.asarray(labels, bool), np.asarray(scores, float) >= threshold
    return float((flagged[labels].mean() + (~flagged[~labels]).mean()) / 2)


def rate_by_group(flagged: np.ndarray, groups: Sequence[str]) -> dict[str, tuple[float, int]]:
    """Share flagged per group, with the group's size."""
    by = defaultdict(list)
    for flag, group in zip(flagged, groups, strict=True):
        by[group].append(bool(flag))
    return {g: (float(np.mean(v)), len(v)) for g, v in sorted(by.items())}


def summary(
    labels: np.ndarray,
    scores: np.ndarray,
    groups: Sequence[str],
    threshold: float,
    band: tuple[float, float] | None = None,
) -> dict:
    """Every number docs/accuracy.md reports, for one variant of one test set."""
    labels, scores = np.asarray(labels, bool), np.asarray(scores, float)
    flagged = scores >= threshold
    groups = list(groups)
    out = {
        "n_ai": int(labels.sum()),
        "n_real": int((~labels).sum()),
        "auc": auc(labels, scores),
        "tpr_at_1pct_fpr": tpr_at_fpr(labels, scores, 0.01),
        "tpr_at_5pct_fpr": tpr_at_fpr(labels, scores, 0.05),
        "threshold": threshold,
        "balanced_accuracy": balanced_accuracy(labels, scores, threshold),
        "tpr": float(flagged[labels].mean()) if labels.any() else float("nan"),
        "fpr": float(flagged[~labels].mean()) if (~labels).any() else float("nan"),
        "recall_by_ai_group": rate_by_group(flagged[labels], [g for g, y in zip(groups, labels) if y]),
        "fpr_by_real_group": rate_by_group(flagged[~labels], [g for g, y in zip(groups, labels) if not y]),
    }
    if band is not None:
        low, high = band
        decided = (scores < low) | (scores >= high)
        correct = np.where(scores >= high, labels, ~labels)
        out["band"] = list(band)
        out["uncertain_share"] = float(1 - decided.mean())
        out["accuracy_when_decided"] = float(correct[decided].mean()) if decided.any() else float("nan")
    return out
