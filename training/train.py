"""Train, validate and write the pixel detector's head.

    python -m training.train [--k 3] [--captions 1] [--natives-from aug1=box0 aug2=box1 cap0=boxcap0] [--recipe full] [--c 25]
                             (--out DIR | --ship | --dry-run)

1. Leave-one-source-out: for each source repository/package, fit on all other sources'
   augmented variants and score the held-out source's as-is, stripped and degraded images,
   and their video stills (the `frame` stress test, reported but never calibrated on).
2. Shortcut check: the same protocol with only format/size/JPEG-quality features.
3. Calibration (isotonic) from the out-of-fold scores; the uncertain band follows from it.
4. Leave-one-family-out (training.protocols): every AI family held out whole with a share of
   the real sources; the pooled figures, worst family and worst real group of both protocols
   (stripped, at the calibrated `ai` threshold) go into the metrics JSON's "held_out".
5. Generator-family head (grouped CV for its threshold) and the heatmap's region head.
6. Final fit on everything; writes the head, the training manifest (sha256 list) and a
   metrics JSON into --out DIR, or with --ship over the shipped ones
   (src/pixelproof/analyzers/weights/pixels_head.npz, training/metrics.json). Seeded; prints
   what it measured.
"""

import argparse
import dataclasses
import json
import time
from datetime import UTC, datetime

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from pixelproof.models.clip import BACKBONE, load_backbone
from pixelproof.analyzers.pixels_head import HEAD_PATH, TRAINING_LIST_PATH, Head, testcard_scores
from pixelproof.evaluation.metrics import auc, summary
from pixelproof.models import ARTIFACTS
from pixelproof.settings import Settings

from .calibrate import BAND, isotonic
from .dataset import FAMILY_ORDER, Dataset, family_of, load_dataset
from .features import ALL_VARIANTS, EVAL_VARIANTS, STRESS_VARIANTS, aug_variants, box_variants, caption_variants
from .heads import balanced_weights, decision, features, fit_linear
from .locations import OUT_OF_FOLD_DIR, REPO_ROOT
from .output import HeadFiles, add_output_options, chosen_output
from .protocols import SEED, describe, families_of, held_out_report, lofo_folds, loso_folds, out_of_fold, stack_train
from .recipes import NATIVE, RECIPES, REGION_PARTS

SHIPPED = HeadFiles(HEAD_PATH, TRAINING_LIST_PATH, REPO_ROOT / "training" / "metrics.json")
SCORED = ALL_VARIANTS


def log(message: str) -> None:
    print(message, flush=True)


def natives_from(ds: Dataset, pairs: list[list[str]], keep: set[str]) -> list[str]:
    """Join variants: ``v~box`` has ``v``'s global view and ``box``'s native crops.

    ``augment`` resizes each image relative to its own size, so the native crops of an
    augmented copy still show how large and how compressed the original was, which differs
    between the classes within a source. A box (``augment.boxed``) is cut at a size and saved
    in a format drawn independently of the image, so its native crops carry no such cue; the
    global view keeps the whole picture. Measured in docs/accuracy.md. Returns the variants left.
    """
    for v, box in pairs:
        ds.tokens[f"{v}~{box}"] = np.concatenate([ds.tokens[v][:, :1], ds.tokens[box][:, 1:]], axis=1)
        ds.outside[f"{v}~{box}"] = ds.outside[v]  # the file the global view was made from
    for name in list(ds.tokens):
        if name not in keep:
            del ds.tokens[name], ds.outside[name]
    return sorted(ds.tokens)


def design(ds: Dataset, variants: list[str], parts: list[dict]) -> dict[str, np.ndarray]:
    return {v: features(ds.tokens[v], parts) for v in variants}


