"""Time of the provenance analyzers per image (issue target: ≤ 30 ms p50 together on 2 cores).

Decodes each file once, then times every provenance analyzer on the decoded media, over:

* the real-world fixtures in ../shared/fixtures (C2PA, generator metadata, watermarks,
  awkward formats) — the files where these analyzers have the most to read;
* camera-like JPEGs generated here (1 MP and 12 MP) — the common case with nothing to find.

The exiftool deep report is off by default and measured separately with ``--exiftool``.

Run: .venv/bin/python -m benchmarks.provenance [--rounds 3] [--exiftool]
"""

import argparse
import csv
import io
import statistics
import time

import numpy as np
from PIL import Image

from pixelproof.media import decode
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings
from training.locations import SHARED_FIXTURES as FIXTURES

PROVENANCE = ["c2pa", "metadata", "generator_text", "watermark"]


def camera_like_jpeg(width: int, height: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (height // 40, width // 40, 3), dtype=np.uint8)
    pixels = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), np.int16)
    pixels = np.clip(pixels + rng.normal(0, 5, pixels.shape), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[271], exif[272] = "Canon", "Canon EOS 5D Mark IV"
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def corpus() -> dict[str, list[bytes]]:
    sets = {
        "camera-like JPEG 1 MP": [camera_like_jpeg(1200, 900, s) for s in range(8)],
        "camera-like JPEG 12 MP": [camera_like_jpeg(4000, 3000, s) for s in range(4)],
    }
    manifest = FIXTURES / "manifest.csv"
    if manifest.exists():
        with manifest.open(newline="") as f:
            sets["shared fixtures"] = [(FIXTURES / row["path"]).read_bytes() for row in csv.DictReader(f)]
    else:
        print(f"(no {manifest}: fixture timings skipped)")
    return sets


def measure(engine: Engine, files: list[bytes], names: list[str], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in names + ["together"]}
    for data in files:
        try:
            media = decode(data, engine.settings)
        except Exception:
            continue  # refused at the door: no analyzer runs on it
        for name in names:  # warm-up: library loads and lazy pixel arrays are not per-image costs
            engine.run_analyzer(name, media)
        for _ in range(rounds):
            total = 0.0
            for name in names:
                start = time.perf_counter()
                engine.run_analyzer(name, media)
                took = (time.perf_counter() - start) * 1000
                times[name].append(took)
                total += took
            times["together"].append(total)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--exiftool", action="store_true", help="also time the exiftool deep report")
    args = parser.parse_args()
    engine = Engine(Settings(max_upload_bytes=50 * 1024 * 1024, exiftool=args.exiftool))
    for label, files in corpus().items():
        times = measure(engine, files, PROVENANCE, args.rounds)
        print(f"\n{label}: {len(files)} files × {args.rounds} rounds (ms per image)")
        for name, values in times.items():
            if values:
                p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
                print(f"  {name:<16} p50 {statistics.median(values):7.2f}   p90 {p90:7.2f}")


if __name__ == "__main__":
    main()
