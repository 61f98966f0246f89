"""A CLIP embedding of the whole picture: what still matches when a crop has moved every hash bit.

It is read from the run the pixel detector makes anyway (the global 224 px view, kept on the
``Media``), so with that analyzer on it costs no extra CLIP run. Which token: the mean of
layer 6's patch tokens, without dimension 474, L2-normalised. On the development data that
finds 80 % crops far more often, at the same rate of distinct images matching, than the last
layer's tokens or CLIP's projected ``image_embeds`` (``benchmarks/near_duplicates.py``,
docs/reverse-search.md). Dimension 474 is one of the residual stream's "massive
activations": about the same large value in every image, it carries no content and, left in,
pulls every cosine towards 1.

A cosine says "looks alike", not "is a copy": a crop and another photo of the same scene
score alike, so these matches are reported apart from the hash matches, as "similar".
"""

import numpy as np

from ..errors import ModelMissing
from ..media import Media
from ..models import ModelTampered
from ..models.clip import POOLS, ClipBackbone, global_tokens, load_backbone
from ..models.numerics import NumericsMismatch
from ..settings import Settings

LAYER = 6
MASSIVE_DIMS = [474]
DIM = 768 - len(MASSIVE_DIMS)


def embedding(tokens: np.ndarray) -> np.ndarray:
    """The index's embedding (``DIM`` float32, unit length) from the global view's 1×2×12×768 tokens."""
    vector = np.delete(tokens[0, POOLS.index("mean"), LAYER], MASSIVE_DIMS).astype(np.float32)
    return vector / np.linalg.norm(vector)


class Embedder:
    def __init__(self, backbone: ClipBackbone):
        self.backbone = backbone

    def __call__(self, media: Media) -> np.ndarray:
        return embedding(global_tokens(self.backbone, media))


def open_embedder(settings: Settings) -> tuple[Embedder | None, str | None]:
    """The embedder, or None and why not: without the CLIP model the hashes still work alone."""
    try:
        return Embedder(load_backbone(settings)), None
    except (ModelMissing, ModelTampered, NumericsMismatch) as exc:
        return None, f"similar-image search skipped: {exc.message}"
