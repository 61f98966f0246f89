"""Exact search over every indexed PDQ hash (Hamming) and CLIP embedding (cosine), with faiss,
saved beside the database.

Flat indexes compare the query with every entry: no recall lost to approximation, and at a
million images still a few milliseconds for the hashes (``docs/performance.md``). The pHash
of each candidate is compared afterwards, in numpy. Embeddings are held as float32 (about
3 KB an image); images indexed without one are simply not in that index. The saved copy
only spares a new process the read of every row: the database stays the truth, and a copy
it cannot vouch for is rebuilt.

Hashes of nearly flat images (PDQ quality below ``MIN_PDQ_QUALITY``) never match: in the
development data, five different near-blank wallpapers share one such hash, and re-encoding
others moved theirs by up to 135 bits. Those images are still found by their exact bytes.
"""

import os
from pathlib import Path
from typing import Self

import faiss
import numpy as np

from ..storage.indexed import IndexedHashes
from .embedding import DIM
from .hashing import PDQ_BYTES, PHASH_BYTES, Fingerprint

MIN_PDQ_QUALITY = 10


class HashIndex:
    def __init__(self):
        self.ids = np.empty(0, np.int64)
        self._pdq = faiss.IndexBinaryFlat(PDQ_BYTES * 8)
        self._phash = np.empty((0, PHASH_BYTES), np.uint8)
        self._hashable = np.empty(0, bool)  # PDQ quality high enough to match on
        self.embedded_ids = np.empty(0, np.int64)
        self._embeddings = faiss.IndexFlatIP(DIM)  # unit vectors: inner product is the cosine

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def last_id(self) -> int:
        return int(self.ids[-1]) if len(self.ids) else 0

    def add(self, hashes: IndexedHashes) -> None:
        """Append hashes whose ids are all above ``last_id``."""
        self._append(
            np.asarray(hashes.ids, np.int64),
            np.frombuffer(hashes.pdq, np.uint8).reshape(-1, PDQ_BYTES),
            np.frombuffer(hashes.phash, np.uint8).reshape(-1, PHASH_BYTES),
            np.asarray(hashes.pdq_quality) >= MIN_PDQ_QUALITY,
            np.asarray(hashes.embedded_ids, np.int64),
            np.frombuffer(hashes.embeddings, np.float16).reshape(-1, DIM),
        )

    def _append(self, ids, pdq, phash, hashable, embedded_ids, embeddings) -> None:
        if len(ids):
            self._pdq.add(np.ascontiguousarray(pdq))
            self.ids = np.concatenate([self.ids, ids])
            self._phash = np.concatenate([self._phash, phash])
            self._hashable = np.concatenate([self._hashable, hashable])
        if len(embedded_ids):
            self._embeddings.add(embeddings.astype(np.float32))
            self.embedded_ids = np.concatenate([self.embedded_ids, embedded_ids])

    def near(self, query: Fingerprint, max_pdq_distance: int) -> list[tuple[int, int, int]]:
        """(id, PDQ distance, pHash distance) of every hash within ``max_pdq_distance`` bits."""
        if not len(self.ids) or query.pdq_quality < MIN_PDQ_QUALITY:
            return []
        _, distances, positions = self._pdq.range_search(
            np.frombuffer(query.pdq, np.uint8)[None],
            max_pdq_distance + 1,  # faiss's radius is exclusive
        )
        hashable = self._hashable[positions]
        distances, positions = distances[hashable], positions[hashable]
        phash_distances = np.unpackbits(self._phash[positions] ^ np.frombuffer(query.phash, np.uint8), axis=1).sum(1)
        return [
            (int(self.ids[p]), int(d), int(h)) for p, d, h in zip(positions, distances, phash_distances, strict=True)
        ]

    def similar(self, query: np.ndarray, min_similarity: float) -> dict[int, float]:
        """id → cosine of every embedding at least ``min_similarity`` from the unit vector ``query``."""
        if not len(self.embedded_ids):
            return {}
        # faiss keeps inner products strictly above the radius: step just below it.
        _, similarities, positions = self._embeddings.range_search(query[None], np.nextafter(min_similarity, -1))
        return {int(self.embedded_ids[p]): float(s) for p, s in zip(positions, similarities, strict=True)}

    def similarities(self, query: np.ndarray, ids: list[int]) -> dict[int, float]:
        """id → cosine for those of ``ids`` that have an embedding."""
        positions = np.searchsorted(self.embedded_ids, ids)  # ids only grow: the array is sorted
        held = len(self.embedded_ids)
        known = [(i, p) for i, p in zip(ids, positions, strict=True) if p < held and self.embedded_ids[p] == i]
        if not known:
            return {}
        vectors = self._embeddings.reconstruct_batch(np.array([p for _, p in known], np.int64))
        return {i: float(s) for (i, _), s in zip(known, vectors @ query, strict=True)}

    # the saved copy

    def save(self, path: Path, token: str, generation: int) -> None:
        """Written aside and renamed: a reader never sees half a file, whoever saves last wins."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        with partial.open("wb") as f:
            np.savez(
                f,
                token=np.array(token),
                generation=np.array(generation),
                ids=self.ids,
                pdq=faiss.vector_to_array(self._pdq.xb).reshape(-1, PDQ_BYTES),
                phash=self._phash,
                hashable=self._hashable,
                embedded_ids=self.embedded_ids,
                embeddings=self._embeddings.reconstruct_n(0, self._embeddings.ntotal).astype(np.float16),
            )
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path, token: str) -> tuple[Self, int] | None:
        """The saved index and the generation it holds; None when absent, unreadable or another database's."""
        try:
            with np.load(path) as saved:
                if str(saved["token"]) != token:
                    return None
                index = cls()
                keys = ("ids", "pdq", "phash", "hashable", "embedded_ids", "embeddings")
                index._append(*(saved[key] for key in keys))
                return index, int(saved["generation"])
        except (OSError, ValueError, KeyError):
            return None
