"""Images made by code for the reliability benchmarks: photo-like pixels in every format the
server accepts, and the hostile shapes of issue 14."""

import io
import random

import numpy as np
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

# Pillow's writer for each format the server accepts (AVIF through Pillow's own plugin, HEIF
# through pillow-heif).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "AVIF", "HEIF")


def photo(rng: random.Random, width: int, height: int) -> Image.Image:
    """Smooth colour fields, edges and grain: compresses and analyzes like a photo, not like noise."""
    gen = np.random.default_rng(rng.getrandbits(32))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = []
    for _ in range(3):
        fx, fy, phase = gen.uniform(0.5, 4, 2).tolist() + [gen.uniform(0, 6.3)]
        field = np.sin(x / width * fx * 6.3 + phase) + np.cos(y / height * fy * 6.3)
        channels.append(110 + 60 * field + gen.normal(0, 6, (height, width)))
    pixels = np.stack(channels, axis=-1)
    left, top = rng.randrange(width), rng.randrange(height)  # one hard-edged block
    pixels[top : top + height // 4, left : left + width // 4] = gen.uniform(0, 255, 3)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def thin_strip(width: int, height: int) -> bytes:
    """A valid grey PNG of an extreme aspect ratio (issue 14: a 16 × 30,000 PNG is 4 KB)."""
    return encode(Image.new("L", (width, height), 128), "PNG", optimize=True)
