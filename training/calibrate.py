"""From out-of-fold raw scores to a calibrated probability, and the uncertain band.

Once the probability is the local share of AI images (isotonic, 50/50 prior), "neither class
reaches 90 % precision" is simply 0.10 <= P(AI) < 0.90: that is the band the product ships.
"""

import numpy as np
from sklearn.isotonic import IsotonicRegression

TARGET_PRECISION = 0.90
BAND = (round(1 - TARGET_PRECISION, 6), TARGET_PRECISION)


def class_balanced(labels: np.ndarray) -> np.ndarray:
    """Weights that make both classes count equally, so precision does not depend on our mix."""
    labels = np.asarray(labels, bool)
    return np.where(labels, 0.5 / labels.mean(), 0.5 / (~labels).mean())


def isotonic(raw: np.ndarray, labels: np.ndarray, floor: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """Monotone calibration of raw scores as a piecewise-linear map (x knots, P(AI) values).

    Isotonic regression with both classes weighted equally: the calibrated value at a score
    is the share of AI among the out-of-fold images scored there, for a 50/50 prior. Knots
    are the centres of its constant blocks, so the map is continuous and never flat-steps.
    """
    order = np.argsort(raw, kind="mergesort")
    x, y = raw[order], labels[order].astype(float)
    fitted = IsotonicRegression(y_min=floor, y_max=1 - floor).fit(x, y, sample_weight=class_balanced(labels)[order])
    values = fitted.predict(x)
    edges = np.r_[0, np.flatnonzero(np.diff(values)) + 1, len(values)]
    knots_x = np.array([(x[a] + x[b - 1]) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)])
    knots_y = np.array([values[a] for a in edges[:-1]])
    keep = np.r_[True, np.diff(knots_x) > 0]
    return knots_x[keep], knots_y[keep]
