"""Fitting the linear heads: standardise, logistic regression, and the out-of-fold protocol."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from pixelproof.models.clip import vectorize
from pixelproof.analyzers.pixels_head import Linear


def features(tokens: np.ndarray, parts: list[dict]) -> np.ndarray:
    """N × D float32 design matrix from N × views × 2 × 12 × 768 tokens."""
    return np.stack([vectorize(t.astype(np.float32), parts) for t in tokens]).astype(np.float32)


def balanced_weights(labels: np.ndarray, sources: np.ndarray, power: float) -> np.ndarray:
    """Each class weighs the same in total; within a class a source of n images weighs n**power.

    power=1 is plain class balancing; lower powers stop one big source (a 1,200-image
    gallery) from defining what "AI" means.
    """
    weights = np.zeros(len(labels))
    for cls in np.unique(labels):
        in_cls = labels == cls
        for src in np.unique(sources[in_cls]):
            members = in_cls & (sources == src)
            weights[members] = members.sum() ** power / members.sum()
        weights[in_cls] /= weights[in_cls].sum()
    return weights * len(labels) / len(np.unique(labels))


def fit_linear(x: np.ndarray, y: np.ndarray, weights: np.ndarray, parts: list[dict], c: float) -> Linear:
    mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
    scale = x.std(axis=0, dtype=np.float64).astype(np.float32) + np.float32(1e-6)
    model = LogisticRegression(C=c, max_iter=3000, tol=1e-4)
    model.fit((x - mean) / scale, y, sample_weight=weights)  # stays float32: half the memory
    coef = model.coef_[0] if model.coef_.shape[0] == 1 else model.coef_
    intercept = model.intercept_[0] if model.coef_.shape[0] == 1 else model.intercept_
    return Linear(parts=parts, mean=mean, scale=scale, coef=coef, intercept=np.asarray(intercept))


def decision(head: Linear, x: np.ndarray) -> np.ndarray:
    """The head's raw score for each row of an already vectorised matrix."""
    return ((x - head.mean) / head.scale) @ head.coef.T + head.intercept
