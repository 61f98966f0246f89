"""The user's own corpus: indexed images in the database, searched through an in-memory copy.

The database is the truth, shared by every process (CLI, API workers, other servers); each
process keeps a ``HashIndex`` and, before each use, reads one counter row to learn whether
to fetch the images added since (cheap) or to reload (after a removal). A saved copy of the
index beside the database spares a new process most of that reload.
"""

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Self

import numpy as np
from PIL import Image
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from ..media import Media
from ..settings import Settings
from ..storage import Store
from ..storage.indexed import IndexedImage, IndexState
from .framing import Box, content_boxes
from .hashing import Fingerprint, fingerprint, working_copy
from .search import HashIndex

# Thresholds, in bits, from benchmarks/near_duplicates.py (see docs/performance.md).
WHOLE_MAX_PDQ = 31  # the whole query image against an indexed one
FRAMED_MAX_PDQ = 31  # a box inside the query (a screenshot's window) ...
FRAMED_MAX_PHASH = 10  # ... whose pHash must agree too: more views per query, more chances to err
SEARCH_RADIUS = max(WHOLE_MAX_PDQ, FRAMED_MAX_PDQ)
# The cosine of CLIP embeddings (embedding.py) from which an image counts as similar: the lowest
# at which at most 0.5 % of distinct development images match one of 400 indexed ones
# (benchmarks/near_duplicates.py, docs/reverse-search.md).
SIMILAR_MIN = 0.91
MAX_MATCHES = 10
SAVE_AFTER = 1000  # images fetched since the saved copy before it is written again


class Match(BaseModel):
    """An indexed image the query is a copy of (its hashes match) or only looks like (its CLIP
    embedding is close: a crop, or another picture of the same scene)."""

    id: int
    kind: Literal["copy", "similar"]
    sha256: str
    source: str | None  # the absolute path it was added from; None: indexed when analyzed (an upload)
    first_seen: datetime  # when pixelproof first saw these exact bytes
    width: int
    height: int
    distance: float | None  # PDQ bits that differ, as a share of 256: 0 identical; None for "similar"
    pdq_distance: int | None
    phash_distance: int | None
    similarity: float | None  # cosine of the CLIP embeddings, 1 identical; None when either has none
    region: Box | None = None  # where in the query the indexed image was found; None: the whole query


class IndexStats(BaseModel):
    database: str
    images: int
    embedded: int  # with a CLIP embedding: the ones "similar" matches can find
    first_added: datetime | None
    last_added: datetime | None
    saved_copy: str


@dataclass(frozen=True)
class QueryViews:
    """The fingerprints a query is searched by: the whole image, then each box a picture may sit in."""

    sha256: str  # exact bytes match whatever their hashes say
    views: list[tuple[Box | None, Fingerprint]]
    scale: float  # from working-copy pixels to the image's
    embedding: np.ndarray | None = None  # None: no similar-image search


def _hashed(media: Media) -> tuple[Image.Image, Fingerprint]:
    """The working copy and its fingerprint, made once per image (kept on ``media``): searching
    for an analyzed image and then adding it to the index both need them."""
    key = "index-working-copy"
    if key not in media.derived:
        image = working_copy(media.rgb)
        media.derived[key] = (image, fingerprint(image))
    return media.derived[key]


def query_views(media: Media, embedding: np.ndarray | None = None) -> QueryViews:
    image, whole = _hashed(media)
    views = [(None, whole)] + [(box, fingerprint(image.crop(box))) for box in content_boxes(image)]
    return QueryViews(media.meta.sha256, views, media.rgb.shape[1] / image.width, embedding)


def indexed_image(media: Media, source: str | None, embedding: np.ndarray | None = None) -> IndexedImage:
    """What the index keeps of an image: its hashes, its embedding (float16), size and where it
    came from; no pixels."""
    _, print_ = _hashed(media)
    return IndexedImage(
        sha256=media.meta.sha256,
        source=source,
        width=media.meta.width,
        height=media.meta.height,
        pdq=print_.pdq,
        pdq_quality=print_.pdq_quality,
        phash=print_.phash,
        embedding=None if embedding is None else embedding.astype(np.float16).tobytes(),
    )


def database_exists(settings: Settings) -> bool:
    """False for a SQLite file not created yet: looking for duplicates must not create one."""
    url = make_url(settings.db_url)
    return url.get_backend_name() != "sqlite" or not url.database or Path(url.database).expanduser().exists()


