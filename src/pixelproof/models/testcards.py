"""Test pictures drawn by code, for the numerics self-check: the same pixels everywhere.

Only integer arithmetic (no floats, no libm, no random generator whose stream may change
between numpy versions), so every CPU and every library version draws identical bytes, and
a difference in what a model makes of them is the model's, not the picture's. Sizes are
chosen so the pixel detector's global view is a real resize and its native crops differ.
"""

import numpy as np


def _hash_noise(height: int, width: int, seed: int) -> np.ndarray:
    """A uint32 hash of (x, y, seed): white noise with no generator state."""
    y, x = np.mgrid[0:height, 0:width].astype(np.uint32)
    v = (x * np.uint32(73856093)) ^ (y * np.uint32(19349663)) ^ np.uint32(seed * 83492791)
    v ^= v >> np.uint32(13)
    v *= np.uint32(0x5BD1E995)
    v ^= v >> np.uint32(15)
    return v


def photo(height: int = 240, width: int = 320) -> np.ndarray:
    """Soft gradients, three shaded discs and sensor-like noise (RGB uint8)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    image = np.stack([40 + 150 * x // width + 30 * y // height, 60 + 120 * y // height, 170 - 100 * x // width], -1)
    for cx, cy, radius, colour in ((90, 80, 50, (230, 200, 60)), (230, 150, 70, (30, 90, 160)), (160, 200, 30, (200, 40, 50))):
        d2 = (x - cx) ** 2 + (y - cy) ** 2
        shade = (radius * radius - d2) * 60 // (radius * radius)
        for c in range(3):
            image[..., c] = np.where(d2 < radius * radius, colour[c] - 30 + shade, image[..., c])
    noise = ((_hash_noise(height, width, 1) >> np.uint32(8)) % np.uint32(21)).astype(np.int64) - 10
    return np.clip(image + noise[..., None], 0, 255).astype(np.uint8)


def graphic(height: int = 352, width: int = 288) -> np.ndarray:
    """Hard edges: a checkerboard, white rules and a block of random grey cells (RGB uint8)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    checker = ((x // 24 + y // 24) % 2) * 160 + 40
    image = np.stack([checker, 255 - checker, (x * 255) // width], -1)
    image[(y % 50) < 6] = 250
    cells = 20 + 100 * ((_hash_noise(height, width, 2) >> np.uint32(20)) % np.uint32(3)).astype(np.int64)
    block = (y > 200) & (y < 300) & (x > 40) & (x < 250)
    image[block] = cells[block][:, None]
    return np.clip(image, 0, 255).astype(np.uint8)


TESTCARDS = {"photo": photo, "graphic": graphic}


def cards() -> dict[str, np.ndarray]:
    """Every test picture by name, freshly drawn."""
    return {name: draw() for name, draw in TESTCARDS.items()}