def cached_out_of_fold(ds: Dataset, x: dict, train_variants: list[str], args, parts, protocol: str = "loso") -> dict:
    """Out-of-fold raw scores of every scored variant under ``protocol`` (``training.protocols``),
    kept beside the feature cache so calibration and reporting can be redone cheaply."""
    key = f"{args.recipe}-c{args.c:g}-p{args.power:g}-{'-'.join(train_variants)}" + ("" if protocol == "loso" else f"-{protocol}")
    path = OUT_OF_FOLD_DIR / f"{key}.npz"
    shas = np.array([r.sha256 for r in ds.rows])
    if path.exists():
        with np.load(path) as cached:
            if np.array_equal(cached["sha256"], shas) and set(SCORED) <= set(cached.files):
                log(f"reusing {protocol} out-of-fold scores from {path}")
                return {v: cached[v] for v in SCORED}
    folds = loso_folds(ds.sources) if protocol == "loso" else lofo_folds(families_of(ds.rows), ds.sources)
    raw = out_of_fold(x, train_variants, SCORED, ds.labels, ds.sources, folds, args.c, args.power, parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, sha256=shas, **raw)
    return raw


def shortcut_auc(ds: Dataset, variants: list[str], by: str) -> float:
    """AUC of a classifier that sees only format, size and JPEG quality.

    ``by="source"``: leave-one-source-out, as the detector is validated. ``by="cluster"``:
    5 folds grouped by near-duplicate cluster, so sources are shared between folds: this
    asks whether the mix holds ANY label information a model could learn from these
    features, transferable or not.
    """

    def describe(m: dict) -> list[float]:
        fmt = m["format"]
        w, h = m["width"], m["height"]
        return [fmt == "jpeg", fmt == "png", fmt not in ("jpeg", "png"), np.log(w), np.log(h), np.log(w / h), m["jpeg_quality"]]

    x = np.array([describe(m) for v in variants for m in ds.outside[v]], dtype=float)
    y = np.tile(ds.labels, len(variants))
    src = np.tile(ds.sources, len(variants))
    groups = src if by == "source" else np.tile([r.cluster for r in ds.rows], len(variants))
    splits = GroupKFold(len(np.unique(groups)) if by == "source" else 5).split(x, y, groups)
    scores = np.zeros(len(y))
    for train, test in splits:
        model = HistGradientBoostingClassifier(max_iter=100, random_state=SEED)
        model.fit(x[train], y[train], sample_weight=balanced_weights(y[train], src[train], 1.0))
        scores[test] = model.predict_proba(x[test])[:, 1]
    return auc(y, scores)


def family_head(ds: Dataset, x: dict, train_variants: list[str], c: float, parts):
    """Multinomial head over the families we have images of; threshold from grouped CV."""
    fams = [family_of(r) for r in ds.rows]
    rows = np.array([f is not None for f in fams])
    present = [f for f in FAMILY_ORDER if f in set(fams)]
    y_all = np.array([present.index(f) if f else -1 for f in fams])
    clusters = np.array([r.cluster for r in ds.rows])

    def fit(train_rows: np.ndarray):
        y = np.tile(y_all[train_rows], len(train_variants))
        w = np.tile(balanced_weights(y_all[train_rows], clusters[train_rows], 1.0), len(train_variants))
        return fit_linear(stack_train(x, train_rows, train_variants), y, w, parts, c)

    idx = np.flatnonzero(rows)
    probs = np.zeros((len(idx), len(present)))
    for tr, te in GroupKFold(5).split(idx, groups=clusters[idx]):
        head = fit(idx[tr])
        z = decision(head, x["stripped"][idx[te]])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        probs[te] = e / e.sum(axis=1, keepdims=True)
    truth = y_all[idx]
    best, conf = probs.argmax(axis=1), probs.max(axis=1)
    floor = 0.5
    for t in np.arange(0.5, 0.96, 0.05):
        sure = conf >= t
        if sure.any() and (best[sure] == truth[sure]).mean() >= 0.8:
            floor = float(t)
            break
    per_family = {f: float((best[truth == i] == i).mean()) for i, f in enumerate(present)}
    counts = {f: int((truth == i).sum()) for i, f in enumerate(present)}
    report = {
        "families": present,
        "cv": "5-fold grouped by near-duplicate cluster (optimistic: sources are shared across folds)",
        "accuracy": float((best == truth).mean()),
        "recall_by_family": per_family,
        "n_by_family": counts,
        "min_probability": floor,
        "coverage_at_min_probability": float((conf >= floor).mean()),
    }
    return fit(rows), present, floor, report


