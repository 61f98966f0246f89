"""Detection metrics, written out so that a reader can check exactly what a number means.

Scores are P(AI); labels are 1 for AI, 0 for real. "At a FPR" thresholds are set on the real
images' scores, so "TPR at 1 % FPR" is the share of AI images caught when at most 1 % of real
images are flagged.

The confusion matrix is read at a *decision band* ``(low, high)``: AI when P(AI) >= high, real
when P(AI) < low, uncertain in between (the verdict's rule, fusion/verdict.py). A plain
threshold t is the band ``(t, t)``, which leaves nothing uncertain. Uncertain counts as "not
called AI": it lowers recall, never precision.
"""

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

AT_FPR = {"tpr_at_1pct_fpr": 0.01, "tpr_at_5pct_fpr": 0.05}  # the fixed operating points reported


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    labels, scores = np.asarray(labels, bool), np.asarray(scores, float)
    pos, neg = labels.sum(), (~labels).sum()
    if not pos or not neg:
        return float("nan")
    # 1-based ranks, averaged over ties; vectorised because the bootstrap calls this 1000 times
    _, tie, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[tie]
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def roc_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) at every distinct threshold, from (0, 0) to (1, 1)."""
    labels, scores = np.asarray(labels, bool), np.asarray(scores, float)
    order = np.argsort(-scores, kind="mergesort")
    ranked, truth = scores[order], labels[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]
    tpr = np.cumsum(truth)[last_of_each_score] / max(1, labels.sum())
    fpr = np.cumsum(~truth)[last_of_each_score] / max(1, (~labels).sum())
    return np.r_[0.0, fpr], np.r_[0.0, tpr]


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


def calls(scores: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Each score's call, "ai", "uncertain" or "real", by the verdict's rule."""
    low, high = band
    scores = np.asarray(scores, float)
    return np.where(scores >= high, "ai", np.where(scores < low, "real", "uncertain"))


def confusion(labels: np.ndarray, scores: np.ndarray, band: tuple[float, float]) -> dict:
    """Counts per true class (rows) and call (columns); the uncertain column only for a band."""
    labels, called = np.asarray(labels, bool), calls(scores, band)
    columns = ["ai", "uncertain", "real"] if band[0] < band[1] else ["ai", "real"]
    rows = {name: {c: int((called[labels == truth] == c).sum()) for c in columns} for name, truth in (("ai", True), ("real", False))}
    return {"band": list(band), "columns": columns, "rows": rows}


def precision_recall_f1(matrix: dict) -> dict[str, float]:
    """For the AI class; an uncertain AI image is a miss, an uncertain real one no false alarm."""
    caught, n_ai = matrix["rows"]["ai"]["ai"], sum(matrix["rows"]["ai"].values())
    false_alarms = matrix["rows"]["real"]["ai"]
    precision = caught / (caught + false_alarms) if caught + false_alarms else float("nan")
    recall = caught / n_ai if n_ai else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else float("nan")
    return {"precision": precision, "recall": recall, "f1": f1}


def calibration(labels: np.ndarray, scores: np.ndarray, bins: int = 10) -> list[dict]:
    """Per equal-width bin of P(AI): its images, their mean P(AI) and the share that is AI."""
    labels, scores = np.asarray(labels, bool), np.asarray(scores, float)
    which = np.clip((scores * bins).astype(int), 0, bins - 1)
    return [
        {
            "low": b / bins,
            "high": (b + 1) / bins,
            "n": int(n),
            "mean_p": float(scores[which == b].mean()),
            "ai_share": float(labels[which == b].mean()),
        }
        for b in range(bins)
        if (n := (which == b).sum())
    ]


def expected_calibration_error(bins: list[dict]) -> float:
    """Mean |P(AI) − AI share| over the bins, weighted by their images."""
    total = sum(b["n"] for b in bins)
    return sum(b["n"] * abs(b["mean_p"] - b["ai_share"]) for b in bins) / total if total else float("nan")


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
    matrix = confusion(labels, scores, band or (threshold, threshold))
    out = {
        "n_ai": int(labels.sum()),
        "n_real": int((~labels).sum()),
        "auc": auc(labels, scores),
        **{key: tpr_at_fpr(labels, scores, fpr) for key, fpr in AT_FPR.items()},
        "threshold": threshold,
        "balanced_accuracy": balanced_accuracy(labels, scores, threshold),
        "tpr": float(flagged[labels].mean()) if labels.any() else float("nan"),
        "fpr": float(flagged[~labels].mean()) if (~labels).any() else float("nan"),
        "recall_by_ai_group": rate_by_group(flagged[labels], [g for g, y in zip(groups, labels) if y]),
        "fpr_by_real_group": rate_by_group(flagged[~labels], [g for g, y in zip(groups, labels) if not y]),
        "confusion": matrix,
        **precision_recall_f1(matrix),
        "ece": expected_calibration_error(calibration(labels, scores)),
    }
    if band is not None:
        low, high = band
        decided = (scores < low) | (scores >= high)
        correct = np.where(scores >= high, labels, ~labels)
        out["band"] = list(band)
        out["uncertain_share"] = float(1 - decided.mean())
        out["accuracy_when_decided"] = float(correct[decided].mean()) if decided.any() else float("nan")
    return out
