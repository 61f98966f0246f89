"""Where to put the watermark thresholds: bit accuracies on real images vs. watermarked ones.

Reads every image labelled ``real`` in ../shared/data, ../shared/fixtures and (when present)
../devdata/extra, and prints the highest bit accuracy each payload reaches on them (best
colour order and array type, as the analyzer reports it), then the accuracies on the
watermark fixtures, then the analyzer's time on a 1024×1024 and a 12 MP image. A threshold
is safe when it sits well above every real image and below the fixtures that must match.

    .venv/bin/python -m benchmarks.watermark_threshold [--no-timing]
"""

import argparse
import csv
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from pixelproof.analyzers import NotApplicable
from pixelproof.analyzers.watermark import PAYLOADS, WatermarkAnalyzer
from pixelproof.errors import PixelproofError
from pixelproof.media import decode
from pixelproof.settings import Settings
from training.locations import EXTRA_DIR, SHARED, SHARED_DATA, SHARED_FIXTURES

REAL_SETS = (SHARED_DATA, SHARED_FIXTURES, EXTRA_DIR)
SETTINGS = Settings(max_upload_bytes=50 * 1024 * 1024)
ANALYZER = WatermarkAnalyzer(SETTINGS)


def rows(folder: Path, label: str | None = None, prefix: str = ""):
    manifest = folder / "manifest.csv"
    if not manifest.exists():
        return
    with manifest.open(newline="") as f:
        for row in csv.DictReader(f):
            if (label is None or row["label"] == label) and row["path"].startswith(prefix):
                yield folder / row["path"], row


def accuracies(path: Path) -> dict[str, float] | str:
    """Best bit accuracy per payload, or why the image was not read."""
    try:
        evidence = ANALYZER.analyze(decode(path.read_bytes(), SETTINGS))
    except NotApplicable:
        return "too small"
    except PixelproofError as exc:
        return exc.code
    return {r.payload: r.bit_accuracy for r in evidence.readings}


def real_images() -> None:
    top: dict[str, list[tuple[float, str]]] = defaultdict(list)
    read, skipped = 0, Counter()
    for folder in REAL_SETS:
        for path, _ in rows(folder, "real"):
            result = accuracies(path)
            if isinstance(result, str):
                skipped[result] += 1
                continue
            read += 1
            for name, accuracy in result.items():
                top[name].append((accuracy, str(path.relative_to(folder.parent))))
    print(f"real images read: {read}; not read: {dict(skipped)}")
    for payload in PAYLOADS:
        ranked = sorted(top[payload.name], reverse=True)
        values = [a for a, _ in ranked]
        print(
            f"  {payload.name:6} {payload.bits.size:3} bits: max {values[0]:.3f}  p99 {np.percentile(values, 99):.3f}"
            f"  median {statistics.median(values):.3f}  floor {payload.floor}  threshold {payload.threshold}"
            f"  reals >= floor: {sum(a >= payload.floor for a in values)}"
        )
        for accuracy, where in ranked[:3]:
            print(f"      {accuracy:.3f}  {where}")


def watermark_fixtures() -> None:
    print("watermark fixtures (expect → best reading):")
    for path, row in rows(SHARED / "fixtures", prefix="watermark/"):
        evidence = ANALYZER.analyze(decode(path.read_bytes(), SETTINGS))
        best = max(evidence.readings, key=lambda r: r.bit_accuracy)
        status = "match" if best.matched else "partial" if best.partial else "none"
        print(
            f"  {row['expect']:34} {best.payload:6} {best.bit_accuracy:.3f} {best.colour_order}/{best.array_type}"
            f" {status:7} {path.name}"
        )


def timing(runs: int = 15) -> None:
    """p50 per image; "shared" when the pixel analyzers already made ``media.rgb``."""
    rng = np.random.default_rng(0)
    for width, height in ((1024, 1024), (4000, 3000)):
        data = _png(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        for shared in (True, False):
            times = []
            for _ in range(runs):
                media = decode(data, SETTINGS)
                if shared:
                    _ = media.rgb
                start = time.perf_counter()
                ANALYZER.analyze(media)
                times.append((time.perf_counter() - start) * 1000)
            pixels = "shared" if shared else "converted here"
            print(
                f"  {width}×{height}, pixels {pixels}: p50 {statistics.median(times):.1f} ms, min {min(times):.1f} ms"
            )


def _png(pixels: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    if not (SHARED / "data" / "manifest.csv").exists():
        print(f"{SHARED} is absent: nothing to measure", file=sys.stderr)
        return 1
    real_images()
    watermark_fixtures()
    if not args.no_timing:
        print("analyzer time:")
        timing()
    return 0


if __name__ == "__main__":
    sys.exit(main())
