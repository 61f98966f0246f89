"""The evaluation's figures as PNG bytes: ROC curves, a reliability diagram and score
histograms per class and per group. matplotlib is an optional extra (``pixelproof[eval]``):
the server never needs it, so it is imported only when a figure is asked for."""

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ..errors import PixelproofError
from .metrics import AT_FPR, auc, calibration, roc_curve
from .runner import VariantResult

DPI = 110
BINS = np.linspace(0, 1, 21)
COLOURS = {"ai": "#c0392b", "real": "#2471a3"}


class MissingExtra(PixelproofError):
    code = "missing_extra"


def require_matplotlib():
    """pyplot, or an error telling the user which extra to install."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no window, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtra("plots and --report need matplotlib: pip install 'pixelproof[eval]'") from None
    return plt


def _arrays(result: VariantResult) -> tuple[np.ndarray, np.ndarray]:
    return np.array([i.label for i in result.items], bool), np.array(result.scores, float)


@contextmanager
def _figure(out: dict[str, bytes], name: str, **subplots) -> Iterator:
    plt = require_matplotlib()
    fig, axes = plt.subplots(**subplots)
    try:
        yield fig, axes
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        out[name] = buf.getvalue()
    finally:
        plt.close(fig)


def _band_lines(ax, band: tuple[float, float]) -> None:
    low, high = band
    if low < high:
        ax.axvspan(low, high, color="#999999", alpha=0.15, label="uncertain")
    ax.axvline(high, color="black", lw=0.8, ls="--")


def _histogram(ax, labels: np.ndarray, scores: np.ndarray, band: tuple[float, float], title: str) -> None:
    for name, truth in (("ai", True), ("real", False)):
        if (labels == truth).any():
            ax.hist(scores[labels == truth], BINS, alpha=0.6, color=COLOURS[name], label=f"{name} ({(labels == truth).sum()})")
    _band_lines(ax, band)
    ax.set(title=title, xlim=(0, 1), xlabel="P(AI)")
    ax.legend(fontsize=7)


def figures(results: dict[str, VariantResult], band: tuple[float, float]) -> dict[str, bytes]:
    """File name → PNG, for every variant with scored images. ``band`` is the decision rule
    (low == high for a plain threshold), drawn on the histograms."""
    scored = {name: _arrays(r) for name, r in results.items() if r.items}
    out: dict[str, bytes] = {}
    with _figure(out, "roc.png", figsize=(5.5, 5)) as (_, ax):
        for name, (labels, scores) in scored.items():
            if labels.any() and (~labels).any():
                fpr, tpr = roc_curve(labels, scores)
                ax.plot(fpr, tpr, lw=1.5, label=f"{name} (AUC {auc(labels, scores):.3f})")
        for fpr in AT_FPR.values():
            ax.axvline(fpr, color="#999999", lw=0.6, ls=":")
        ax.plot([0, 1], [0, 1], color="#999999", lw=0.8, ls="--", label="chance")
        ax.set(title="ROC curve (dotted: 1 % and 5 % FPR)", xlabel="false positive rate (real flagged)")
        ax.set_ylabel("true positive rate (AI caught)")
        ax.legend(loc="lower right", fontsize=8)
    with _figure(out, "reliability.png", nrows=2, figsize=(5.5, 6), height_ratios=(3, 1), sharex=True) as (_, (ax, counts)):
        ax.plot([0, 1], [0, 1], color="#999999", lw=0.8, ls="--", label="perfectly calibrated")
        for name, (labels, scores) in scored.items():
            bins = calibration(labels, scores)
            ax.plot([b["mean_p"] for b in bins], [b["ai_share"] for b in bins], marker="o", lw=1.2, label=name)
            counts.bar([b["low"] for b in bins], [b["n"] for b in bins], width=0.1, align="edge", alpha=0.5, label=name)
        ax.set(title="Reliability: predicted P(AI) vs share that is AI", ylabel="share of images that are AI", xlim=(0, 1), ylim=(0, 1))
        ax.legend(fontsize=8)
        counts.set(xlabel="P(AI), 10 equal bins", ylabel="images")
    with _figure(out, "scores-by-class.png", ncols=len(scored) or 1, figsize=(4 * max(1, len(scored)), 3.4), squeeze=False) as (_, axes):
        for ax, (name, (labels, scores)) in zip(axes[0], scored.items(), strict=False):
            _histogram(ax, labels, scores, band, name)
    for name, result in results.items():
        if result.items:
            _by_group(out, name, result, band)
    return out


def _by_group(out: dict[str, bytes], name: str, result: VariantResult, band: tuple[float, float]) -> None:
    labels, scores = _arrays(result)
    groups = np.array([i.group for i in result.items])
    names = sorted(set(groups))
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    with _figure(out, f"scores-by-group-{name}.png", nrows=rows, ncols=cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False) as (_, axes):
        for ax, group in zip(axes.flat, names, strict=False):
            _histogram(ax, labels[groups == group], scores[groups == group], band, f"{name}: {group}")
        for ax in axes.flat[len(names) :]:
            ax.set_visible(False)
