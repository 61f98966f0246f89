"""Train, validate and write the synthetic-face head.

    python -m training.faces.train [--recipe native] [--no-crops] [--c 0.02] (--out DIR | --ship | --dry-run)

Reads the faces cached by extract.py and, unless --no-crops, the pixel detector's cached
native-resolution crops of every development picture (training.extract_features): the
development data has about a thousand AI faces, nine in ten from one gallery, too few on
their own. A face's or crop's label is its picture's label.

1. Leave-one-source-out: for each source repository/package, fit on the other sources'
   augmented faces (and crops) and score the held-out source's faces as they are and degraded.
   Isotonic calibration (the detector's, 50/50 prior) comes from these out-of-fold scores; a
   face is flagged where that probability reaches 0.90 (90 % class-balanced precision).
2. Unseen on both sides: a held-out source has faces of one class only, so (1) compares
   scores of different fold models. Here each fit leaves out one AI source group AND one
   third of the real sources, and the AUC compares the two held-out sets under one model.
3. Shortcut check: (1) with only face size, detector score and the picture's
   format/size/JPEG quality.
4. Final fit on everything; writes the head, its training manifest and metrics.json into
   --out DIR, or with --ship over the shipped ones (src/pixelproof/analyzers/weights/faces_head.npz,
   training/faces/metrics.json). Seeded; prints what it measured.
"""

import argparse
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from pixelproof.analyzers.deepfake import BACKBONE, FACE_VIEWS, HEAD_PATH, FaceHead
from pixelproof.models.clip import VIEWS, vectorize
from pixelproof.evaluation.metrics import auc, summary
from pixelproof.models import ARTIFACTS

from .. import features as pixel_cache
from ..calibrate import BAND, isotonic
from ..data.manifests import load_rows
from ..heads import balanced_weights, decision, fit_linear
from ..locations import FACES_DIR, REPO_ROOT
from ..output import HeadFiles, add_output_options, chosen_output
from .extract import CACHE_VIEWS, EVAL_VARIANTS, cache_path

SEED = 20251121
LAYERS = [1, 3, 5, 7, 9, 11]  # every other layer: texture to meaning, at half the features
RECIPES = {  # in CACHE_VIEWS terms: 0 = the face with context at 224 px, 1 = native-resolution crop
    "face": [{"views": [0], "pool": "cls", "layers": LAYERS}],
    "native": [{"views": [1], "pool": "cls", "layers": LAYERS}, {"views": [1], "pool": "mean", "layers": LAYERS}],
}
PIXEL_NATIVE_VIEWS = [i for i, name in enumerate(VIEWS) if name.startswith("native")]
SHIPPED = HeadFiles(
    HEAD_PATH, HEAD_PATH.with_name("faces_head.training.json"), REPO_ROOT / "training" / "faces" / "metrics.json"
)
AI_GROUPS = {  # for (2): the AI sources with faces, the rest pooled
    "github:songguoxs/gpt4o-image-prompts": "gallery",
    "github:jamez-bondos/awesome-gpt4o-images": "gpt-4o",
    "github:comfyanonymous/ComfyUI_examples": "comfyui",
}
REAL_THIRDS = 3
SIZE_BUCKETS = (32, 48, 64, 96, 128, 256, 100_000)


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Samples:
    """Training or evaluation rows: faces (or crops) with their picture's index."""

    x: np.ndarray  # N × D features
    image: np.ndarray  # index into rows
    side: np.ndarray  # face size in px (crops: 224)
    score: np.ndarray  # detector confidence (crops: 1)
    outside: list[dict]  # the picture's format/size/quality

    def __getitem__(self, mask: np.ndarray) -> "Samples":
        return Samples(self.x[mask], self.image[mask], self.side[mask], self.score[mask],
                       [o for o, m in zip(self.outside, mask, strict=True) if m])  # fmt: skip

    @staticmethod
    def join(parts: list["Samples"]) -> "Samples":
        return Samples(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("x", "image", "side", "score")),
                       [o for p in parts for o in p.outside])  # fmt: skip