class Corpus:
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self._saved_copies = settings.data_dir / "index"  # one file per database, named by its token
        self._index = HashIndex()
        self._generation: int | None = None  # of the database state the index holds; None: nothing loaded
        self._saved: tuple[int, int] | None = None  # generation and size of the saved copy, if in step
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> Self:
        return cls(Store.open(settings.db_url), settings)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def add(self, images: list[IndexedImage]) -> int:
        """Images new to the index (by sha256) are added; returns how many."""
        return self.store.index_images(images)

    def holds(self, sha256: str) -> bool:
        """Whether these exact bytes are indexed already."""
        return self.store.indexed_id(sha256) is not None

    def remove(self, sha256s: list[str] = (), sources: list[str] = ()) -> int:
        return self.store.unindex(sha256s, sources)

    def stats(self) -> IndexStats:
        summary = self.store.index_summary()
        return IndexStats(
            database=make_url(self.store.engine.url).render_as_string(hide_password=True),
            images=summary.images,
            embedded=summary.embedded,
            first_added=summary.first_added,
            last_added=summary.last_added,
            saved_copy=str(self._saved_path(self.store.index_state().token)),
        )

    def size(self) -> int:
        """Images searchable now (brings the in-memory index up to date)."""
        with self._lock:
            self._refresh()
            return len(self._index)

    def save(self) -> None:
        """Bring the saved copy up to date, as a command does when it is done changing the index."""
        with self._lock:
            self._refresh(save=True)

    def search(self, query: QueryViews) -> list[Match]:
        """Indexed images the query is a copy of, closest first, then those it is only similar to,
        most similar first."""
        exact = self.store.indexed_id(query.sha256)
        copies: dict[int, tuple[int, int, Box | None]] = {} if exact is None else {exact: (0, 0, None)}
        similarity: dict[int, float] = {}  # the similar images', and the copies' that have an embedding
        with self._lock:
            self._refresh()
            for box, view in query.views:
                for image_id, pdq, phash in self._index.near(view, SEARCH_RADIUS):
                    if _accepted(pdq, phash, box) and (image_id not in copies or pdq < copies[image_id][0]):
                        copies[image_id] = (pdq, phash, _scaled(box, query.scale))
            if query.embedding is not None:
                similarity = self._index.similar(query.embedding, SIMILAR_MIN)
                similarity |= self._index.similarities(query.embedding, [i for i in copies if i not in similarity])
        ranked = sorted(copies, key=lambda i: (copies[i][0], i))
        ranked += sorted((i for i in similarity if i not in copies), key=lambda i: (-similarity[i], i))
        ranked = ranked[:MAX_MATCHES]
        rows = {row.id: row for row in self.store.indexed_images(ranked)}
        # a row removed meanwhile is gone
        return [_match(rows[i], copies.get(i), similarity.get(i)) for i in ranked if i in rows]

    # keeping the in-memory index in step with the database

    def _saved_path(self, token: str) -> Path:
        return self._saved_copies / f"{token}.npz"

    def _refresh(self, save: bool = False) -> None:
        state = self.store.index_state()
        held = self._generation
        if held is None or state.last_removal > held or state.generation < held:  # a removal, or another database
            self._index, self._generation = self._load(state)
            self._saved = (self._generation, len(self._index)) if self._generation >= 0 else None
        if state.generation != self._generation:
            self._index.add(self.store.indexed_hashes(after_id=self._index.last_id))
            self._generation = state.generation
        if self._saved is not None and self._saved[0] == self._generation:
            return
        fetched = len(self._index) - (self._saved[1] if self._saved else 0)
        if save or (len(self._index) and (self._saved is None or fetched >= SAVE_AFTER)):
            self._index.save(self._saved_path(state.token), state.token, self._generation)
            self._saved = (self._generation, len(self._index))

    def _load(self, state: IndexState) -> tuple[HashIndex, int]:
        """The saved copy when it holds every removal so far, else an empty index (generation -1) to fill."""
        saved = HashIndex.load(self._saved_path(state.token), state.token)
        if saved is not None and state.last_removal <= saved[1] <= state.generation:
            return saved
        return HashIndex(), -1


def _accepted(pdq: int, phash: int, box: Box | None) -> bool:
    if box is None:
        return pdq <= WHOLE_MAX_PDQ
    return pdq <= FRAMED_MAX_PDQ and phash <= FRAMED_MAX_PHASH


def _scaled(box: Box | None, scale: float) -> Box | None:
    return None if box is None else tuple(round(v * scale) for v in box)


def _match(row: IndexedImage, copy: tuple[int, int, Box | None] | None, similarity: float | None) -> Match:
    pdq, phash, region = copy or (None, None, None)
    return Match(
        id=row.id,
        kind="similar" if copy is None else "copy",
        sha256=row.sha256,
        source=row.source,
        first_seen=row.first_seen,
        width=row.width,
        height=row.height,
        distance=None if pdq is None else round(pdq / 256, 4),
        pdq_distance=pdq,
        phash_distance=phash,
        similarity=None if similarity is None else round(similarity, 4),
        region=region,
    )
