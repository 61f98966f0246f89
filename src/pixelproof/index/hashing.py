"""Perceptual hashes: bits that survive re-encoding and resizing.

Two hashes of one 256×256 copy of the image: PDQ (256 bits, Meta's hash for near-duplicate
matching, which also rates how much structure the image has to hash) and pHash (64 bits,
exactly what ``imagehash.phash`` computes on that copy). Hashing a fixed-size copy made with
a good filter, rather than the image as it comes, is what keeps a half-size copy within a
few bits of its original (``benchmarks/near_duplicates.py``).
"""

from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image

WORKING_SIDE = 512  # the longest side images are shrunk to before anything else (cheap, enough)
HASHED_SIDE = 256
PDQ_BYTES = 32
PHASH_BYTES = 8
_PHASH_SIZE = 32  # pHash looks at the lowest 8×8 DCT frequencies of a 32×32 grey copy
_n = np.arange(_PHASH_SIZE)
_DCT = np.cos(np.pi * _n[:, None] * (2 * _n[None, :] + 1) / (2 * _PHASH_SIZE))  # DCT-II, unscaled


@dataclass(frozen=True)
class Fingerprint:
    pdq: bytes  # 32 bytes, bits packed most significant first
    pdq_quality: int  # 0-100, PDQ's gradient measure: flat images (low quality) hash unreliably
    phash: bytes  # 8 bytes


def working_copy(rgb: np.ndarray) -> Image.Image:
    """H×W×3 uint8 pixels as an image of at most ``WORKING_SIDE`` px."""
    image = Image.fromarray(rgb)
    image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.LANCZOS)
    return image


def fingerprint(image: Image.Image) -> Fingerprint:
    square = image.convert("RGB").resize((HASHED_SIDE, HASHED_SIDE), Image.Resampling.LANCZOS)
    bits, quality = pdqhash.compute(np.asarray(square))
    return Fingerprint(pdq=np.packbits(bits.astype(bool)).tobytes(), pdq_quality=int(quality), phash=phash(square))


def phash(image: Image.Image) -> bytes:
    """imagehash's pHash (hash_size 8): the low DCT frequencies above their median."""
    grey = np.asarray(image.convert("L").resize((_PHASH_SIZE, _PHASH_SIZE), Image.Resampling.LANCZOS), np.float64)
    low = (_DCT @ grey @ _DCT.T)[:8, :8]
    return np.packbits(low > np.median(low)).tobytes()
