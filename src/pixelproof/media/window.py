"""Windows of thin pictures, so that no analyzer's work grows with a picture's shape.

Resizing a picture to a fixed shorter side costs in proportion to its length: a 16 × 300,000
strip enlarged to a 224 px shorter side would be 67 million pixels, for views that keep 224 × 224
of them. So what is measured or viewed around a point comes from a window at most
``MAX_ASPECT`` times longer than wide, around that point. A picture no more elongated than that
is its own window, and its numbers are those it always had.
"""

MAX_ASPECT = 16  # panoramas and most long screenshots are used whole

Box = tuple[int, int, int, int]  # left, top, right, bottom


def window(width: int, height: int, cx: float = 0.5, cy: float = 0.5) -> tuple[Box, float, float]:
    """The window around (cx, cy) (fractions of the picture), and (cx, cy) as fractions of it.

    The window spans the shorter side and ``MAX_ASPECT`` times that along the longer one,
    centred on the point as far as the picture allows; the whole picture when that is all of it.
    """
    length = MAX_ASPECT * min(width, height)
    if max(width, height) <= length:
        return (0, 0, width, height), cx, cy

    def span(centre: float, extent: int) -> tuple[int, float]:
        start = min(max(round(centre * extent) - length // 2, 0), extent - length)
        return start, (centre * extent - start) / length

    if width > height:
        left, cx = span(cx, width)
        return (left, 0, left + length, height), cx, cy
    top, cy = span(cy, height)
    return (0, top, width, top + length), cx, cy
