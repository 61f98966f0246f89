"""How far to trust each number: bootstrap 95 % intervals, and warnings where too few
examples make a metric meaningless.

The bootstrap resamples AI and real images separately (each class keeps its size, so every
resample has both and AUC is always defined), from a fixed seed: the same scores always give
the same intervals. Intervals are the 2.5th and 97.5th percentiles of the resampled metric.
"""

import numpy as np

from .metrics import AT_FPR, auc, tpr_at_fpr

RESAMPLES = 1000
SEED = 0
MIN_PER_CLASS = 30  # a rate over 30 images still has a 95 % interval of up to ±0.18


def intervals(labels: np.ndarray, scores: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> dict[str, list[float]]:
    """95 % interval of AUC and of each TPR at a fixed FPR; empty when a class is missing."""
    labels, scores = np.asarray(labels, bool), np.asarray(scores, float)
    ai, real = scores[labels], scores[~labels]
    if not len(ai) or not len(real):
        return {}
    rng = np.random.default_rng(seed)
    resampled_labels = np.r_[np.ones(len(ai), bool), np.zeros(len(real), bool)]
    metrics = {"auc": auc} | {key: (lambda y, s, fpr=fpr: tpr_at_fpr(y, s, fpr)) for key, fpr in AT_FPR.items()}
    values = {key: np.empty(resamples) for key in metrics}
    for i in range(resamples):
        sample = np.r_[rng.choice(ai, len(ai)), rng.choice(real, len(real))]
        for key, metric in metrics.items():
            values[key][i] = metric(resampled_labels, sample)
    return {key: [float(v) for v in np.percentile(v, [2.5, 97.5])] for key, v in values.items()}


def sample_warnings(labels: np.ndarray) -> list[dict]:
    """A warning per metric that rests on too few examples, saying how many it needs."""
    labels = np.asarray(labels, bool)
    n_ai, n_real = int(labels.sum()), int((~labels).sum())
    found = []
    for key, fpr in AT_FPR.items():
        needs = round(1 / fpr)
        if n_real < needs:
            why = f"with fewer, no real image may be flagged, so this is TPR at 0 % FPR, not {fpr * 100:g} %"
            found.append(_warning(key, f"TPR at {fpr * 100:g} % FPR", needs, n_real, "real images (negatives)", why))
    per_class = (
        ("auc", "AUC", min(n_ai, n_real), "images of each class"),
        ("recall", "Recall", n_ai, "AI images"),
        ("fpr", "FPR", n_real, "real images"),
    )
    for key, title, have, of in per_class:
        if have < MIN_PER_CLASS:
            why = "below that, sampling alone can move it by ±0.1 or more"
            found.append(_warning(key, title, MIN_PER_CLASS, have, of, why))
    return found


def _warning(metric: str, title: str, needs: int, have: int, of: str, why: str) -> dict:
    return {"metric": metric, "needs": needs, "have": have, "message": f"{title} needs ≥ {needs} {of}, have {have}: {why}"}
