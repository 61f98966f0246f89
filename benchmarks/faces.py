"""Face detection on the development data: recall, false detections, speed; sheets to hand-count.

* Recall where every picture shows a human face (CelebA-HQ portraits, CodeFormer's inputs,
  Barbershop's faces): the share of pictures with at least one face found, as stored and
  degraded (1024 px, JPEG q75).
* False detections where no picture shows a human face (AFHQ cats, dogs and wildlife).
* Time of detection per picture (generated 1 MP and 12 MP scenes, and the face sets) and
  of the whole deepfake analyzer when a head is trained.
* ``--sheet GROUPS`` draws a reproducible random sample with its boxes (red: judged size,
  yellow: smaller) into a PNG outside the repository, for counting faces by eye.

The per-face synthetic-face AUC comes from training/faces/train.py (leave-one-source-out).

Run: .venv/bin/python -m benchmarks.faces [--sheet nano-banana-pro,gpt-4o --n 12 --seed 1 --out /tmp/sheet.png]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from pixelproof.analyzers.blazeface import FaceDetector
from pixelproof.analyzers.deepfake import DETECTORS, HEAD_PATH, DeepfakeAnalyzer, FaceHead
from pixelproof.evaluation.variants import variant
from pixelproof.media import decode
from pixelproof.models import load_path
from pixelproof.settings import HARD_MAX_PIXELS, HARD_MAX_UPLOAD_BYTES, Settings
from training.data.manifests import load_rows

SETTINGS = Settings(max_upload_bytes=HARD_MAX_UPLOAD_BYTES, max_pixels=HARD_MAX_PIXELS)
ALL_FACES = ("faces-celebahq", "faces-codeformer")  # every picture shows one or more human faces
BARBERSHOP_FACES = ("input__face__", "unprocessed__")  # the rest of that group is cats, dogs, wildlife, a painting
NO_FACES = ("animals-afhq",)


def unique_rows(groups) -> list:
    seen, rows = set(), []
    for row in load_rows():
        if row.group in groups and row.sha256 not in seen:
            seen.add(row.sha256)
            rows.append(row)
    return rows


def face_rows() -> list:
    rows = unique_rows(ALL_FACES + ("faces-animals-barbershop",))
    return [r for r in rows if r.group in ALL_FACES or r.path.name.startswith(BARBERSHOP_FACES)]


def pixels(row, name: str) -> np.ndarray:
    return decode(variant(name, row.path.read_bytes(), SETTINGS), SETTINGS).rgb


def timed(fn, rgb) -> tuple[object, float]:
    start = time.perf_counter()
    out = fn(rgb)
    return out, (time.perf_counter() - start) * 1000


def recall(detector: FaceDetector, min_side: int) -> None:
    rows = face_rows()
    if not rows:
        sys.exit("no development data (see training/data/README.md)")
    for name in ("as-is", "degraded"):
        found, large, times = 0, 0, []
        for row in rows:
            scan, ms = timed(detector, pixels(row, name))
            faces = scan.faces
            times.append(ms)
            found += bool(faces)
            large += any(f.side >= min_side for f in faces)
        print(f"recall {name:<8}: {found}/{len(rows)} pictures with a face found ({found / len(rows):.1%}), "
              f"{large} with one of ≥ {min_side} px; detection p50 {statistics.median(times):.0f} ms")  # fmt: skip
    animals = unique_rows(NO_FACES)
    hits = sum(bool(detector(pixels(r, "as-is")).faces) for r in animals)
    print(f"false detections: {hits}/{len(animals)} animal pictures (no human face) with a 'face' found")


def speed(detector: FaceDetector, analyzer: DeepfakeAnalyzer | None) -> None:
    rng = np.random.default_rng(0)
    for width, height in ((1200, 900), (4000, 3000), (300, 12_000), (16, 30_000)):  # and two thin strips
        coarse = rng.integers(0, 255, (max(1, height // 50), max(1, width // 50), 3), np.uint8)
        rgb = np.asarray(Image.fromarray(coarse).resize((width, height)))
        runs = [timed(detector, rgb) for _ in range(5)]
        ms = statistics.median(t for _, t in runs)
        print(f"detection {width}×{height}: p50 {ms:.0f} ms, {runs[0][0].model_runs} model runs")
    if analyzer is None:
        print(f"(no trained head at {HEAD_PATH}: analyzer timing skipped)")
        return
    times, faces = [], 0
    for row in face_rows()[:20]:
        media = decode(row.path.read_bytes(), SETTINGS)
        evidence, ms = timed(analyzer.analyze, media)
        times.append(ms)
        faces += evidence.faces_judged
    print(f"deepfake analyzer on {len(times)} face pictures ({faces} faces judged): "
          f"p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms")  # fmt: skip


def sheet(detector: FaceDetector, groups: list[str], n: int, seed: int, out: Path, min_side: int) -> None:
    rows = unique_rows(groups)
    rows = [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))[:n]]
    cell = 400
    canvas = Image.new("RGB", (4 * cell, -(-len(rows) // 4) * cell), (40, 40, 40))
    for i, row in enumerate(rows):
        rgb = pixels(row, "as-is")
        faces = detector(rgb).faces
        thumb = Image.fromarray(rgb)
        scale = cell / max(thumb.size)
        thumb = thumb.resize((max(1, round(thumb.width * scale)), max(1, round(thumb.height * scale))))
        draw = ImageDraw.Draw(thumb)
        for f in faces:
            draw.rectangle([v * scale for v in f.box], outline=(255, 0, 0) if f.side >= min_side else (255, 255, 0), width=3)
        draw.rectangle((0, 0, 30, 18), fill=(0, 0, 0))
        draw.text((4, 3), str(i), fill=(255, 255, 255))
        canvas.paste(thumb, ((i % 4) * cell, (i // 4) * cell))
        print(f"{i}\t{len(faces)} found\t{sum(f.side >= min_side for f in faces)} ≥ {min_side} px\t{row.group}\t{row.path.name}")
    canvas.save(out)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sheet", help="comma-separated groups to sample for a hand-count sheet")
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/pixelproof-faces-sheet.png"))
    args = parser.parse_args()

    detector = FaceDetector(*(load_path(name, Settings()) for name in DETECTORS))
    loaded = FaceHead.load()
    min_side = loaded[0].min_face_side if loaded else 64
    if args.sheet:
        sheet(detector, args.sheet.split(","), args.n, args.seed, args.out, min_side)
        return
    recall(detector, min_side)
    speed(detector, DeepfakeAnalyzer(Settings()) if loaded else None)


if __name__ == "__main__":
    main()
