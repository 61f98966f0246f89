"""Peak memory of one analysis (every analyzer) per decoded pixel, by format and pixel mode.

The server's analysis slots are sized from this figure (``api/admission.py``:
``PEAK_BYTES_PER_PIXEL``). Images at the default ``max_pixels`` (10,000 × 10,000) in the
formats and modes that decode differently (RGBA, 8-bit and 16-bit grey PNG; RGB JPEG, WebP,
AVIF, HEIF and deflated TIFF; a palette GIF and a WebP of two frames each, of which the server
decodes the first), and a 12-megapixel JPEG for the fixed part of the cost, are made by code
in a child process. Then, in a fresh process, the engine is warmed up on a small image (the
models load) and each image is analyzed once, one at a time; for each, the resident set size
before (freed memory given back with ``malloc_trim(0)`` as the server does, and the peak reset
through ``/proc/self/clear_refs``) and its high-water mark during the analysis (VmHWM; Linux
only).

Run: python -m benchmarks.memory [--cases rgba-png,rgb-jpeg,...]
"""

import argparse
import io
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image

from .memory_release import SIDE, make_png
from .process_tree import rss_mb
from .serving import machine


def _gradient(width: int, height: int, mode: str) -> Image.Image:
    """Smooth ramps: quick to make and small to store at 100 megapixels."""
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    if mode == "L":
        return Image.fromarray(y // 2 + x // 2, "L")
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = y, x, 128
    return Image.fromarray(rgb, "RGB")


def _save(image: Image.Image, path: Path, fmt: str, **options) -> None:
    image.save(path, fmt, **options)


def _ramp(fmt: str, mode: str = "RGB", width: int = SIDE, height: int = SIDE, **options) -> Callable[[Path], None]:
    return lambda path: _save(_gradient(width, height, mode), path, fmt, **options)


def _animated(fmt: str, **options) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        first = _gradient(SIDE, SIDE, "RGB")
        second = Image.eval(first, lambda v: 255 - v)
        if fmt == "GIF":
            first, second = first.quantize(64), second.quantize(64)
        _save(first, path, fmt, save_all=True, append_images=[second], duration=200, **options)

    return make


def _grey16(path: Path) -> None:
    ramp = np.linspace(0, 65535, SIDE, dtype=np.uint16)
    _save(Image.fromarray(ramp[:, None] // 2 + ramp[None, :] // 2), path, "PNG")


# name: (what it is, width × height, how it is made)
CASES: dict[str, tuple[str, int, Callable[[Path], None]]] = {
    "rgba-png": ("RGBA PNG", SIDE * SIDE, make_png),
    "rgb-jpeg": ("RGB JPEG", SIDE * SIDE, _ramp("JPEG", quality=90)),
    "grey-png": ("8-bit grey PNG", SIDE * SIDE, _ramp("PNG", "L")),
    "grey16-png": ("16-bit grey PNG", SIDE * SIDE, _grey16),
    "rgb-webp": ("RGB WebP", SIDE * SIDE, _ramp("WEBP", quality=50, method=0)),
    "rgb-avif": ("RGB AVIF", SIDE * SIDE, _ramp("AVIF", quality=50, speed=10)),
    "rgb-heif": ("RGB HEIF", SIDE * SIDE, _ramp("HEIF", quality=50, enc_params={"preset": "ultrafast"})),
    "rgb-tiff": ("RGB TIFF (deflate)", SIDE * SIDE, _ramp("TIFF", compression="tiff_deflate")),
    "animated-gif": ("palette GIF, 2 frames", SIDE * SIDE, _animated("GIF")),
    "animated-webp": ("WebP, 2 frames (RGBA)", SIDE * SIDE, _animated("WEBP", quality=50, method=0)),
    "jpeg-12mp": ("RGB JPEG 4000 × 3000", 4000 * 3000, _ramp("JPEG", width=4000, height=3000)),
}


def reset_peak() -> None:
    """Start VmHWM afresh from the current RSS (Linux ≥ 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure(folder: Path, names: list[str]) -> None:
    from pixelproof.api import memory
    from pixelproof.pipeline import Engine

    engine = Engine()
    small = io.BytesIO()
    Image.new("RGB", (512, 512), (120, 80, 40)).save(small, "PNG")
    engine.analyze(small.getvalue())  # loads the models
    print(f"{'image':<24}{'pixels':>12}{'KB':>9}{'before MB':>11}{'peak MB':>9}{'over MB':>9}{'B/pixel':>9}  analyzers")
    for name in names:
        label, pixels, _ = CASES[name]
        data = (folder / name).read_bytes()
        memory.release()
        reset_peak()
        before = rss_mb()
        report = engine.analyze(data)
        peak = rss_mb("VmHWM")
        processed = sum(s.status == "processed" for s in report.analyzers.values())
        others = {name: s.status for name, s in report.analyzers.items() if s.status != "processed"}
        del report
        memory.release()
        over = peak - before
        print(f"{label:<24}{pixels:>12,}{len(data) // 1024:>9}{before:>11.0f}{peak:>9.0f}{over:>9.0f}"
              f"{over * 2**20 / pixels:>9.1f}  {processed} processed {others or ''}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)  # a child: write the images into this folder
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # a child: analyze the images in this folder
    args = parser.parse_args()
    names = [name for name in args.cases.split(",") if name]
    if unknown := set(names) - set(CASES):
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    if args.make:
        pillow_heif.register_heif_opener()  # Pillow's HEIF writer
        for name in names:
            CASES[name][2](args.make / name)
        return
    if args.measure:
        measure(args.measure, names)
        return
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        for step in ("--make", "--measure"):
            subprocess.run([sys.executable, "-m", __spec__.name, step, folder, "--cases", ",".join(names)], check=True)


if __name__ == "__main__":
    main()
