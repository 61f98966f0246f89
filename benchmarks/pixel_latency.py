"""Pixel analyzer latency on this machine: p50/p90 per image, end to end through the engine.

    .venv/bin/python -m benchmarks.pixel_latency [--images 40] [--threads N]

Images are generated (photo-like, 512 px to 12 MP, JPEG and PNG), so the benchmark runs
anywhere; the model cache must hold the CLIP model (`pixelproof models fetch`).
"""

import argparse
import io
import time

import numpy as np
from PIL import Image

from pixelproof.models.runtime import cpu_description
from pixelproof.pipeline import Engine
from pixelproof.settings import Settings

SIZES = ((512, 512), (1024, 768), (2048, 1536), (4000, 3000))


def photo(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    small = rng.uniform(0, 255, (height // 32 + 2, width // 32 + 2, 3)).astype(np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    noisy = np.asarray(image, dtype=np.int16) + rng.integers(-6, 7, (height, width, 3))
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=40)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    engine = Engine(Settings())
    samples = []
    for i in range(args.images):
        buf = io.BytesIO()
        photo(*SIZES[i % len(SIZES)], rng).save(buf, "JPEG" if i % 2 else "PNG", quality=90)
        samples.append(buf.getvalue())
    engine.analyze(samples[0], only=["pixels"])  # load the model: not part of per-image latency
    by_size: dict[tuple[int, int], list[float]] = {}
    analyzer_ms, total_ms = [], []
    for i, data in enumerate(samples):
        start = time.perf_counter()
        report = engine.analyze(data, only=["pixels"])
        total_ms.append((time.perf_counter() - start) * 1000)
        analyzer_ms.append(report.analyzers["pixels"].duration_ms)
        by_size.setdefault(SIZES[i % len(SIZES)], []).append(total_ms[-1])
    print(f"cpu: {cpu_description()}; images: {len(samples)}")
    print(f"pixels analyzer: p50 {np.percentile(analyzer_ms, 50):.0f} ms, p90 {np.percentile(analyzer_ms, 90):.0f} ms")
    print(f"decode + analyzer + fusion: p50 {np.percentile(total_ms, 50):.0f} ms, p90 {np.percentile(total_ms, 90):.0f} ms")
    for (w, h), times in by_size.items():
        print(f"  {w}x{h}: p50 {np.percentile(times, 50):.0f} ms")


if __name__ == "__main__":
    main()
