"""A numpy-only reader for the ``dwtDct`` mark of the invisible-watermark package.

How the mark is made (invisible-watermark's ``EmbedMaxDct``, scale 36, block 4): the image,
taken as BGR, goes to YUV with OpenCV's coefficients; the U plane gets a one-level Haar DWT;
in every 4×4 block of the LL band (an 8×8 pixel tile) the coefficient of largest magnitude,
the block's first one excluded, is moved to ¼ or ¾ of a 36-wide step, for bit 0 or 1. Bit
``k mod n`` of an ``n``-bit payload goes into the ``k``-th block in row-major order, so the
payload repeats over the whole image and reading it is a majority vote per bit.

Neither OpenCV nor PyWavelets is needed to read it: Haar LL is half the sum of each 2×2
pixel square, and U is linear in R, G, B, so LL(U) is a linear mix of three 2×2 sums. The
embedder's block coefficient of largest magnitude has, by definition, the block's largest
magnitude, so the reader needs a block maximum, not an argmax. Reading in linear floats
skips the encoder's rounding of U to uint8; that moves a coefficient by at most 1 against a
margin of 9, which the majority vote absorbs. Images over a megapixel are read on evenly
spaced tile rows (their numbering kept): over a hundred votes per bit of the longest payload.

Two things differ between embedders and change what the reader must assume (a ``Frame``):
- the colour order: the Stable Diffusion scripts hand OpenCV true BGR, diffusers' SDXL
  watermarker hands it RGB as if it were BGR;
- the array type: uint8 images (SD scripts) get U offset by 128, float images (diffusers,
  Stability's generative-models, BFL's FLUX code) by 0.5. The offset moves every LL
  coefficient by a constant, which changes signs, the largest magnitude and the residue
  modulo 36, so a mark read under the wrong offset comes out partly inverted.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

SCALE = 36.0
TILE = 8  # pixels per side of one 4×4 LL block
# OpenCV's BGR→YUV U row: U = 0.492111·(B − Y) + offset, Y = 0.299 R + 0.587 G + 0.114 B.
_U_FROM_RGB = 0.492111 * np.array([-0.299, -0.587, 1.0 - 0.114], dtype=np.float32)
# The reference decoder calls a bit 1 when its mean block vote times 255 exceeds 127.
_VOTE = 127.0 / 255.0

ColourOrder = Literal["bgr", "rgb"]
ArrayType = Literal["uint8", "float"]


@dataclass(frozen=True)
class Frame:
    """What the reader assumes the embedder saw: which channel order, which array type."""

    colour_order: ColourOrder  # "rgb": RGB pixels handed to OpenCV as if they were BGR
    array_type: ArrayType

    @property
    def u_offset(self) -> float:
        return 128.0 if self.array_type == "uint8" else 0.5


FRAMES = tuple(Frame(order, kind) for kind in ("uint8", "float") for order in ("bgr", "rgb"))
MAX_TILES = 16_384  # a 1024×1024 image, read whole; past that, 120 votes per bit of 136


@dataclass(frozen=True)
class Votes:
    """Each tile's bit under every frame, with the tile numbers the embedder gave them."""

    tiles: np.ndarray
    bits: dict[Frame, np.ndarray]

    def accuracies(self, payload: np.ndarray) -> dict[Frame, float]:
        """Share of ``payload``'s bits read right under each frame, by majority vote per bit."""
        slot = self.tiles % payload.size
        seen = np.bincount(slot, minlength=payload.size)
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for frame, votes in self.bits.items():
                ones = np.bincount(slot, weights=votes, minlength=payload.size)
                read = ones / seen > _VOTE  # a bit no tile carries reads as 0 (nan > x is False)
                out[frame] = float((read == payload).mean())
        return out


def row_step(height: int, width: int, max_tiles: int = MAX_TILES) -> int:
    """Read every n-th tile row, so that no more than ``max_tiles`` tiles are read."""
    return max(1, -(-(height // TILE) * (width // TILE) // max_tiles))


def read_votes(rgb: np.ndarray, step: int = 1) -> Votes:
    """Read every frame's tile bits from uint8 RGB pixels in the stored grid.

    ``rgb`` holds tile rows 0, step, 2·step… of the image, each 8 pixels tall, stacked (the
    whole image when ``step`` is 1), so each tile keeps the number the embedder gave it.
    """
    rows, cols = rgb.shape[0] // TILE, rgb.shape[1] // TILE
    tiles = (np.arange(rows)[:, None] * step * cols + np.arange(cols)).ravel()
    pixels = rgb[: rows * TILE, : cols * TILE]
    pairs = pixels[0::2].astype(np.uint16)
    pairs += pixels[1::2]
    quad = pairs[:, 0::2] + pairs[:, 1::2]  # 2×2 sums of R, G, B
    # Haar LL of U, less its offset, in plain ufuncs (a BLAS product would spin up threads).
    weight = _U_FROM_RGB / 2
    red, green, blue = quad[..., 0], quad[..., 1] * weight[1], quad[..., 2]
    ll_by_order = {
        "bgr": red * weight[0] + green + blue * weight[2],
        "rgb": blue * weight[0] + green + red * weight[2],  # RGB handed over as BGR: R and B trade places
    }
    bits = {frame: _tile_bits(ll_by_order[frame.colour_order] + 2 * frame.u_offset, rows, cols) for frame in FRAMES}
    return Votes(tiles=tiles, bits=bits)


def _tile_bits(ll: np.ndarray, rows: int, cols: int) -> np.ndarray:
    magnitude = np.abs(ll, out=ll)
    magnitude[0::4, 0::4] = 0  # the block's first coefficient is never the carrier
    by_column = np.maximum(np.maximum(magnitude[0::4], magnitude[1::4]), np.maximum(magnitude[2::4], magnitude[3::4]))
    strongest = np.maximum(
        np.maximum(by_column[:, 0::4], by_column[:, 1::4]), np.maximum(by_column[:, 2::4], by_column[:, 3::4])
    )
    return (strongest.ravel() % SCALE) > SCALE / 2
