"""What every image pays before any model runs: decoding, and building the report.

Generates a 12 MP JPEG (4000×3000, quality 90) with photo-like content (gradients, soft
blobs, sensor-like noise, so it compresses like a photo rather than a flat test card), then
times, after a warm-up, over N runs:

* decode only: sniff, limits, hashes and the full pixel decode (``pixelproof.media.decode``);
* decode + report: ``Engine.analyze`` with only the ``metadata`` analyzer (no models), and
  the report serialised to JSON as an adapter would;
* decode + ``Media.rgb``: the pixel array a model analyzer asks for (computed lazily, so the
  lines above never pay for it).

Run: .venv/bin/python -m benchmarks.decode_overhead [--runs 30] [--warmup 3]
"""

import argparse
import io
import os
import platform
import statistics
import time

import numpy as np
from PIL import Image

from pixelproof.media import decode
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

WIDTH, HEIGHT = 4000, 3000


def photo_like_jpeg(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    gradients = np.stack([x / WIDTH * 180, y / HEIGHT * 160, (x + y) / (WIDTH + HEIGHT) * 120], axis=-1)
    coarse = np.clip(rng.normal(128, 40, (HEIGHT // 50, WIDTH // 50, 3)), 0, 255).astype(np.uint8)
    blobs = np.asarray(Image.fromarray(coarse).resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC), np.float32) - 128
    noise = rng.normal(0, 6, (HEIGHT, WIDTH, 3)).astype(np.float32)
    pixels = np.clip(gradients + blobs + noise + 40, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def timed(name: str, fn, runs: int, warmup: int) -> str:
    """Wall-clock median and p90, plus the median CPU time, which other load on the machine inflates less."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    p90 = statistics.quantiles(wall, n=10)[-1]
    median, median_cpu = statistics.median(wall), statistics.median(cpu)
    return f"{name:<36} median {median:6.1f} ms   p90 {p90:6.1f} ms   (CPU median {median_cpu:6.1f} ms)"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    data = photo_like_jpeg()
    settings = Settings()
    engine = Engine(settings)
    print(f"image: {WIDTH}×{HEIGHT} JPEG q90, {len(data) / 1e6:.2f} MB; {args.runs} runs after {args.warmup} warm-up")
    print(f"machine: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), {cpu_model()}")
    print(f"python {platform.python_version()}, Pillow {Image.__version__}, numpy {np.__version__}")
    print(timed("decode only", lambda: decode(data, settings), args.runs, args.warmup))
    report = lambda: engine.analyze(data, only=["metadata"]).model_dump_json()  # noqa: E731
    print(timed("decode + metadata + report (JSON)", report, args.runs, args.warmup))
    print(timed("decode + Media.rgb (what models add)", lambda: decode(data, settings).rgb, args.runs, args.warmup))
    print(f"load average while measuring: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

if __name__ == "__main__":
    main()
