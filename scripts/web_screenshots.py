"""The screenshots in docs/web.md: the real page, on a real `pixelproof serve --open`, in
Debian's chromium driven by Playwright, after analyzing two pictures made here.

The pictures are synthetic (tests/support/images.py's photo-like scene): one plain PNG, and one
carrying the AUTOMATIC1111 settings Stable Diffusion web UIs write, so the page shows a decided
verdict, the evidence under its headings, the region heatmap and two named reports in the history.
The PNGs are reduced to a 256-colour palette so that each stays a few hundred KB.

Run: PYTHONPATH=src .venv/bin/python scripts/web_screenshots.py [--out docs/images]
Needs the `test` extra (Playwright), /usr/bin/chromium and the models (`pixelproof models fetch`).
"""

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image, PngImagePlugin
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.images import encode, scene  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 600_000  # the first analysis loads the models: minutes on a loaded machine
A1111 = (
    "a lighthouse on a cliff at dusk\nNegative prompt: blurry\n"
    "Steps: 25, Sampler: DPM++ 2M, CFG scale: 6, Seed: 42, Size: 640x448, Model: sd_xl_base_1.0"
)
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def pictures() -> list[tuple[str, bytes]]:
    settings = PngImagePlugin.PngInfo()
    settings.add_text("parameters", A1111)
    return [
        ("meadow.png", encode(scene(640, 448, seed=5), "PNG")),
        ("lighthouse.png", encode(scene(640, 448, seed=11), "PNG", pnginfo=settings)),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """``pixelproof serve --open`` on a free port and an empty data folder, once it is healthy."""
    port = free_port()
    command = [sys.executable, "-m", "pixelproof", "serve", "--open", "--port", str(port), "--data-dir", str(data_dir)]
    # The first analysis loads the models: on a busy machine, longer than the default time budget.
    env = {**os.environ, "PIXELPROOF_TIME_BUDGET_S": str(WAIT_MS // 1000)}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"pixelproof serve did not start (exit status {process.poll()})")


def analyze(page: Page, name: str, data: bytes) -> None:
    """Picks the file and waits until the history lists its report (or the page shows an error)."""
    page.locator("#file").set_input_files({"name": name, "mimeType": "image/png", "buffer": data})
    error = page.locator("#error:not([hidden])")
    expect(page.locator(".history-name", has_text=name).or_(error).first).to_be_visible(timeout=WAIT_MS)
    if error.is_visible():
        raise SystemExit(f"{name}: {error.inner_text()}")


def save_small(png: bytes, path: Path) -> None:
    """A 256-colour palette PNG: the page's flat colours survive it, and the file shrinks ~4×."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)
    print(f"{path}: {image.width}×{image.height}, {path.stat().st_size / 1024:.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir, sync_playwright() as playwright:
        process, base_url = serve(Path(data_dir))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page(viewport=DESKTOP)
            page.goto(base_url + "/")
            for name, data in pictures():
                analyze(page, name, data)
            page.evaluate("window.scrollTo(0, 0)")
            save_small(page.screenshot(full_page=True), args.out / "web-desktop.png")
            # The same page at a phone's width (its layout follows the width): what the screen shows
            # once the answer has arrived and the page has moved to it.
            page.set_viewport_size(PHONE)
            page.locator("#result").evaluate("(result) => result.scrollIntoView()")
            save_small(page.screenshot(), args.out / "web-phone.png")
        finally:
            browser.close()
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
