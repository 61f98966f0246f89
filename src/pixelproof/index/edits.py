"""The edits a copy of an image goes through on its way back to us, which the index must see through.

The benchmark (``benchmarks/near_duplicates.py``) and the tests make copies with these, and
the match thresholds are chosen from how far they move the hashes.
"""

import io
from collections.abc import Callable

from PIL import Image, ImageDraw

Edit = Callable[[Image.Image], bytes]


def _encoded(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, fmt, **options)
    return buf.getvalue()


def jpeg(quality: int) -> Edit:
    return lambda image: _encoded(image, quality=quality)


def resized(factor: float) -> Edit:
    def edit(image: Image.Image) -> bytes:
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        return _encoded(image.resize(size, Image.Resampling.BICUBIC), quality=90)

    return edit


def cropped(keep: float, anchor: tuple[float, float] = (0.5, 0.5)) -> Edit:
    """Keep ``keep`` of each side; ``anchor`` places the crop ((0, 0): top left, (0.5, 0.5): centred)."""

    def edit(image: Image.Image) -> bytes:
        w, h = round(image.width * keep), round(image.height * keep)
        left, top = round((image.width - w) * anchor[0]), round((image.height - h) * anchor[1])
        return _encoded(image.crop((left, top, left + w, top + h)), quality=90)

    return edit


def screenshot(image: Image.Image) -> bytes:
    """The image shown in an app window and captured: a title bar with buttons and text, a
    frame, a status bar, the whole capture rescaled to 75 % and saved as PNG."""
    w, h = image.size
    bar, side, status = max(12, h // 12), max(4, w // 40), max(8, h // 20)
    canvas = Image.new("RGB", (w + 2 * side, h + bar + status), (236, 236, 236))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.width, bar), fill=(50, 52, 58))
    for i, colour in enumerate(((237, 106, 94), (245, 191, 79), (98, 197, 84))):
        x = side + i * bar
        draw.ellipse((x, bar // 4, x + bar // 2, bar // 4 + bar // 2), fill=colour)
    draw.rectangle((w // 3, bar // 3, w // 3 + w // 4, 2 * bar // 3), fill=(120, 122, 130))  # the window title
    draw.rectangle((side, h + bar + status // 3, side + w // 5, h + bar + 2 * status // 3), fill=(160, 160, 160))
    canvas.paste(image.convert("RGB"), (side, bar))
    shown = canvas.resize((round(canvas.width * 0.75), round(canvas.height * 0.75)), Image.Resampling.BILINEAR)
    return _encoded(shown, "PNG")


EDITS: dict[str, Edit] = {
    "jpeg-q95": jpeg(95),
    "jpeg-q75": jpeg(75),
    "jpeg-q50": jpeg(50),
    "resize-0.5": resized(0.5),
    "crop-80-centre": cropped(0.8),
    "crop-80-corner": cropped(0.8, (0.0, 0.0)),
    "screenshot": screenshot,
}
