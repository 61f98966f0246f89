"""Extract and cache CLIP features for every development image and variant.

    python -m training.extract_features [--k 3] [--boxes 2] [--box-captions 1] [--captions 1] [--limit N] [--workers 2]
    [--model OTHER.onnx --out DIR [--same-images-as FEATURES_DIR]]

Per image: K augmented training variants (augment.py, the same distribution for both
classes), M captioned ones (a meme caption, then the same augmentation; synthetic.py), the
three evaluation variants (as-is, stripped, degraded) and the video-still stress test
(frame). Cached in FEATURES_DIR (training/locations.py: $PIXELPROOF_FEATURES_DIR, else
$PIXELPROOF_DEVDATA/features, else ../devdata/features), so a re-run only computes what is
missing. Prints a time estimate after the first images.

The shipped recipe (train.py ``--natives-from``) takes only the global view of aug1, aug2
and cap0 and only the native crops of the boxes, so by default only those views are run
(``--global-only``, ``--natives-only``); the skipped views are stored as NaN, so a recipe
that reads one fails loudly instead of training on zeros. Pass the options empty for all.
"""

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from pixelproof.models.clip import BACKBONE, VIEWS, ClipBackbone, views
from pixelproof.evaluation.variants import variant
from pixelproof.media import decode
from pixelproof.models import load_path
from pixelproof.settings import HARD_MAX_PIXELS, HARD_MAX_UPLOAD_BYTES, Settings

from .augment import augment, boxed, describe, jpeg_quality
from .dataset import all_rows
from .features import ALL_VARIANTS, EVAL_VARIANTS, FEATURES_DIR, STRESS_VARIANTS, aug_variants, box_variants, cache_path, caption_variants, holds_tokens, save
from .synthetic import caption

SEED = 20251121
SETTINGS = Settings(max_upload_bytes=HARD_MAX_UPLOAD_BYTES, max_pixels=HARD_MAX_PIXELS)
ALL_VIEWS = list(range(len(VIEWS)))
_backbone: ClipBackbone | None = None


def _init_worker(model_path: str) -> None:
    global _backbone
    _backbone = ClipBackbone(Path(model_path), threads=1)


def _outside(media) -> dict:
    return describe(media.meta.format, media.meta.width, media.meta.height, jpeg_quality(media.image))


def variant_pixels(name: str, data: bytes, original, sha: str) -> tuple[np.ndarray, dict]:
    """The pixels and outside description of one variant of an image (seeded per image)."""
    if name in ALL_VARIANTS:
        media = decode(variant(name, data, SETTINGS), SETTINGS)
        return media.rgb, _outside(media)
    if name.startswith("box"):
        captioned = name.startswith("boxcap")
        index = int(name.removeprefix("boxcap" if captioned else "box"))
        rng = np.random.default_rng([SEED, int(sha[:16], 16), 2000 + index + 1000 * captioned])
        return boxed(original.rgb, rng, caption if captioned else None)
    captioned = name.startswith("cap")
    index = int(name.removeprefix("cap" if captioned else "aug"))
    rng = np.random.default_rng([SEED, int(sha[:16], 16), index + 1000 * captioned])
    rgb = np.asarray(caption(Image.fromarray(original.rgb), rng)) if captioned else original.rgb
    return augment(rgb, original.meta.format, jpeg_quality(original.image), rng)


def tokens_of(rgb: np.ndarray, run_views: list[int]) -> np.ndarray:
    """views × 2 × 12 × 768 tokens; views not in ``run_views`` are NaN (never computed)."""
    crops = views(rgb)
    computed = _backbone.tokens([crops[i] for i in run_views])
    out = np.full((len(crops), *computed.shape[1:]), np.nan, dtype=np.float32)
    out[run_views] = computed
    return out


