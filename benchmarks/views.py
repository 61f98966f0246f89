"""What each of the pixel detector's four CLIP views buys in accuracy, against what it costs.

    .venv/bin/python -m training.extract_features --eval-variants stripped --k 0 --captions 0 --boxes 0 --box-captions 0 [--limit N]
    .venv/bin/python -m benchmarks.views [--folds 5] [--json out.json]

and, to see what the arithmetic does to the same protocol (float32 against exact integers):

    .venv/bin/python -m benchmarks.numerics --write-graphs ../devdata/graphs
    .venv/bin/python -m training.extract_features --eval-variants stripped --k 0 --captions 0 --boxes 0 --box-captions 0 \
        --model ../devdata/graphs/clip-integer.onnx --out ../devdata/features-integer --same-images-as ../devdata/features [--limit N]
    .venv/bin/python -m benchmarks.views --against ../devdata/features-integer

Reads the cached CLIP tokens of the stripped copies (no training augmentation: a simpler
protocol than training/train.py's, for comparing view sets with each other, not for the
shipped figures) and, for each set of views, fits the shipped head's kind of model
(standardise, logistic regression C 25, sources weighted by n**0.5) in folds grouped by
source (no source in training and test at once). Prints AUC and TPR at 1 % FPR out of fold
per view set, and each set's cost in CLIP runs (one run per view; docs/performance.md has
the seconds per run on each CPU). With ``--against``, the images cached under both folders
are scored with every view set from each folder's tokens, in the same folds.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from pixelproof.evaluation.metrics import auc, summary
from training.dataset import Dataset, load_dataset
from training.heads import balanced_weights, decision, features, fit_linear

LAYERS = list(range(12))


def parts(global_view: bool, natives: list[int]) -> list[dict]:
    """The shipped recipe's parts for a subset of views: the global view's CLS and mean
    tokens, and the natives' averaged CLS and mean tokens (views 1-3: centre, top-left, bottom-right)."""
    chosen = []
    for view_set in ([[0]] if global_view else []) + ([natives] if natives else []):
        chosen += [{"views": view_set, "pool": pool, "layers": LAYERS} for pool in ("cls", "mean")]
    return chosen


VIEW_SETS = {
    "global + 3 native crops (shipped)": parts(True, [1, 2, 3]),
    "global + centre crop": parts(True, [1]),
    "global only": parts(True, []),
    "3 native crops only": parts(False, [1, 2, 3]),
    "centre crop only": parts(False, [1]),
}


def out_of_fold(ds: Dataset, view_parts: list[dict], folds: int) -> np.ndarray:
    """Each image's decision value from a head fitted on the folds without its source."""
    x, y, sources = features(ds.tokens["stripped"], view_parts), ds.labels, ds.sources
    scores = np.zeros(len(y))
    for train, test in GroupKFold(folds).split(x, y, sources):
        head = fit_linear(x[train], y[train], balanced_weights(y[train], sources[train], 0.5), view_parts, 25.0)
        scores[test] = decision(head, x[test])
    return scores


def measured(ds: Dataset, scores: np.ndarray) -> dict:
    stats = summary(ds.labels, 1 / (1 + np.exp(-scores)), ds.groups, 0.5)
    return {"auc": round(auc(ds.labels, scores), 4), "tpr_at_1pct_fpr": round(stats["tpr_at_1pct_fpr"], 4)}


def common(a: Dataset, b: Dataset) -> tuple[Dataset, Dataset]:
    """Both datasets cut to the images cached in each, in the same order."""
    shared = {r.sha256 for r in a.rows} & {r.sha256 for r in b.rows}

    def cut(ds: Dataset) -> Dataset:
        keep = [i for i, r in enumerate(ds.rows) if r.sha256 in shared]
        return Dataset([ds.rows[i] for i in keep], ds.labels[keep], {"stripped": ds.tokens["stripped"][keep]}, {})

    return cut(a), cut(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--against", type=Path, help="a second feature cache (another graph's tokens) to compare with")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    ds, left_out = load_dataset(["stripped"])
    if not ds.rows:
        sys.exit("no cached stripped features: run the extraction command in this file's docstring first")
    other = None
    if args.against:
        ds, other = common(ds, load_dataset(["stripped"], args.against)[0])
        left_out = "not counted (--against)"
    y, sources = ds.labels, ds.sources
    print(f"{len(ds.rows)} images ({int(y.sum())} AI) from {len(set(sources))} sources; {left_out} without features")
    results = {}
    for name, view_parts in VIEW_SETS.items():
        scores = out_of_fold(ds, view_parts, args.folds)
        runs = len({v for part in view_parts for v in part["views"]})
        results[name] = {"clip_runs": runs, **measured(ds, scores)}
        if other is not None:
            against = out_of_fold(other, view_parts, args.folds)
            p, q = 1 / (1 + np.exp(-scores)), 1 / (1 + np.exp(-against))
            results[name] |= {
                f"against_{key}": value for key, value in measured(other, against).items()
            } | {"abs_dp_median": round(float(np.median(abs(p - q))), 4), "abs_dp_p95": round(float(np.percentile(abs(p - q), 95)), 4)}
        print(json.dumps({"views": name, **results[name]}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
