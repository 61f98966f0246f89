"""Near-duplicate search over the user's own images: perceptual hashes, exact Hamming search."""

from .corpus import Corpus, IndexStats, Match, QueryViews, database_exists, indexed_image, query_views
from .hashing import Fingerprint, fingerprint, working_copy

__all__ = [
    "Corpus",
    "Fingerprint",
    "IndexStats",
    "Match",
    "QueryViews",
    "database_exists",
    "fingerprint",
    "indexed_image",
    "query_views",
    "working_copy",
]
