"""From out-of-fold raw scores to a calibrated probability and an honest uncertain band."""

import numpy as np
from sklearn.linear_model import LogisticRegression

TARGET_PRECISION = 0.90
GRID = 256


def class_balanced(labels: np.ndarray) -> np.ndarray:
    """Weights that make both classes count equally, so precision does not depend on our mix."""
    labels = np.asarray(labels, bool)
    return np.where(labels, 0.5 / labels.mean(), 0.5 / (~labels).mean())


def platt(raw: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic calibration of raw scores, as a piecewise-linear map (x knots, P(AI) values)."""
    model = LogisticRegression(C=1e6)
    model.fit(raw[:, None], labels, sample_weight=class_balanced(labels))
    lo, hi = np.percentile(raw, [0.1, 99.9])
    span = hi - lo
    x = np.linspace(lo - span, hi + span, GRID)
    return x, model.predict_proba(x[:, None])[:, 1]


def _precision_from_top(p_sorted: np.ndarray, pos_sorted: np.ndarray, weights_sorted: np.ndarray) -> np.ndarray:
    """Weighted precision of 'flag everything at or beyond this point' along a sorted order."""
    tp = np.cumsum(weights_sorted * pos_sorted)
    return tp / np.cumsum(weights_sorted)


def band(prob: np.ndarray, labels: np.ndarray, target: float = TARGET_PRECISION) -> tuple[float, float]:
    """(low, high): at and above ``high`` an AI call is ``target`` precise, below ``low`` a
    real call is, and every stricter threshold stays so. Between them neither class reaches
    it and the label is "uncertain". Precision is class-balanced (50 % prior)."""
    labels = np.asarray(labels, bool)
    w = class_balanced(labels)

    order = np.argsort(-prob, kind="mergesort")  # high to low: AI calls
    precision = _precision_from_top(prob[order], labels[order], w[order])
    ok = np.minimum.accumulate(precision) >= target
    high = float(prob[order][ok][-1]) if ok.any() else 1.0

    order = np.argsort(prob, kind="mergesort")  # low to high: real calls
    precision = _precision_from_top(prob[order], ~labels[order], w[order])
    ok = np.minimum.accumulate(precision) >= target
    low = float(prob[order][ok][-1]) if ok.any() else 0.0
    low = np.nextafter(low, 1.0)  # the last precise real call itself must fall below ``low``

    if low > high:  # the classes separate: no uncertain zone needed, split at the midpoint
        low = high = (low + high) / 2
    return float(low), float(high)
