"""Train, validate and write the synthetic-face head.

    .venv/bin/python training/faces/train.py [--recipe both] [--c 0.02] [--dry-run]

Reads the faces cached by extract.py. A face's label is its picture's label (every face in
an AI picture was generated; every face in a real one was not).

1. Leave-one-source-out: for each source repository/package, fit on the other sources'
   augmented faces and score the held-out source's faces as they are and degraded.
2. Per-face AUC by face size (how small a face can still be judged) and per-image AUC
   (the most synthetic-looking face of each picture); false positives on real faces.
3. Shortcut check: the same protocol with only face size, detector score and the picture's
   format/size/JPEG quality.
4. Platt calibration of the out-of-fold scores and a flag threshold with 90 % class-balanced
   precision; final fit on every source; writes src/pixelproof/analyzers/weights/faces_head.npz,
   the training manifest and training/faces/metrics.json.
"""

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "data"))

from calibrate import band, platt  # noqa: E402
from extract import EVAL_VARIANTS, FACES_DIR, cache_path  # noqa: E402
from heads import balanced_weights, decision, features, fit_linear  # noqa: E402
from manifests import load_rows  # noqa: E402

from pixelproof.analyzers.faces import BACKBONE, HEAD_PATH, FaceHead  # noqa: E402
from pixelproof.evaluation.metrics import auc, summary  # noqa: E402
from pixelproof.models import ARTIFACTS  # noqa: E402

SEED = 20251121
ALL_LAYERS = list(range(12))
RECIPES = {  # views: 0 = the face with context at 224 px, 1 = native-resolution crop on the face
    "face": [{"views": [0], "pool": "cls", "layers": ALL_LAYERS}],
    "native": [{"views": [1], "pool": "cls", "layers": ALL_LAYERS}, {"views": [1], "pool": "mean", "layers": ALL_LAYERS}],
    "both": [
        {"views": [0], "pool": "cls", "layers": ALL_LAYERS},
        {"views": [1], "pool": "cls", "layers": ALL_LAYERS},
        {"views": [1], "pool": "mean", "layers": ALL_LAYERS},
    ],
}
SIZE_BUCKETS = (32, 48, 64, 96, 128, 256, 100_000)


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Faces:
    """One row per face of one variant."""

    x: np.ndarray  # N × D features (the recipe's parts of the views' CLIP tokens)
    side: np.ndarray  # shorter side of the detector's box, px
    score: np.ndarray  # detector confidence
    image: np.ndarray  # index into rows
    outside: list[dict]  # the picture's format/size/quality


def load_faces(rows, name: str, parts: list[dict]) -> Faces:
    x, side, score, image, outside = [], [], [], [], []
    for i, row in enumerate(rows):
        with np.load(cache_path(row.sha256, name)) as npz:
            meta = json.loads(str(npz["meta"]))
            boxes = npz["boxes"]
            if len(boxes):
                x.append(features(npz["tokens"], parts))
            side.append(np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]))
            score.append(npz["scores"])
            image.append(np.full(len(boxes), i))
            outside += [meta] * len(boxes)
    return Faces(np.concatenate(x), np.concatenate(side), np.concatenate(score), np.concatenate(image), outside)


