"""Training-time degradations, drawn from ONE distribution for both classes.

The development data has shortcuts (AI images are more often PNG, real ones camera JPEGs of
certain sizes). Passing every training image, AI or real, through the same random chain of
crop → resize → blur → noise → JPEG makes format, size and compression carry no label, so
the classifier has to learn something else. ``describe`` records what a sample looks like
from the outside so train.py can prove that no shortcut is left.
"""

import io

import numpy as np
from PIL import Image, ImageFilter

RESAMPLERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)
MIN_SIDE = 64

# IJG standard luminance table (quality 50); quality is estimated by inverting its scaling.
_IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
])  # fmt: skip


def jpeg_quality(image: Image.Image) -> float:
    """Estimated IJG quality of a decoded JPEG (from its luminance table); -1 for other formats."""
    tables = getattr(image, "quantization", None)
    if not tables:
        return -1.0
    luma = np.asarray(tables[min(tables)], dtype=float)
    scale = float(np.mean(luma / _IJG_LUMA) * 100)
    quality = (200 - scale) / 2 if scale <= 100 else 5000 / scale
    return float(np.clip(quality, 1, 100))


def describe(fmt: str, width: int, height: int, quality: float) -> dict:
    return {"format": fmt, "width": width, "height": height, "jpeg_quality": round(quality, 1)}


def augment(rgb: np.ndarray, fmt: str, quality: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """One random degradation of ``rgb``; returns the pixels and how the sample looks outside."""
    image = Image.fromarray(rgb)
    if rng.random() < 0.5:
        fx, fy = rng.uniform(0.5, 1.0, size=2)
        w = max(min(MIN_SIDE, image.width), round(image.width * fx))
        h = max(min(MIN_SIDE, image.height), round(image.height * fy))
        left, top = int(rng.integers(0, image.width - w + 1)), int(rng.integers(0, image.height - h + 1))
        image = image.crop((left, top, left + w, top + h))
    if rng.random() < 0.5:
        scale = float(np.exp(rng.uniform(np.log(0.4), np.log(1.5))))
        scale = max(scale, MIN_SIDE / min(image.size))
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, RESAMPLERS[int(rng.integers(len(RESAMPLERS)))])
    if rng.random() < 0.2:
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.5))))
    if rng.random() < 0.2:
        noisy = np.asarray(image, dtype=np.float32) + rng.normal(0, rng.uniform(1, 6), size=(image.height, image.width, 3))
        image = Image.fromarray(noisy.clip(0, 255).round().astype(np.uint8))
    if rng.random() < 0.7:
        quality = float(rng.integers(50, 101))
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=int(quality))
        image = Image.open(io.BytesIO(buf.getvalue()))
        fmt = "jpeg"
    return np.asarray(image.convert("RGB")), describe(fmt, image.width, image.height, quality)


ASPECTS = (1.0, 4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9, 9 / 16)
BOX_LONG_SIDE = (224, 448)
PNG_SHARE = 0.2


def boxed(rgb: np.ndarray, rng: np.random.Generator, decorate=None) -> tuple[np.ndarray, dict]:
    """One random degradation whose outside (format, size, quality) is drawn independently of
    the image, so it cannot tell the classes apart, unlike ``augment``'s resize relative to
    each image's own size:

    a box of random aspect and long side 224-448 px is cut at random scale (0.4-1.5x, raised
    only as far as needed for the box to fit), optionally decorated (a meme caption), blurred,
    noised, then saved as JPEG q50-100 or, one time in five, as lossless PNG.
    """
    image = Image.fromarray(rgb)
    aspect = ASPECTS[int(rng.integers(len(ASPECTS)))]
    long_side = int(rng.integers(BOX_LONG_SIDE[0], BOX_LONG_SIDE[1] + 1))
    bw, bh = (long_side, round(long_side / aspect)) if aspect >= 1 else (round(long_side * aspect), long_side)
    scale = float(np.exp(rng.uniform(np.log(0.4), np.log(1.5)))) if rng.random() < 0.5 else 1.0
    scale = max(scale, bw / image.width, bh / image.height)
    if scale != 1.0:
        size = (max(bw, round(image.width * scale)), max(bh, round(image.height * scale)))
        image = image.resize(size, RESAMPLERS[int(rng.integers(len(RESAMPLERS)))])
    left, top = int(rng.integers(0, image.width - bw + 1)), int(rng.integers(0, image.height - bh + 1))
    image = image.crop((left, top, left + bw, top + bh))
    if decorate is not None:
        image = decorate(image, rng).resize((bw, bh), Image.Resampling.BICUBIC)
    if rng.random() < 0.2:
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.5))))
    if rng.random() < 0.2:
        noisy = np.asarray(image, dtype=np.float32) + rng.normal(0, rng.uniform(1, 6), size=(bh, bw, 3))
        image = Image.fromarray(noisy.clip(0, 255).round().astype(np.uint8))
    buf = io.BytesIO()
    if rng.random() < PNG_SHARE:
        image.save(buf, "PNG")
        fmt, quality = "png", -1.0
    else:
        quality = float(rng.integers(50, 101))
        image.save(buf, "JPEG", quality=int(quality))
        fmt = "jpeg"
    image = Image.open(io.BytesIO(buf.getvalue()))
    return np.asarray(image.convert("RGB")), describe(fmt, bw, bh, quality)