def extract_one(job: tuple[str, str, list[str], str, dict]) -> tuple[str, int]:
    """Compute the missing variants of one image; returns (sha, how many were computed)."""
    path, sha, wanted, root, partial = job
    root = Path(root)
    data = Path(path).read_bytes()
    original = decode(data, SETTINGS)
    done = 0
    for name in wanted:
        rgb, meta = variant_pixels(name, data, original, sha)
        # as-is and stripped usually have the same pixels: compute one, point the other at it
        other = {"stripped": "as-is", "as-is": "stripped"}.get(name)
        if other and holds_tokens(cache_path(sha, other, root)) and np.array_equal(rgb, original.rgb):
            same = rgb if other == "as-is" else variant_pixels(other, data, original, sha)[0]
            if np.array_equal(same, original.rgb):
                save(cache_path(sha, name, root), None, meta, same_as=other)
                continue
        save(cache_path(sha, name, root), tokens_of(rgb, partial.get(name, ALL_VIEWS)), meta)
        done += 1
    return sha, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=3, help="augmented variants per image")
    parser.add_argument("--captions", type=int, default=1, help="captioned (meme-like) variants per image")
    parser.add_argument("--boxes", type=int, default=2, help="fixed-size boxed variants (augment.boxed) per image")
    parser.add_argument("--box-captions", type=int, default=1, help="boxed and captioned variants per image")
    parser.add_argument("--eval-variants", nargs="*", default=list(EVAL_VARIANTS) + list(STRESS_VARIANTS), help="scored variants to compute")
    parser.add_argument("--global-only", nargs="*", default=["aug1", "aug2", "cap0"], help="variants whose global view alone is run")
    parser.add_argument("--natives-only", nargs="*", default=["box0", "box1", "boxcap0"], help="variants whose native crops alone are run")
    parser.add_argument("--limit", type=int, default=0, help="only the first N images (for timing)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=FEATURES_DIR)
    parser.add_argument("--same-images-as", type=Path, help="only images whose every wanted variant is cached in this other folder (a paired comparison)")
    parser.add_argument("--model", type=Path, help="another CLIP graph, to compare arithmetics (benchmarks.views --against); use with --out")
    args = parser.parse_args()
    if args.model and args.out == FEATURES_DIR:
        parser.error("--model needs its own --out: the shipped graph's cache must not mix with another's")

    model = args.model or load_path(BACKBONE, Settings())
    partial = {name: [0] for name in args.global_only} | {name: ALL_VIEWS[1:] for name in args.natives_only}
    wanted_all = (
        [v for v in ALL_VARIANTS if v in args.eval_variants]  # as-is first: stripped may alias it
        + aug_variants(args.k) + caption_variants(args.captions)
        + box_variants(args.boxes) + box_variants(args.box_captions, captioned=True)
    )
    rows = all_rows()
    seen, jobs = set(), []
    for row in rows:
        if row.sha256 in seen:
            continue
        seen.add(row.sha256)
        if args.same_images_as and not all(cache_path(row.sha256, v, args.same_images_as).exists() for v in wanted_all):
            continue
        wanted = [v for v in wanted_all if not cache_path(row.sha256, v, args.out).exists()]
        if wanted:
            jobs.append((str(row.path), row.sha256, wanted, str(args.out), partial))
    np.random.default_rng(SEED).shuffle(jobs)  # any prefix is a fair sample to experiment on early
    if args.limit:
        jobs = jobs[: args.limit]
    print(f"{len(seen)} images, {len(jobs)} with variants to compute, {len(wanted_all)} variants each", flush=True)

    start, computed = time.perf_counter(), 0
    with ProcessPoolExecutor(args.workers, initializer=_init_worker, initargs=(str(model),)) as pool:
        for i, (_, n) in enumerate(pool.map(extract_one, jobs, chunksize=1), 1):
            computed += n
            if i == 20 or i % 50 == 0 or i == len(jobs):
                elapsed = time.perf_counter() - start
                eta = elapsed / i * (len(jobs) - i)
                print(f"[{i}/{len(jobs)}] {computed} variants, {elapsed / 60:.1f} min, ETA {eta / 60:.1f} min", flush=True)
    print(f"done: {computed} variants in {(time.perf_counter() - start) / 60:.1f} min into {args.out}")


if __name__ == "__main__":
    main()