def shortcut_features(faces: Faces) -> np.ndarray:
    def picture(m: dict) -> list[float]:
        return [m["format"] == "jpeg", m["format"] == "png", np.log(m["width"]), np.log(m["height"]), m["jpeg_quality"]]

    return np.column_stack([np.log(faces.side), faces.score, np.array([picture(m) for m in faces.outside], float)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=2, help="augmented variants used for training")
    parser.add_argument("--with-original", action="store_true", help="also train on the untouched pictures")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="both")
    parser.add_argument("--c", type=float, default=0.02, help="inverse L2 strength of the logistic head")
    parser.add_argument("--power", type=float, default=0.5, help="source weighting (1: by face count)")
    parser.add_argument("--min-side", type=int, default=64, help="smallest face judged, px")
    parser.add_argument("--dry-run", action="store_true", help="validate and print, write nothing")
    parser.add_argument("--metrics", type=Path, default=HERE / "metrics.json")
    args = parser.parse_args()

    train_names = [f"aug{i}" for i in range(args.k)] + (["as-is"] if args.with_original else [])
    names = list(dict.fromkeys([*EVAL_VARIANTS, *train_names]))
    unique, seen = [], set()
    for row in load_rows():
        if row.sha256 not in seen:
            seen.add(row.sha256)
            unique.append(row)
    rows = [r for r in unique if all(cache_path(r.sha256, n).exists() for n in names)]
    log(f"{len(rows)} of {len(unique)} images have every variant cached in {FACES_DIR}")
    parts = RECIPES[args.recipe]
    faces = {n: load_faces(rows, n, parts) for n in names}
    labels = np.array([r.label == "ai" for r in rows], np.int8)
    sources = np.array([r.source_group for r in rows])
    groups = np.array([r.group for r in rows])
    x = {n: faces[n].x for n in names}
    y = {n: labels[faces[n].image] for n in names}
    src = {n: sources[faces[n].image] for n in names}
    for n in names:
        f = faces[n]
        log(f"{n}: {len(f.side)} faces in {len(np.unique(f.image))} images "
            f"({int(y[n].sum())} from AI pictures, {int((1 - y[n]).sum())} from real ones)")  # fmt: skip

    def weights(n: str, mask: np.ndarray) -> np.ndarray:
        """Class-balanced, sources weighted by size**power, each picture's faces sharing one weight."""
        img = faces[n].image[mask]
        per_image = 1.0 / np.bincount(img)[img]
        return balanced_weights(y[n][mask], src[n][mask], args.power) * per_image / per_image.mean()

    # 1. leave-one-source-out
    raw = {n: np.full(len(faces[n].side), np.nan) for n in EVAL_VARIANTS}
    train_min = min(args.min_side, 48)  # also learn from smallish faces; judged from min_side up
    held_out = sorted({s for n in EVAL_VARIANTS for s in src[n]})  # sources with faces to score
    for held in held_out:
        keep = {n: (src[n] != held) & (faces[n].side >= train_min) for n in train_names}
        xt = np.concatenate([x[n][keep[n]] for n in train_names])
        yt = np.concatenate([y[n][keep[n]] for n in train_names])
        if len(np.unique(yt)) < 2:
            continue
        wt = np.concatenate([weights(n, keep[n]) for n in train_names])
        head = fit_linear(xt, yt, wt, parts, args.c)
        for n in EVAL_VARIANTS:
            test = src[n] == held
            if test.any():
                raw[n][test] = decision(head, x[n][test])

    # 2. what the out-of-fold scores say
    judged = {n: faces[n].side >= args.min_side for n in EVAL_VARIANTS}
    calib_raw = np.concatenate([raw[n][judged[n]] for n in EVAL_VARIANTS])
    calib_y = np.concatenate([y[n][judged[n]] for n in EVAL_VARIANTS])
    cx, cy = platt(calib_raw, calib_y)
    prob = {n: np.interp(raw[n], cx, cy) for n in EVAL_VARIANTS}
    _, threshold = band(np.interp(calib_raw, cx, cy), calib_y)
    log(f"flag threshold (90 % class-balanced precision, out of fold): {threshold:.3f}")

    results = {}
    for n in EVAL_VARIANTS:
        j = judged[n]
        face_groups = groups[faces[n].image]
        r = summary(y[n][j], prob[n][j], face_groups[j], threshold)
        by_size = {}
        for lo, hi in pairwise(SIZE_BUCKETS):
            m = (faces[n].side >= lo) & (faces[n].side < hi)
            by_size[f"{lo}-{hi if hi < 100_000 else 'up'}"] = {
                "n_ai": int(y[n][m].sum()), "n_real": int((1 - y[n][m]).sum()), "auc": auc(y[n][m], prob[n][m])}
        per_image = {}
        for i in np.unique(faces[n].image[j]):
            per_image[i] = prob[n][j][faces[n].image[j] == i].max()
        img_idx = np.array(list(per_image))
        r["per_image_auc"] = auc(labels[img_idx], np.array(list(per_image.values())))
        r["per_image_n"] = {"ai": int(labels[img_idx].sum()), "real": int((1 - labels[img_idx]).sum())}
        r["auc_by_face_side"] = by_size
        r["auc_by_source"] = {
            s: auc(y[n][j & (src[n] == s)], prob[n][j & (src[n] == s)]) for s in np.unique(src[n][j])
        }
        results[n] = r
        log(f"LOSO {n:<8} faces: AUC {r['auc']:.3f}  TPR@5%FPR {r['tpr_at_5pct_fpr']:.3f}  "
            f"at {threshold:.2f}: TPR {r['tpr']:.3f} FPR {r['fpr']:.3f}  (n ai {r['n_ai']}, real {r['n_real']}); "
            f"per image AUC {r['per_image_auc']:.3f}")  # fmt: skip
        log("  AUC by face side: " + ", ".join(f"{k} {v['auc']:.3f} ({v['n_ai']}/{v['n_real']})" for k, v in by_size.items()))
        log("  recall by AI group: " + ", ".join(f"{g} {a:.2f} (n={b})" for g, (a, b) in r["recall_by_ai_group"].items()))
        log("  FPR by real group: " + ", ".join(f"{g} {a:.2f} (n={b})" for g, (a, b) in r["fpr_by_real_group"].items()))

    # 3. shortcut check: can size, detector score and file description alone tell the classes apart?
    xs = {n: shortcut_features(faces[n]) for n in names}
    short = {n: np.full(len(faces[n].side), np.nan) for n in EVAL_VARIANTS}
    for held in held_out:
        keep = {n: (src[n] != held) & (faces[n].side >= train_min) for n in train_names}
        yt = np.concatenate([y[n][keep[n]] for n in train_names])
        if len(np.unique(yt)) < 2:
            continue
        model = HistGradientBoostingClassifier(max_iter=100, random_state=SEED)
        model.fit(np.concatenate([xs[n][keep[n]] for n in train_names]), yt,
                  sample_weight=np.concatenate([weights(n, keep[n]) for n in train_names]))  # fmt: skip
        for n in EVAL_VARIANTS:
            test = src[n] == held
            if test.any():
                short[n][test] = model.predict_proba(xs[n][test])[:, 1]
    shortcut = {n: auc(y[n][judged[n]], short[n][judged[n]]) for n in EVAL_VARIANTS}
    log("shortcut check (face size, detector score, file format/size/quality; LOSO AUC): "
        + ", ".join(f"{n} {v:.3f}" for n, v in shortcut.items()))  # fmt: skip

    metrics = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "protocol": "leave-one-source-out over source repositories/packages; faces labelled by their picture; "
        "trained on augmented copies, evaluated as-is and degraded; calibration and threshold out of fold",
        "recipe": args.recipe, "parts": parts, "c": args.c, "power": args.power, "k": args.k, "with_original": args.with_original,
        "min_face_side": args.min_side, "threshold": threshold, "n_images": len(rows),
        "loso": results, "shortcut_auc": shortcut,
    }  # fmt: skip
    if args.dry_run:
        log("dry run: nothing written")
        return

    keep = {n: faces[n].side >= train_min for n in train_names}
    scorer = fit_linear(
        np.concatenate([x[n][keep[n]] for n in train_names]),
        np.concatenate([y[n][keep[n]] for n in train_names]),
        np.concatenate([weights(n, keep[n]) for n in train_names]),
        parts,
        args.c,
    )
    version = f"faces-head-{datetime.now(UTC):%Y%m%d}-{args.recipe}"
    head = FaceHead(
        scorer=scorer,
        calibration_x=cx,
        calibration_y=cy,
        threshold=threshold,
        min_face_side=args.min_side,
        info={
            "version": version,
            "backbone_sha256": ARTIFACTS[BACKBONE].sha256,
            "loso_face_auc": {n: round(results[n]["auc"], 4) for n in EVAL_VARIANTS},
        },
    )
    head.save(HEAD_PATH)
    used = sorted({int(i) for n in train_names for i in faces[n].image[keep[n]]})
    manifest = [{"sha256": rows[i].sha256, "label": rows[i].label, "group": rows[i].group,
                 "source": rows[i].source_group} for i in used]  # fmt: skip
    HEAD_PATH.with_name("faces_head.training.json").write_text(json.dumps(manifest, indent=0) + "\n")
    args.metrics.write_text(json.dumps(metrics, indent=2, default=float) + "\n")
    log(f"wrote {HEAD_PATH} ({HEAD_PATH.stat().st_size / 1e3:.0f} kB), its training manifest and {args.metrics}")


if __name__ == "__main__":
    main()
