"""What the pixel detector looks at: CLIP's residual stream over a few views of the image.

One view is the whole picture shrunk to 224 px, which carries the semantic cues (odd
hands, impossible text, "rendered" look). The others are 224 px crops at the stored
resolution, untouched by resizing, because upsampling and denoising traces live in the
finest pixels and shrinking erases them. For each view we keep, per encoder layer, the CLS
token and the mean of the patch tokens: early layers describe texture, late ones meaning.

Training (``training/``) and the analyzer both call this module, so they see the same
features by construction. The near-duplicate index embeds the same global view, so that run
is made once per image (``global_tokens``) and the session once per process (``load_backbone``).
"""

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from ..media import Media, window
from ..settings import Settings
from .numerics import require
from .runtime import cpu_session
from .store import load_path
from .surgery import LAYERS, layer_output

BACKBONE = "clip-vit-b16-float"
SIZE = 224
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
NATIVE_CENTRES = ((0.5, 0.5), (0.25, 0.25), (0.75, 0.75))  # fractions of width, height
VIEWS = ("global",) + tuple(f"native{i}" for i in range(len(NATIVE_CENTRES)))


def global_view(image: Image.Image) -> Image.Image:
    """CLIP's own preprocessing: shorter side to 224 (bicubic), centre crop; of a thin image,
    only its centre window is resized (``media.window``)."""
    box, _, _ = window(*image.size)
    w, h = box[2] - box[0], box[3] - box[1]
    scale = SIZE / min(w, h)
    size = (max(SIZE, round(w * scale)), max(SIZE, round(h * scale)))
    resized = image.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)
    left, top = (size[0] - SIZE) // 2, (size[1] - SIZE) // 2
    return resized.crop((left, top, left + SIZE, top + SIZE))


def _enlarged(width: int, height: int) -> tuple[int, int]:
    """The size with the shorter side enlarged to 224 px; unchanged when it is that already."""
    if min(width, height) >= SIZE:
        return width, height
    scale = SIZE / min(width, height)
    return max(SIZE, round(width * scale)), max(SIZE, round(height * scale))


def native_crop(image: Image.Image, cx: float, cy: float) -> Image.Image:
    """A 224 px crop centred at (cx, cy) (fractions), clamped inside the image, no resizing.

    An image under 224 px is enlarged first: of a thin one only the window around the crop
    (``media.window``), which bounds the pixels resized whatever the image's length."""
    if min(image.size) < SIZE:
        box, cx, cy = window(*image.size, cx, cy)
        image = image.resize(_enlarged(box[2] - box[0], box[3] - box[1]), Image.Resampling.BICUBIC, box=box)
    w, h = image.size
    left = min(max(round(cx * w) - SIZE // 2, 0), w - SIZE)
    top = min(max(round(cy * h) - SIZE // 2, 0), h - SIZE)
    return image.crop((left, top, left + SIZE, top + SIZE))


def grid_crops(image: Image.Image, max_cells: int = 4) -> tuple[list[Image.Image], list[tuple[int, int, int, int]]]:
    """Native-resolution tiles covering the image on a grid of at most ``max_cells`` per side;
    boxes in the pixels of the image enlarged to a 224 px shorter side, as ``native_crop`` sees it."""
    w, h = _enlarged(*image.size)
    cols, rows = min(max_cells, -(-w // SIZE)), min(max_cells, -(-h // SIZE))
    crops, boxes = [], []
    for r in range(rows):
        for c in range(cols):
            left = round(c * (w - SIZE) / max(cols - 1, 1))
            top = round(r * (h - SIZE) / max(rows - 1, 1))
            crops.append(native_crop(image, (left + SIZE / 2) / w, (top + SIZE / 2) / h))
            boxes.append((left, top, SIZE, SIZE))
    return crops, boxes


def native_views(image: Image.Image, count: int = len(NATIVE_CENTRES)) -> list[Image.Image]:
    return [native_crop(image, cx, cy) for cx, cy in NATIVE_CENTRES[:count]]


def views(rgb: np.ndarray, count: int = len(VIEWS)) -> list[Image.Image]:
    """The first ``count`` of the fixed views the detector scores, in ``VIEWS`` order."""
    image = Image.fromarray(rgb)
    return [global_view(image)] + native_views(image, count - 1)


def to_tensor(crops: list[Image.Image]) -> np.ndarray:
    """N×3×224×224 float32, normalised with CLIP's mean and std."""
    batch = np.stack([np.asarray(c.convert("RGB"), dtype=np.float32) for c in crops]) / 255.0
    return ((batch - CLIP_MEAN) / CLIP_STD).transpose(0, 3, 1, 2).copy()


class ClipBackbone:
    """The frozen CLIP image tower: crops in, per-layer CLS and mean tokens out."""

    def __init__(self, model_path: Path, threads: int | None = None):
        self.session = cpu_session(model_path, threads)
        self.path = model_path
        self.outputs = [layer_output(layer) for layer in range(LAYERS)]

    def tokens(self, crops: list[Image.Image]) -> np.ndarray:
        """N×2×12×768 float32: [:, 0] CLS token, [:, 1] mean of patch tokens, per layer.

        The crops run as one batch: with the float32 graph that is 15 % faster than one at a
        time on 2 AVX2 cores, and each crop's numbers are bit-identical either way.
        """
        layers = self.session.run(self.outputs, {"pixel_values": to_tensor(crops)})
        stream = np.stack(layers, axis=1)  # N×12×197×768
        return np.stack([stream[:, :, 0], stream[:, :, 1:].mean(axis=2)], axis=1).astype(np.float32)


@functools.cache
def _shared(model_path: Path) -> ClipBackbone:
    return ClipBackbone(model_path)


def load_backbone(settings: Settings) -> ClipBackbone:
    """The process's one CLIP session, shared by the pixel detector and the near-duplicate index.

    Raises ModelMissing / ModelTampered when the model is not fetched or was altered, and
    NumericsMismatch when this machine does not compute the reference numbers with it."""
    path = load_path(BACKBONE, settings)
    require(BACKBONE, path)
    return _shared(path)


def global_tokens(backbone: ClipBackbone, media: Media) -> np.ndarray:
    """1×2×12×768 tokens of the global view, computed once per image (kept on ``media``)."""
    key = ("clip-global-tokens", backbone.path)
    if key not in media.derived:
        media.derived[key] = backbone.tokens([global_view(Image.fromarray(media.rgb))])
    return media.derived[key]


def media_tokens(backbone: ClipBackbone, media: Media, count: int = len(VIEWS)) -> np.ndarray:
    """The tokens of ``views(media.rgb, count)``, the global view's through ``global_tokens``.

    A head that reads the global view only costs one CLIP run, not four."""
    if count == 1:
        return global_tokens(backbone, media)
    native = backbone.tokens(native_views(Image.fromarray(media.rgb), count - 1))
    return np.concatenate([global_tokens(backbone, media), native])


POOLS = ("cls", "mean")


def vectorize(tokens: np.ndarray, parts: list[dict]) -> np.ndarray:
    """One feature vector from V×2×12×768 tokens, as a head's ``parts`` describe it.

    Each part averages the tokens of some views (``views``: indices into the first axis),
    then takes one pooling (``pool``) of some ``layers``; parts are concatenated.
    """
    chunks = []
    for part in parts:
        pooled = tokens[part["views"]].mean(axis=0)[POOLS.index(part["pool"])]
        chunks.append(pooled[part["layers"]].ravel())
    return np.concatenate(chunks)