def region_design(ds: Dataset, variant: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each native crop of one training variant on its own: the heatmap's training set."""
    x = np.concatenate([features(ds.tokens[variant][:, [view]], REGION_PARTS) for view in NATIVE])
    return x, np.tile(ds.labels, len(NATIVE)), np.tile(ds.sources, len(NATIVE))


def region_head(x: np.ndarray, y: np.ndarray, sources: np.ndarray, c: float, power: float):
    """Scores one native-resolution crop: the heatmap's cell score."""
    return fit_linear(x, y, balanced_weights(y, sources, power), REGION_PARTS, c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=3, help="augmented variants per image used for training")
    parser.add_argument("--captions", type=int, default=1, help="captioned variants per image used for training")
    parser.add_argument("--boxes", type=int, default=0, help="fixed-size boxed variants per image used for training")
    parser.add_argument("--box-captions", type=int, default=0, help="boxed and captioned variants used for training")
    parser.add_argument(
        "--natives-from", nargs="*", default=["aug1=box0", "aug2=box1", "cap0=boxcap0"], metavar="VARIANT=BOX",
        help="train on VARIANT's global view with BOX's native crops (see natives_from; no value: off)",
    )
    parser.add_argument("--with-original", action="store_true", help="also train on the untouched image")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="full")
    parser.add_argument("--c", type=float, default=25.0, help="inverse L2 strength of the logistic heads")
    parser.add_argument("--power", type=float, default=0.5, help="source weighting (1: by image count)")
    parser.add_argument("--dry-run", action="store_true", help="validate and print, write nothing")
    add_output_options(parser, SHIPPED)
    args = parser.parse_args()
    output = chosen_output(args, parser, SHIPPED)
    np.random.seed(SEED)
    start = time.perf_counter()

    train_variants = (
        aug_variants(args.k) + caption_variants(args.captions)
        + box_variants(args.boxes) + box_variants(args.box_captions, captioned=True)
        + (["as-is"] if args.with_original else [])
    )
    pairs = [spec.split("=", 1) for spec in args.natives_from]
    train_variants = [next((f"{v}~{box}" for v, box in pairs if v == name), name) for name in train_variants]
    sources_needed = {name for pair in pairs for name in pair}
    variants = sorted(set(train_variants) - {f"{v}~{box}" for v, box in pairs} | set(SCORED) | sources_needed)
    ds, left_out = load_dataset(variants)
    variants = natives_from(ds, pairs, keep=set(train_variants) | set(SCORED))
    parts = RECIPES[args.recipe]
    log(
        f"{len(ds.rows)} images ({int(ds.labels.sum())} AI, {int((1 - ds.labels).sum())} real) "
        f"from {len(set(ds.sources))} sources; {left_out} left out for missing features"
    )
    x = design(ds, variants, parts)
    region_x = region_design(ds, train_variants[0])
    ds.tokens.clear()  # the design matrices hold what is needed from here on
    log(f"recipe {args.recipe}: {x[variants[0]].shape[1]} features; training variants {train_variants}")

    shortcut = {
        f"{mix}_{by}": shortcut_auc(ds, variants_, by)
        for mix, variants_ in (("training_mix", train_variants), ("as_is_files", ["as-is"]))
        for by in ("source", "cluster")
    }
    log("shortcut check, AUC from format/size/JPEG quality alone: " + ", ".join(f"{k} {v:.3f}" for k, v in shortcut.items()))

    raw = cached_out_of_fold(ds, x, train_variants, args, parts)
    calib_raw = np.concatenate([raw["stripped"], raw["degraded"]])
    calib_y = np.tile(ds.labels, 2)
    cx, cy = isotonic(calib_raw, calib_y)
    prob = {v: np.interp(raw[v], cx, cy) for v in SCORED}
    low, high = BAND
    log(f"calibration: isotonic on out-of-fold stripped+degraded scores, {len(cx)} knots; band [{low:.2f}, {high:.2f})")

    groups = ds.groups
    families = [family_of(r) or ("unknown" if r.label == "ai" else r.group) for r in ds.rows]
    results = {}
    for v in SCORED:
        results[v] = summary(ds.labels, prob[v], groups, high, (low, high))
        results[v]["recall_by_family"] = summary(ds.labels, prob[v], families, high)["recall_by_ai_group"]
        results[v]["balanced_accuracy_at_0.5"] = summary(ds.labels, prob[v], groups, 0.5)["balanced_accuracy"]
        r = results[v]
        log(f"LOSO {v:<9} AUC {r['auc']:.4f}  TPR@1%FPR {r['tpr_at_1pct_fpr']:.3f}  TPR@5%FPR {r['tpr_at_5pct_fpr']:.3f}  "
            f"bal.acc@{high:.2f} {r['balanced_accuracy']:.3f}  FPR {r['fpr']:.3f}  uncertain {r['uncertain_share']:.3f}")
    for v in ("stripped", *STRESS_VARIANTS):
        for key in ("recall_by_ai_group", "fpr_by_real_group"):
            log(f"  {v} {key}: " + ", ".join(f"{g} {rate:.2f} (n={n})" for g, (rate, n) in results[v][key].items()))
    per_source = {
        src: {v: float(np.mean((prob[v][ds.sources == src] >= high) == ds.labels[ds.sources == src].astype(bool)))
              for v in EVAL_VARIANTS}
        for src in np.unique(ds.sources)
    }

    held_out = {}  # the pooled figures beside the worst family and real group, stripped (issue #18)
    for protocol, scores in (("loso", raw), ("lofo", cached_out_of_fold(ds, x, train_variants, args, parts, "lofo"))):
        stripped = scores["stripped"]
        held_out[protocol] = held_out_report(ds.labels, stripped, np.interp(stripped, cx, cy), families_of(ds.rows), groups, high)
        log(describe(protocol, held_out[protocol]))

    family, family_names, floor, family_report = family_head(ds, x, train_variants, args.c, parts)
    log(f"family head: {family_names}, grouped-CV accuracy {family_report['accuracy']:.3f}, "
        f"'unknown' below {floor:.2f} (coverage {family_report['coverage_at_min_probability']:.2f})")

    metrics = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "protocol": "leave-one-source-out; calibration and band from out-of-fold stripped+degraded scores",
        "recipe": args.recipe, "parts": parts, "c": args.c, "power": args.power, "train_variants": train_variants,
        "n_images": len(ds.rows), "n_ai": int(ds.labels.sum()), "n_real": int((1 - ds.labels).sum()),
        "sources": sorted(set(ds.sources)), "shortcut_auc": shortcut, "band": [low, high],
        "loso": results, "held_out": held_out, "accuracy_by_source": per_source, "family": family_report,
    }  # fmt: skip
    if output is None:
        log(f"dry run: nothing written ({(time.perf_counter() - start) / 60:.1f} min)")
        return

    all_rows = np.ones(len(ds.rows), bool)
    detector = fit_linear(
        stack_train(x, all_rows, train_variants),
        np.tile(ds.labels, len(train_variants)),
        np.tile(balanced_weights(ds.labels, ds.sources, args.power), len(train_variants)),
        parts,
        args.c,
    )
    region = region_head(*region_x, args.c, args.power)
    training_list = [
        {"sha256": r.sha256, "label": r.label, "group": r.group, "source": r.source_group, "manifest": r.manifest}
        for r in ds.rows
    ]
    version = f"pixels-head-{datetime.now(UTC):%Y%m%d}-{args.recipe}"
    head = Head(
        detector=detector,
        calibration_x=cx,
        calibration_y=cy,
        band=(low, high),
        families=family_names,
        family=family,
        family_min_probability=floor,
        region=region,
        info={
            "version": version,
            "backbone_sha256": ARTIFACTS[BACKBONE].sha256,
            "recipe": args.recipe,
            "n_images": len(ds.rows),
            "loso_auc": {v: round(results[v]["auc"], 4) for v in EVAL_VARIANTS},
        },
    )
    head = dataclasses.replace(head, golden=testcard_scores(load_backbone(Settings()), head))  # the self-check's reference
    head.save(output.head)
    output.training_list.write_text(json.dumps(training_list, indent=0) + "\n")
    output.metrics.write_text(json.dumps(metrics, indent=2) + "\n")
    size = output.head.stat().st_size / 1e6
    log(f"wrote {output.head} ({size:.1f} MB), training manifest and {output.metrics} "
        f"in {(time.perf_counter() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
