"""Where to put the quality limits: each measure on the development images and degraded copies.

Reads ../shared/data (and, with ``--extra N``, N random images of ../devdata/extra), makes
degraded copies of every image, runs the quality analyzer on each through the real decoder,
and prints, per copy kind: the distribution of every measure, how often each issue is raised,
how often the image is still called usable, and how well each measure tells the copy from
its original (AUC). Then the analyzer's time per image. The copies:

=========  ===================================================================  =========
copy       how                                                                  saved as
=========  ===================================================================  =========
original   as stored                                                            as is
jpeg30     re-encoded by Pillow (libjpeg) at quality 30                          JPEG q30
small      shrunk to 0.25× (bicubic)                                             PNG
blur1.5    Gaussian blur σ 1.5 px (the strongest blur the detector trains on)    PNG
blur3      Gaussian blur σ 3 px                                                  PNG
noise10    Gaussian noise σ 10 per RGB channel (≈ 6.7 grey levels)               PNG
over       gain ×2 (everything above mid-grey clips)                             PNG
under      black point 64, gain ×0.5 (everything below 64 clips to black)        PNG
=========  ===================================================================  =========

With ``--pixels N`` it also runs the pixel model (``pixelproof models fetch`` first) on the
first N images and their copies, and prints how far its probability moves on each kind of
copy next to the band widening the quality analyzer asks for: the evidence for the size of
``MAX_WIDEN``. (The head was trained on these images, so the shifts are if anything small.)

With ``--brisque DIR`` (needs ``cv2.quality``, i.e. opencv-contrib, and the BRISQUE model
files from Debian's ``opencv-data``: /usr/share/opencv4/quality) it also scores every copy
with BRISQUE at the same working size, to see whether BRISQUE would earn its keep.

    .venv/bin/python -m benchmarks.quality [--extra 300] [--limit N] [--pixels N] [--brisque DIR]
"""

import argparse
import csv
import io
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from pixelproof.analyzers import AnalysisOptions
from pixelproof.analyzers.quality import LIMITS, WORKING_SIDE, QualityAnalyzer, QualityEvidence
from pixelproof.media import decode
from pixelproof.settings import Settings
from training.locations import EXTRA_DIR as EXTRA
from training.locations import SHARED_DATA