def load_faces(rows, name: str, parts: list[dict]) -> Samples:
    x, image, side, score, outside = [], [], [], [], []
    for i, row in enumerate(rows):
        with np.load(cache_path(row.sha256, name)) as npz:
            boxes = npz["boxes"]
            if not len(boxes):
                continue
            meta = json.loads(str(npz["meta"]))
            x += [vectorize(t.astype(np.float32), parts) for t in npz["tokens"]]
            image += [i] * len(boxes)
            side.append(np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]))
            score.append(npz["scores"])
            outside += [meta] * len(boxes)
    return Samples(np.array(x, np.float32), np.array(image), np.concatenate(side), np.concatenate(score), outside)


def load_crops(rows, name: str, parts: list[dict]) -> Samples:
    """The pixel detector's native-resolution crops of every picture, as face-head samples."""
    native_parts = [{**part, "views": [0]} for part in parts]
    x, image, outside = [], [], []
    for i, row in enumerate(rows):
        if not pixel_cache.cache_path(row.sha256, name).exists():
            continue
        tokens, meta = pixel_cache.load(row.sha256, name)
        for view in PIXEL_NATIVE_VIEWS:
            x.append(vectorize(tokens[[view]], native_parts))
            image.append(i)
            outside.append(meta)
    n = len(image)
    return Samples(np.array(x, np.float32), np.array(image), np.full(n, 224.0), np.ones(n), outside)


def runtime_parts(parts: list[dict]) -> list[dict]:
    """The recipe in the analyzer's view order; refuses views the analyzer does not compute."""
    missing = {CACHE_VIEWS[v] for part in parts for v in part["views"]} - set(FACE_VIEWS)
    if missing:
        raise SystemExit(f"the analyzer does not compute the {sorted(missing)} view(s); pick another recipe")
    return [{**part, "views": [FACE_VIEWS.index(CACHE_VIEWS[v]) for v in part["views"]]} for part in parts]


