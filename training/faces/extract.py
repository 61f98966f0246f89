"""Find the faces of every development image and cache their CLIP features.

    python -m training.faces.extract [--k 2] [--limit N]

Per image and variant, BlazeFace runs on the variant's pixels (as the analyzer would see
them), and each face of at least MIN_SIDE px goes through CLIP in ``CACHE_VIEWS``: the
analyzer's native-resolution crop (faces.py ``face_views``) and, for comparison, the face
with context shrunk to 224 px. Variants: ``as-is`` and ``degraded`` for evaluation, and K
augmented copies for training, made with the detector's ``augment`` (one distribution for
both classes: random crop, resize 0.4-1.5×, blur, noise, JPEG q50-100) applied to the whole
image before detection, so a face shrinks, blurs and recompresses with its picture.

Cached in FACES_DIR/<variant>/<sha256>.npz (training/locations.py: $PIXELPROOF_DEVDATA/faces, so
../devdata/faces by default; boxes, scores, tokens, outside
description); a re-run computes only what is missing. One process, as the CPU is shared.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

from pixelproof.analyzers.blazeface import FaceDetector
from pixelproof.analyzers.blazeface import Face
from pixelproof.analyzers.deepfake import BACKBONE, DETECTORS, FACE_VIEWS, face_views
from pixelproof.models.clip import ClipBackbone, global_view
from pixelproof.evaluation.variants import variant
from pixelproof.media import decode
from pixelproof.models import load_path
from pixelproof.settings import HARD_MAX_PIXELS, HARD_MAX_UPLOAD_BYTES, Settings

from ..augment import augment, describe, jpeg_quality
from ..data.manifests import load_rows
from ..locations import FACES_DIR

SEED = 20251121
EVAL_VARIANTS = ("as-is", "degraded")
MIN_SIDE = 32  # px; below the analyzer's minimum, kept to measure how AUC falls with size
MAX_FACES = 4  # largest faces per image: a crowd must not outweigh a portrait
CONTEXT = 1.6  # the context view: a square this many times the detector's box
CACHE_VIEWS = ("face", *FACE_VIEWS)  # "face" was studied and is not used by the analyzer
SETTINGS = Settings(max_upload_bytes=HARD_MAX_UPLOAD_BYTES, max_pixels=HARD_MAX_PIXELS)


def cache_path(sha256: str, name: str) -> Path:
    return FACES_DIR / name / f"{sha256}.npz"


def variant_pixels(name: str, data: bytes, original) -> tuple[np.ndarray, dict]:
    if name in EVAL_VARIANTS:
        media = decode(variant(name, data, SETTINGS), SETTINGS)
        return media.rgb, describe(media.meta.format, media.meta.width, media.meta.height, jpeg_quality(media.image))
    rng = np.random.default_rng([SEED, int(original.meta.sha256[:16], 16), int(name.removeprefix("aug"))])
    return augment(original.rgb, original.meta.format, jpeg_quality(original.image), rng)


def face_square(box: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """A square around the face with context, moved (not cut) to stay inside the image."""
    x1, y1, x2, y2 = box
    side = min(round(CONTEXT * max(x2 - x1, y2 - y1)), width, height)
    left = min(max(round((x1 + x2 - side) / 2), 0), width - side)
    top = min(max(round((y1 + y2 - side) / 2), 0), height - side)
    return left, top, left + side, top + side


def cache_views(image: Image.Image, face: Face) -> list[Image.Image]:
    """``CACHE_VIEWS``: the face with context shrunk to 224 px (what it depicts), then the analyzer's views."""
    return [global_view(image.crop(face_square(face.box, image.width, image.height))), *face_views(image, face)]


def extract(detector: FaceDetector, backbone: ClipBackbone, rgb: np.ndarray) -> dict[str, np.ndarray]:
    faces = sorted((f for f in detector(rgb).faces if f.side >= MIN_SIDE), key=lambda f: f.side, reverse=True)[:MAX_FACES]
    image = Image.fromarray(rgb)
    tokens = [backbone.tokens(cache_views(image, f)) for f in faces]
    return {
        "boxes": np.array([f.box for f in faces], np.float32).reshape(-1, 4),
        "scores": np.array([f.score for f in faces], np.float32),
        "tokens": (np.stack(tokens) if tokens else np.zeros((0, len(CACHE_VIEWS), 2, 12, 768))).astype(np.float16),
    }


def save(path: Path, arrays: dict, meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, meta=np.array(json.dumps(meta)), **arrays)
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=2, help="augmented variants per image")
    parser.add_argument("--limit", type=int, default=0, help="only the first N images (for timing)")
    args = parser.parse_args()

    detector = FaceDetector(*(load_path(name, Settings()) for name in DETECTORS))
    backbone = ClipBackbone(load_path(BACKBONE, Settings()), threads=2)
    names = list(EVAL_VARIANTS) + [f"aug{i}" for i in range(args.k)]
    seen, jobs = set(), []
    for row in load_rows():
        if row.sha256 in seen:
            continue
        seen.add(row.sha256)
        wanted = [n for n in names if not cache_path(row.sha256, n).exists()]
        if wanted:
            jobs.append((row, wanted))
    np.random.default_rng(SEED).shuffle(jobs)  # any prefix is a fair sample
    jobs = jobs[: args.limit] if args.limit else jobs
    print(f"{len(seen)} images, {len(jobs)} with variants to compute", flush=True)

    start, total_faces = time.perf_counter(), 0
    for i, (row, wanted) in enumerate(jobs, 1):
        data = row.path.read_bytes()
        original = decode(data, SETTINGS)
        for name in wanted:
            rgb, outside = variant_pixels(name, data, original)
            arrays = extract(detector, backbone, rgb)
            total_faces += len(arrays["scores"])
            save(cache_path(row.sha256, name), arrays, outside)
        if i % 50 == 0 or i == len(jobs):
            elapsed = time.perf_counter() - start
            print(f"[{i}/{len(jobs)}] {total_faces} faces, {elapsed / 60:.1f} min, "
                  f"ETA {elapsed / i * (len(jobs) - i) / 60:.1f} min", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
