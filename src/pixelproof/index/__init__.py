"""Near-duplicate search over the user's own images: perceptual hashes (exact Hamming search)
for copies, CLIP embeddings (exact cosine search) for similar images."""

from .corpus import Corpus, IndexStats, Match, QueryViews, database_exists, indexed_image, query_views
from .embedding import Embedder, open_embedder
from .hashing import Fingerprint, fingerprint, working_copy

__all__ = [
    "Corpus",
    "Embedder",
    "Fingerprint",
    "IndexStats",
    "Match",
    "QueryViews",
    "database_exists",
    "fingerprint",
    "indexed_image",
    "open_embedder",
    "query_views",
    "working_copy",
]