SETTINGS = Settings(max_upload_bytes=50 * 1024 * 1024)
ANALYZER = QualityAnalyzer(SETTINGS)
PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
# What each issue reads, and which side of the original the degraded copy should fall on.
MEASURES = {
    "small": ("shorter_side", -1),
    "heavily_compressed": ("jpeg_quality", -1),
    "blurry": ("blur", -1),
    "noisy": ("noise_sigma", +1),
    "overexposed": ("clipped_bright", +1),
    "underexposed": ("clipped_dark", +1),
}


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def copies(data: bytes) -> dict[str, bytes]:
    """The original bytes and the degraded copies, each as a file the decoder reads."""
    rgb = Image.fromarray(decode(data, SETTINGS).rgb)
    pixels = np.asarray(rgb, dtype=np.float32)
    noise = np.random.default_rng(0).normal(0, 10, pixels.shape)

    def png(array: np.ndarray) -> bytes:
        return encode(Image.fromarray(np.clip(array, 0, 255).round().astype(np.uint8)), "PNG", compress_level=1)

    quarter = (max(16, rgb.width // 4), max(16, rgb.height // 4))
    return {
        "original": data,
        "jpeg30": encode(rgb, "JPEG", quality=30),
        "small": encode(rgb.resize(quarter, Image.Resampling.BICUBIC), "PNG", compress_level=1),
        "blur1.5": encode(rgb.filter(ImageFilter.GaussianBlur(1.5)), "PNG", compress_level=1),
        "blur3": encode(rgb.filter(ImageFilter.GaussianBlur(3)), "PNG", compress_level=1),
        "noise10": png(pixels + noise),
        "over": png(pixels * 2),
        "under": png((pixels - 64) * 0.5),
    }


def images(extra: int, limit: int | None) -> list[tuple[Path, str]]:
    found = []
    for folder, sample in ((SHARED_DATA, None), (EXTRA, extra)):
        manifest = folder / "manifest.csv"
        if not manifest.exists() or sample == 0:
            continue
        with manifest.open(newline="") as f:
            rows = list(csv.DictReader(f))
        if sample is not None:
            picks = np.random.default_rng(0).choice(len(rows), min(sample, len(rows)), replace=False)
            rows = [rows[i] for i in sorted(picks)]
        found += [(folder / row["path"], row["label"]) for row in rows]
    return spread(found, limit) if limit else found


def spread(items: list, count: int) -> list:
    """``count`` items evenly spaced over the list (the manifests are sorted by group)."""
    return items[:: max(1, len(items) // count)][:count]


def auc(originals: list[float], degraded: list[float], direction: int) -> float:
    """P(a degraded copy is worse than an original on this measure), ties counting half."""
    a, b = np.asarray(originals) * direction, np.asarray(degraded) * direction
    return float((b[:, None] > a[None, :]).mean() + 0.5 * (b[:, None] == a[None, :]).mean())


class Brisque:
    """OpenCV-contrib's BRISQUE on the same grey working copy size the analyzer uses."""

    def __init__(self, model_dir: Path):
        import cv2

        self.cv2 = cv2
        self.model = cv2.quality.QualityBRISQUE_create(
            str(model_dir / "brisque_model_live.yml"), str(model_dir / "brisque_range_live.yml")
        )

    def __call__(self, data: bytes) -> tuple[float, float]:
        rgb = decode(data, SETTINGS).rgb
        height, width = rgb.shape[:2]
        scale = min(1.0, WORKING_SIDE / min(height, width))
        bgr = self.cv2.resize(rgb[:, :, ::-1], (round(width * scale), round(height * scale)), interpolation=3)
        start = time.perf_counter()
        score = float(self.model.compute(bgr)[0])
        return score, (time.perf_counter() - start) * 1000


def measure(found, brisque: Brisque | None):
    results: dict[str, list[tuple[str, QualityEvidence]]] = defaultdict(list)
    brisque_scores: dict[str, list[float]] = defaultdict(list)
    times: list[tuple[float, float, float]] = []  # (megapixels, wall ms, CPU ms) of originals
    for path, label in found:
        for kind, data in copies(path.read_bytes()).items():
            media = decode(data, SETTINGS)
            start, cpu = time.perf_counter(), time.process_time()
            evidence = ANALYZER.analyze(media)
            if kind == "original":
                times.append((evidence.megapixels, *elapsed(start, cpu)))
            results[kind].append((label, evidence))
            if brisque:
                score, ms = brisque(data)
                brisque_scores[kind].append(score)
                brisque_scores["time_ms"].append(ms)
    return results, brisque_scores, times


def report(results, brisque_scores) -> None:
    originals = [e for _, e in results["original"]]
    print(f"\n{len(originals)} images; limits: " + ", ".join(f"{k} {v.fine}→{v.useless}" for k, v in LIMITS.items()))
    print("\n## measure percentiles (" + ", ".join(f"p{p}" for p in PERCENTILES) + ")")
    for field, _ in MEASURES.values():
        print(f"\n{field}:")
        for kind, rows in results.items():
            values = [getattr(e, field) for _, e in rows if getattr(e, field) is not None]
            if values:
                cells = " ".join(f"{v:9.4g}" for v in np.percentile(values, PERCENTILES))
                print(f"  {kind:9s} n={len(values):4d} {cells}")
    print("\n## share of images with each issue, usable, widen_band (mean / max)")
    print("  " + " " * 16 + " ".join(f"{i[:11]:>11s}" for i in MEASURES) + "  usable  widen")
    for kind, rows in results.items():
        for label in ("all", "ai", "real"):
            chosen = [e for lab, e in rows if label in ("all", lab)]
            if not chosen or (kind != "original" and label != "all"):
                continue
            shares = " ".join(f"{np.mean([i in e.issues for e in chosen]):11.1%}" for i in MEASURES)
            usable = np.mean([e.usable for e in chosen])
            widen = [e.widen_band for e in chosen]
            print(f"  {kind + ' ' + label:16s}{shares} {usable:6.1%}  {np.mean(widen):.3f}/{max(widen):.3f}")
    print("\n## AUC: the measure tells the copy from its original (1 = always worse, 0.5 = chance)")
    for kind, rows in results.items():
        if kind == "original":
            continue
        cells = []
        for field, direction in MEASURES.values():
            pairs = [(getattr(o, field), getattr(d, field)) for o, (_, d) in zip(originals, rows, strict=True)]
            pairs = [(o, d) for o, d in pairs if o is not None and d is not None]
            cells.append(f"{field} {auc(*zip(*pairs), direction):.3f}" if pairs else f"{field} -")
        if brisque_scores:
            cells.append(f"BRISQUE {auc(brisque_scores['original'], brisque_scores[kind], +1):.3f}")
        print(f"  {kind:9s} " + ", ".join(cells))
    if brisque_scores:
        ms = brisque_scores["time_ms"]
        print(
            f"\nBRISQUE time at the working size: p50 {np.percentile(ms, 50):.1f} ms, p90 {np.percentile(ms, 90):.1f} ms"
        )


def scale_consistency(limit: int = 60) -> None:
    """Large photos vs. the same photos stored at the working size: does blur read the same?"""
    manifest = EXTRA / "manifest.csv"
    if not manifest.exists():
        return
    with manifest.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if min(int(r["width"]), int(r["height"])) >= 3 * WORKING_SIDE]
    ratios, flagged_large, flagged_small = [], 0, 0
    for row in rows[:limit]:
        media = decode((EXTRA / row["path"]).read_bytes(), SETTINGS)
        large = ANALYZER.analyze(media)
        image = Image.fromarray(media.rgb)
        scale = WORKING_SIDE / min(image.size)
        stored = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        small = ANALYZER.analyze(decode(encode(stored, "PNG", compress_level=1), SETTINGS))
        ratios.append(large.blur / max(small.blur, 1e-9))
        flagged_large += "blurry" in large.issues
        flagged_small += "blurry" in small.issues
    if ratios:
        cells = ", ".join(
            f"p{p} {v:.2f}" for p, v in zip((10, 50, 90), np.percentile(ratios, (10, 50, 90)), strict=True)
        )
        print(f"\n## blur of {len(ratios)} images of {EXTRA} with shorter side >= {3 * WORKING_SIDE} px,")
        print(f"## as stored vs. the same image stored at {WORKING_SIDE} px (Lanczos): ratio {cells}")
        print(f"   flagged blurry: {flagged_large} as stored, {flagged_small} at {WORKING_SIDE} px")


def pixel_shifts(found, count: int) -> None:
    """How far the pixel model's P(AI) moves when an image is degraded, per kind of copy."""
    from pixelproof.analyzers.pixels import PixelAnalyzer

    model = PixelAnalyzer(SETTINGS)
    shifts: dict[str, list[float]] = defaultdict(list)
    flips: dict[str, list[bool]] = defaultdict(list)
    widen: dict[str, list[float]] = defaultdict(list)
    for path, _ in spread(found, count):
        scored = {}
        for kind, data in copies(path.read_bytes()).items():
            media = decode(data, SETTINGS)
            scored[kind] = model.analyze(media, AnalysisOptions(heatmap=False))
            widen[kind].append(ANALYZER.analyze(media).widen_band)
        for kind, evidence in scored.items():
            shifts[kind].append(abs(evidence.ai_probability - scored["original"].ai_probability))
            flips[kind].append(evidence.label != scored["original"].label)
    band = scored["original"].uncertain_band
    print(f"\n## pixel model on {count} images and their copies (band {band[0]:.2f}-{band[1]:.2f})")
    print("  copy       |dP(AI)| p50    p90   label changed   quality widen_band mean")
    for kind, moved in shifts.items():
        if kind == "original":
            continue
        p50, p90 = np.percentile(moved, (50, 90))
        print(f"  {kind:9s} {p50:10.3f} {p90:6.3f} {np.mean(flips[kind]):14.1%} {np.mean(widen[kind]):22.3f}")


def elapsed(start: float, cpu: float) -> tuple[float, float]:
    """Wall and CPU milliseconds since ``start`` and ``cpu`` (CPU time is ours alone on a busy machine)."""
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def timing(times: list[tuple[float, float, float]]) -> None:
    print("\n## analyzer time per original image (decoded media in, evidence out): p50 / p90")
    for name, low, high in (("< 0.5 MP", 0, 0.5), ("0.5-2 MP", 0.5, 2), (">= 2 MP", 2, 1e9)):
        chosen = [(wall, cpu) for mp, wall, cpu in times if low <= mp < high]
        if chosen:
            wall, cpu = np.percentile(chosen, (50, 90), axis=0).T
            print(
                f"  {name:9s} n={len(chosen):4d} wall {wall[0]:5.2f} / {wall[1]:5.2f} ms, CPU {cpu[0]:5.2f} / {cpu[1]:5.2f} ms"
            )
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 255, (75, 100, 3), dtype=np.uint8)
    pixels = np.asarray(Image.fromarray(coarse).resize((4000, 3000), Image.Resampling.BICUBIC), np.float32)
    photo = Image.fromarray(np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255).astype(np.uint8))
    media = decode(encode(photo, "JPEG", quality=90), SETTINGS)
    runs = []
    for _ in range(12):
        start, cpu = time.perf_counter(), time.process_time()
        ANALYZER.analyze(media)
        runs.append(elapsed(start, cpu))
    wall, cpu = (statistics.median(column) for column in zip(*runs[2:], strict=True))
    print(f"  12 MP JPEG q90 (generated), 10 runs after 2 warm-up: wall p50 {wall:.1f} ms, CPU p50 {cpu:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extra", type=int, default=0, help=f"also N random images of {EXTRA}")
    parser.add_argument("--limit", type=int, default=None, help="at most N images in all, evenly spread")
    parser.add_argument("--pixels", type=int, default=0, help="also run the pixel model on N images and copies")
    parser.add_argument("--brisque", type=Path, default=None, help="folder with the BRISQUE .yml model files")
    args = parser.parse_args()
    found = images(args.extra, args.limit)
    if not found:
        raise SystemExit(f"no development images found under {SHARED_DATA} or {EXTRA}")
    results, brisque_scores, times = measure(found, Brisque(args.brisque) if args.brisque else None)
    report(results, brisque_scores)
    scale_consistency()
    if args.pixels:
        pixel_shifts(found, args.pixels)
    timing(times)


if __name__ == "__main__":
    main()
