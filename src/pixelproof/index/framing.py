"""Where a picture may sit inside a bigger one: a screenshot's window, a frame, letterboxing.

A copy shown in an app and captured carries a title bar, borders and a status bar, which
move every bit of a whole-image hash. Their boundaries are straight lines across nearly the
whole capture; the picture's own content rarely draws one. So the strongest such line near
each side is a candidate edge of the picture, and the query hashes every box those edges
(or the capture's own edges) make, at a cost only for images that have such lines.
"""

from itertools import product

import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]  # left, top, right, bottom

EDGE_STEP = 10  # grey levels between neighbouring lines that count as an edge
EDGE_SPAN = 0.6  # the share of a line that must be edge for it to count as a boundary
BAND = 0.3  # how far in from each side a boundary is looked for


def content_boxes(image: Image.Image) -> list[Box]:
    """Candidate boxes of an inner picture, in ``image`` pixels; empty when there is none."""
    grey = np.asarray(image.convert("L"), np.float32)
    height, width = grey.shape
    tops, bottoms = _boundaries(grey, axis=0)
    lefts, rights = _boundaries(grey, axis=1)
    boxes = {(left, top, right, bottom) for top, bottom, left, right in product(tops, bottoms, lefts, rights)}
    return sorted(boxes - {(0, 0, width, height)})


def _boundaries(grey: np.ndarray, axis: int) -> tuple[list[int], list[int]]:
    """The image's own edge, plus the strongest boundary line within ``BAND`` of it, on both ends."""
    length = grey.shape[axis]
    # Lines two apart: a rescaled capture blurs each boundary over two lines. span[i]: lines i, i+2.
    ahead, behind = np.take(grey, range(2, length), axis), np.take(grey, range(length - 2), axis)
    span = (np.abs(ahead - behind) > EDGE_STEP).mean(axis=1 - axis)
    positions = np.arange(1, length - 1)
    strong = span >= EDGE_SPAN
    near, far = [0], [length]
    for ends, window in ((near, positions < BAND * length), (far, positions > (1 - BAND) * length)):
        if (candidates := strong & window).any():
            ends.append(int(positions[np.argmax(np.where(candidates, span, -1.0))]))
    return near, far
