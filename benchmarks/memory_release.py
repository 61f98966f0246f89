"""How much memory an analysis at ``max_pixels`` leaves held, and what gives it back.

Issue 14: a 389 KB, 10,000 × 10,000 RGBA PNG (exactly the default ``max_pixels``) takes a
server from 0.66 to 2.7 GB peak RSS; three at once leave 1.8 GB held afterwards. This makes
such a PNG, then in a fresh process (so making it costs nothing there): warms the engine up
on a small image, runs ``--concurrent`` analyses of the big one at once in threads (as the
server's analysis slots do), and reports the resident set size (RSS, /proc/self/status):

* before: after the warm-up; peak: the high-water mark (VmHWM) during the analyses;
* after: once every analysis returned and its report was dropped;
* after gc.collect(): whether reference cycles hold anything;
* after malloc_trim(0): what glibc's arenas were keeping (api/memory.py calls it after every
  analysis in the server).

Run: .venv/bin/python -m benchmarks.memory_release [--concurrent 3] [--only metadata,pixels]
"""

import argparse
import gc
import io
import os
import platform
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .process_tree import rss_mb

SIDE = 10_000


def make_png(path: Path) -> None:
    import numpy as np
    from PIL import Image

    y = np.linspace(0, 255, SIDE, dtype=np.uint8)[:, None]
    rgba = np.empty((SIDE, SIDE, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2], rgba[..., 3] = y, y.T, 128, 255
    Image.fromarray(rgba, "RGBA").save(path, "PNG", optimize=True)


def measure(png: Path, concurrent: int, only: list[str] | None) -> None:
    from PIL import Image

    from pixelproof.api import memory
    from pixelproof.pipeline import Engine

    engine = Engine()
    small = io.BytesIO()
    Image.new("RGB", (512, 512), (120, 80, 40)).save(small, "PNG")
    engine.analyze(small.getvalue(), only=only)  # loads the models
    data = png.read_bytes()
    memory.release()
    before = rss_mb()
    with ThreadPoolExecutor(concurrent) as pool:
        reports = list(pool.map(lambda _: engine.analyze(data, only=only), range(concurrent)))
    statuses = {name: s.status for name, s in reports[0].analyzers.items()}
    del reports
    peak, after = rss_mb("VmHWM"), rss_mb()
    gc.collect()
    after_gc = rss_mb()
    memory.release()
    after_trim = rss_mb()
    print(f"analyzers: {statuses}")
    print(f"{concurrent} concurrent analyses of a {len(data) // 1024} KB {SIDE}×{SIDE} RGBA PNG, RSS in MB:")
    for label, value in (
        ("before", before),
        ("peak", peak),
        ("after", after),
        ("after gc.collect()", after_gc),
        ("after malloc_trim(0)", after_trim),
    ):
        print(f"  {label:<22}{value:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrent", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated analyzers (default: all)")
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)  # a child: write the PNG here
    parser.add_argument("--png", type=Path, help=argparse.SUPPRESS)  # a child: measure on this PNG
    args = parser.parse_args()
    if args.make:
        make_png(args.make)
        return
    if args.png:
        measure(args.png, args.concurrent, [name for name in args.only.split(",") if name] or None)
        return
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        png = Path(folder) / "big.png"
        subprocess.run([sys.executable, "-m", __spec__.name, "--make", str(png)], check=True)
        child = [sys.executable, "-m", __spec__.name, "--png", str(png), "--concurrent", str(args.concurrent), "--only", args.only]
        subprocess.run(child, check=True)


if __name__ == "__main__":
    main()