def shortcut_features(s: Samples) -> np.ndarray:
    def picture(m: dict) -> list[float]:
        return [m["format"] == "jpeg", m["format"] == "png", np.log(m["width"]), np.log(m["height"]), m["jpeg_quality"]]

    return np.column_stack([np.log(s.side), s.score, np.array([picture(m) for m in s.outside], float)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=2, help="augmented face variants used for training")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="native")
    parser.add_argument("--no-crops", action="store_true", help="train on faces only")
    parser.add_argument("--crop-variants", default="aug0", help="pixel-cache variants whose crops are added")
    parser.add_argument("--c", type=float, default=0.02, help="inverse L2 strength of the logistic head")
    parser.add_argument("--power", type=float, default=0.5, help="source weighting (1: by sample count)")
    parser.add_argument("--min-side", type=int, default=64, help="smallest face judged, px")
    parser.add_argument("--train-min-side", type=int, default=48, help="smallest face trained on, px")
    parser.add_argument("--dry-run", action="store_true", help="validate and print, write nothing")
    add_output_options(parser, SHIPPED)
    args = parser.parse_args()
    output = chosen_output(args, parser, SHIPPED)
    parts = RECIPES[args.recipe]
    crops_on = not args.no_crops and args.recipe == "native"

    unique, seen = [], set()
    for row in load_rows():
        if row.sha256 not in seen:
            seen.add(row.sha256)
            unique.append(row)
    face_names = [*EVAL_VARIANTS, *(f"aug{i}" for i in range(args.k))]
    rows = [r for r in unique if all(cache_path(r.sha256, n).exists() for n in face_names)]
    log(f"{len(rows)} of {len(unique)} pictures have every face variant cached in {FACES_DIR}")
    labels = np.array([r.label == "ai" for r in rows], np.int8)
    sources = np.array([r.source_group for r in rows])
    groups = np.array([r.group for r in rows])

    faces = {n: load_faces(rows, n, parts) for n in face_names}
    train = Samples.join([faces[f"aug{i}"][faces[f"aug{i}"].side >= args.train_min_side] for i in range(args.k)])
    crops = [load_crops(rows, v, parts) for v in args.crop_variants.split(",")] if crops_on else []
    train = Samples.join([train, *crops])
    test = {n: faces[n][faces[n].side >= args.min_side] for n in EVAL_VARIANTS}
    for n in face_names:
        f = faces[n]
        log(f"{n}: {len(f.side)} faces in {len(np.unique(f.image))} pictures "
            f"({int(labels[f.image].sum())} from AI pictures, {int((1 - labels[f.image]).sum())} from real ones)")
    log(f"training rows: {len(train.side)} ({sum(len(c.side) for c in crops)} detector crops), "
        f"{train.x.shape[1]} features; judged faces ≥ {args.min_side} px")  # fmt: skip

    def fit(mask: np.ndarray):
        sel = train[mask]
        y = labels[sel.image]
        return fit_linear(sel.x, y, balanced_weights(y, sources[sel.image], args.power), parts, args.c)

    # 1. leave-one-source-out
    raw = {n: np.full(len(test[n].side), np.nan) for n in EVAL_VARIANTS}
    every_size = np.full(len(faces["as-is"].side), np.nan)  # as-is faces of any size, for the size curve
    held_out = sorted(set(sources[faces["as-is"].image]) | {s for n in EVAL_VARIANTS for s in sources[test[n].image]})
    for held in held_out:
        head = fit(sources[train.image] != held)
        for n in EVAL_VARIANTS:
            mask = sources[test[n].image] == held
            raw[n][mask] = decision(head, test[n].x[mask])
        mask = sources[faces["as-is"].image] == held
        every_size[mask] = decision(head, faces["as-is"].x[mask])
    y_test = {n: labels[test[n].image] for n in EVAL_VARIANTS}
    cx, cy = isotonic(np.concatenate([raw[n] for n in EVAL_VARIANTS]), np.concatenate([y_test[n] for n in EVAL_VARIANTS]))
    prob = {n: np.interp(raw[n], cx, cy) for n in EVAL_VARIANTS}
    threshold = BAND[1]  # P is the local share of synthetic faces (50/50 prior): flag where it reaches 90 %
    log(f"calibrated on {sum(len(r) for r in raw.values())} out-of-fold face scores; flag at P >= {threshold:.2f}, "
        f"reached by {np.mean(np.concatenate(list(prob.values())) >= threshold):.1%} of them")  # fmt: skip

    results = {}
    for n in EVAL_VARIANTS:
        t, y, p = test[n], y_test[n], prob[n]
        r = summary(y, p, groups[t.image], threshold)
        per_image = {i: p[t.image == i].max() for i in np.unique(t.image)}
        r["per_image_auc"] = auc(labels[list(per_image)], np.array(list(per_image.values())))
        r["per_image_n"] = {"ai": int(labels[list(per_image)].sum()), "real": int((1 - labels[list(per_image)]).sum())}
        results[n] = r
        log(f"LOSO {n:<8} faces: AUC {r['auc']:.3f}  TPR@5%FPR {r['tpr_at_5pct_fpr']:.3f}  "
            f"at {threshold:.2f}: TPR {r['tpr']:.3f} FPR {r['fpr']:.3f}  (n ai {r['n_ai']}, real {r['n_real']}); "
            f"per picture AUC {r['per_image_auc']:.3f}")  # fmt: skip
        log("  recall by AI group: " + ", ".join(f"{g} {a:.2f} (n={b})" for g, (a, b) in r["recall_by_ai_group"].items()))
        log("  FPR by real group: " + ", ".join(f"{g} {a:.2f} (n={b})" for g, (a, b) in r["fpr_by_real_group"].items()))

    # 2. unseen on both sides
    ai_group = np.array([AI_GROUPS.get(s, "other") if lab else "" for s, lab in zip(sources, labels, strict=True)])
    real_sources = sorted({s for s, lab in zip(sources, labels, strict=True) if not lab})
    order = np.random.default_rng(SEED).permutation(len(real_sources))
    third = {real_sources[j]: k % REAL_THIRDS for k, j in enumerate(order)}
    real_third = np.array([third.get(s, -1) if not lab else -1 for s, lab in zip(sources, labels, strict=True)])
    pairs, weighted = {}, []
    t = test["as-is"]
    for a in sorted(set(ai_group) - {""}):
        for g in range(REAL_THIRDS):
            held = (ai_group == a) | (real_third == g)
            mask = held[t.image]
            y = labels[t.image[mask]]
            if not y.any() or y.all():
                continue
            head = fit(~held[train.image])
            value = auc(y, decision(head, t.x[mask]))
            pairs[f"{a} vs real third {g}"] = {"auc": value, "n_ai": int(y.sum()), "n_real": int((1 - y).sum())}
            weighted.append((value, y.sum() * (1 - y).sum()))
    both_sides = float(sum(v * w for v, w in weighted) / sum(w for _, w in weighted))
    log(f"unseen on both sides (as-is faces): pair-weighted AUC {both_sides:.3f}; "
        + ", ".join(f"{k} {v['auc']:.3f} ({v['n_ai']}/{v['n_real']})" for k, v in pairs.items()))  # fmt: skip
    log("  real thirds: " + "; ".join(f"{g}: " + ", ".join(s for s, k in third.items() if k == g) for g in range(REAL_THIRDS)))

    # face size: how small a face can still be judged (LOSO, judged or not)
    by_size = {}
    for lo, hi in pairwise(SIZE_BUCKETS):
        m = (faces["as-is"].side >= lo) & (faces["as-is"].side < hi)
        y = labels[faces["as-is"].image[m]]
        by_size[f"{lo}-{hi if hi < 100_000 else 'up'}"] = {"auc": auc(y, every_size[m]), "n_ai": int(y.sum()), "n_real": int((1 - y).sum())}
    log("LOSO AUC by face side (as-is): " + ", ".join(f"{k} {v['auc']:.3f} ({v['n_ai']}/{v['n_real']})" for k, v in by_size.items()))

    # 3. shortcut check, on faces only
    face_train = Samples.join([faces[f"aug{i}"][faces[f"aug{i}"].side >= args.train_min_side] for i in range(args.k)])
    xs_train = shortcut_features(face_train)
    short = {n: np.full(len(test[n].side), np.nan) for n in EVAL_VARIANTS}
    for held in held_out:
        keep = sources[face_train.image] != held
        y = labels[face_train.image[keep]]
        model = HistGradientBoostingClassifier(max_iter=100, random_state=SEED)
        model.fit(xs_train[keep], y, sample_weight=balanced_weights(y, sources[face_train.image[keep]], args.power))
        for n in EVAL_VARIANTS:
            mask = sources[test[n].image] == held
            if mask.any():
                short[n][mask] = model.predict_proba(shortcut_features(test[n][mask]))[:, 1]
    shortcut = {n: auc(y_test[n], short[n]) for n in EVAL_VARIANTS}
    log("shortcut check (face size, detector score, file format/size/quality; LOSO AUC): "
        + ", ".join(f"{n} {v:.3f}" for n, v in shortcut.items()))  # fmt: skip

    metrics = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "protocol": "faces labelled by their picture; trained on augmented copies (and the pixel detector's "
        "native crops), evaluated as-is and degraded; leave-one-source-out calibration and threshold",
        "recipe": args.recipe, "parts": parts, "crops": crops_on, "crop_variants": args.crop_variants,
        "c": args.c, "power": args.power, "k": args.k, "min_face_side": args.min_side,
        "train_min_face_side": args.train_min_side, "threshold": threshold, "n_pictures": len(rows),
        "loso": results, "unseen_both_sides": {"pair_weighted_auc": both_sides, "pairs": pairs},
        "auc_by_face_side": by_size, "shortcut_auc": shortcut,
    }  # fmt: skip
    if output is None:
        log("dry run: nothing written")
        return

    scorer = replace(fit(np.ones(len(train.side), bool)), parts=runtime_parts(parts))
    head = FaceHead(
        scorer=scorer,
        calibration_x=cx,
        calibration_y=cy,
        threshold=threshold,
        min_face_side=args.min_side,
        info={
            "version": f"faces-head-{datetime.now(UTC):%Y%m%d}-{args.recipe}{'-crops' if crops_on else ''}",
            "backbone_sha256": ARTIFACTS[BACKBONE].sha256,
            "loso_face_auc": {n: round(results[n]["auc"], 4) for n in EVAL_VARIANTS},
            "unseen_both_sides_auc": round(both_sides, 4),
        },
    )
    head.save(output.head)
    used = sorted(set(train.image.tolist()))
    manifest = [{"sha256": rows[i].sha256, "label": rows[i].label, "group": rows[i].group,
                 "source": rows[i].source_group} for i in used]  # fmt: skip
    output.training_list.write_text(json.dumps(manifest, indent=0) + "\n")
    output.metrics.write_text(json.dumps(metrics, indent=2, default=float) + "\n")
    log(f"wrote {output.head} ({output.head.stat().st_size / 1e3:.0f} kB), its training manifest and {output.metrics}")


if __name__ == "__main__":
    main()
