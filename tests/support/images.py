"""Pictures made here for many test modules: photo-like scenes, and images carrying the invisible
watermark as the Stable Diffusion scripts embed it."""

import io

import cv2
import numpy as np
import pywt
from PIL import Image

from pixelproof.analyzers.watermark import PAYLOADS

BY_NAME = {p.name: p for p in PAYLOADS}


def scene(width: int, height: int, seed: int) -> Image.Image:
    """A smooth, noisy, photo-like picture (sky gradient, blobs, sensor noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    img = np.stack([0.3 + 0.5 * y, 0.5 + 0.3 * y, 0.9 - 0.2 * y], axis=-1)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r**2)[..., None]
        img = img * (1 - blob) + rng.uniform(0, 1, 3) * blob
    img = img * 255 + rng.normal(0, 4, img.shape)
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def photo_like(size: int = 512, seed: int = 0) -> np.ndarray:
    """Colour fields with strong grain: the mark needs texture (on flat areas the largest
    coefficient of a block is a near-tie, and moving it hands the role to another one)."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(40, 216, (12, 12, 3), dtype=np.uint8))
    smooth = np.asarray(coarse.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32)
    return np.clip(smooth + rng.normal(0, 24, smooth.shape), 0, 255).astype(np.uint8)


def png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def embed(bgr: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """invisible-watermark ``EmbedMaxDct`` (scale 36, block 4), on uint8 or float arrays alike.

    U plane → Haar DWT → in each 4×4 LL block, the largest-magnitude coefficient after the
    first is set to ¼ (bit 0) or ¾ (bit 1) of its 36-wide step, keeping its sign.
    """
    yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)
    height, width = bgr.shape[0] // 4 * 4, bgr.shape[1] // 4 * 4
    ll, (horizontal, vertical, diagonal) = pywt.dwt2(yuv[:height, :width, 1], "haar")
    n = 0
    for i in range(ll.shape[0] // 4):
        for j in range(ll.shape[1] // 4):
            block = ll[i * 4 : i * 4 + 4, j * 4 : j * 4 + 4]
            row, col = divmod(1 + int(np.abs(block.ravel()[1:]).argmax()), 4)
            value = block[row, col]
            level = (abs(value) // 36 + 0.25 + 0.5 * bits[n % bits.size]) * 36
            block[row, col] = level if value >= 0 else -level
            n += 1
    # The reference hands the detail bands back in swapped order; only LL carries the mark.
    yuv[:height, :width, 1] = pywt.idwt2((ll, (vertical, horizontal, diagonal)), "haar")
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)


def sd_script(rgb: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """How the Stable Diffusion v1/v2 scripts call it: uint8, true BGR."""
    return embed(np.ascontiguousarray(rgb[:, :, ::-1]), bits)[:, :, ::-1]
