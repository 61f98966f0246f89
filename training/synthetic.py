"""Human-made pictures we can draw ourselves: screenshots, terminals, and meme captions.

Real-world false positives pile up on screenshots and memes with text, and the development
data has almost none. Screens are drawn here from a seed (labelled real: no generative
model is involved). Captions are an augmentation applied to BOTH classes alike, so the
detector learns that overlaid text says nothing about where the picture came from.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SANS, BOLD, MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"
WORDS = (
    "the settings account report update search file edit view help share download open close save "
    "project build release issue commit branch merge review status error warning ok cancel next back "
    "photo image detector model results total price order cart home profile messages notifications "
    "today yesterday monday meeting notes draft send reply forward archive delete new folder user admin"
).split()


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


def _words(rng: np.random.Generator, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS, int(rng.integers(lo, hi + 1))))


def _colour(rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(lo, hi + 1, 3))


def screenshot(rng: np.random.Generator) -> Image.Image:
    """An app or web page: bars, panels, buttons, text, sometimes a terminal or code."""
    w, h = int(rng.integers(640, 1700)), int(rng.integers(400, 1100))
    dark = rng.random() < 0.4
    bg = _colour(rng, 15, 45) if dark else _colour(rng, 225, 255)
    fg = _colour(rng, 190, 240) if dark else _colour(rng, 10, 70)
    img = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(img)
    if rng.random() < 0.3:  # a terminal: monospace lines in a few colours
        size = int(rng.integers(12, 20))
        font = _font(MONO, size)
        palette = [fg] + [_colour(rng, 90, 255) for _ in range(4)]
        for y in range(8, h - size, int(size * 1.35)):
            x = 8
            for _ in range(int(rng.integers(1, 6))):
                text = _words(rng, 1, 4)
                draw.text((x, y), text, font=font, fill=palette[int(rng.integers(len(palette)))])
                x += int(draw.textlength(text + " ", font=font))
        return img
    bar = int(rng.integers(36, 70))
    draw.rectangle((0, 0, w, bar), fill=_colour(rng, 30, 90) if rng.random() < 0.5 else _colour(rng, 200, 245))
    draw.text((16, bar // 4), _words(rng, 1, 3).title(), font=_font(BOLD, bar // 2), fill=fg if dark else (250, 250, 250))
    side = int(rng.integers(0, w // 4))
    if side:
        draw.rectangle((0, bar, side, h), fill=tuple(min(255, c + 12) if dark else max(0, c - 12) for c in bg))
        for y in range(bar + 16, h - 24, 34):
            draw.text((14, y), _words(rng, 1, 2), font=_font(SANS, 15), fill=fg)
    y, x0 = bar + 20, side + 24
    while y < h - 40:
        kind = rng.random()
        if kind < 0.15:  # a button row
            for i in range(int(rng.integers(1, 4))):
                bx = x0 + i * 140
                draw.rounded_rectangle((bx, y, bx + 120, y + 34), radius=8, fill=_colour(rng, 40, 220))
                draw.text((bx + 14, y + 8), _words(rng, 1, 1), font=_font(SANS, 15), fill=(255, 255, 255))
            y += 50
        elif kind < 0.25:  # a picture placeholder: smooth colour field
            ph, pw = int(rng.integers(60, 200)), int(rng.integers(100, 400))
            field = rng.uniform(0, 255, (3, 3, 3)).astype(np.uint8)
            img.paste(Image.fromarray(field).resize((pw, ph), Image.Resampling.BICUBIC), (x0, y))
            y += ph + 16
        else:  # text, sometimes a heading
            size = int(rng.integers(20, 34)) if kind > 0.9 else int(rng.integers(12, 18))
            draw.text((x0, y), _words(rng, 3, 12), font=_font(BOLD if size > 19 else SANS, size), fill=fg)
            y += int(size * 1.6)
    return img


def caption(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A meme caption: outlined white text over the picture, or black text on a white band."""
    w, h = image.size
    size = max(10, int(min(w, h) * rng.uniform(0.06, 0.12)))
    text = _words(rng, 2, 6).upper()
    font = _font(BOLD, size)
    while size > 10 and font.getlength(text) > 0.95 * w:
        size -= 2
        font = _font(BOLD, size)
    if rng.random() < 0.5:
        band = int(size * 1.8)
        out = Image.new("RGB", (w, h + band), (255, 255, 255))
        out.paste(image, (0, band))
        ImageDraw.Draw(out).text((w // 2, band // 2), text, font=font, fill=(0, 0, 0), anchor="mm")
        return out
    out = image.copy()
    draw = ImageDraw.Draw(out)
    y = int(size * 0.8) if rng.random() < 0.5 else h - int(size * 0.8)
    draw.text((w // 2, y), text, font=font, fill=(255, 255, 255), anchor="mm", stroke_width=max(1, size // 12), stroke_fill=(0, 0, 0))
    return out
