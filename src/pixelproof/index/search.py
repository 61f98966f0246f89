"""Exact Hamming search over every indexed PDQ hash (faiss), saved beside the database.

A flat index compares the query with every hash: no recall lost to approximation, and at a
million images still a few milliseconds (``docs/performance.md``). The pHash of each
candidate is compared afterwards, in numpy. The saved copy only spares a new process the
read of every row: the database stays the truth, and a copy it cannot vouch for is rebuilt.

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
from .hashing import PDQ_BYTES, PHASH_BYTES, Fingerprint

MIN_PDQ_QUALITY = 10


class HashIndex:
    def __init__(self):
        self.ids = np.empty(0, np.int64)
        self._pdq = faiss.IndexBinaryFlat(PDQ_BYTES * 8)
        self._phash = np.empty((0, PHASH_BYTES), np.uint8)
        self._hashable = np.empty(0, bool)  # PDQ quality high enough to match on

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
        )

    def _append(self, ids: np.ndarray, pdq: np.ndarray, phash: np.ndarray, hashable: np.ndarray) -> None:
        if len(ids):
            self._pdq.add(np.ascontiguousarray(pdq))
            self.ids = np.concatenate([self.ids, ids])
            self._phash = np.concatenate([self._phash, phash])
            self._hashable = np.concatenate([self._hashable, hashable])

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
                index._append(saved["ids"], saved["pdq"], saved["phash"], saved["hashable"])
                return index, int(saved["generation"])
        except (OSError, ValueError, KeyError):
            return None
