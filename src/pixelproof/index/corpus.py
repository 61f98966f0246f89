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
from typing import Self

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
MAX_MATCHES = 10
SAVE_AFTER = 1000  # images fetched since the saved copy before it is written again


class Match(BaseModel):
    """An indexed image the query is a near-duplicate of."""

    id: int
    sha256: str
    source: str | None  # the absolute path it was added from; None: indexed when analyzed (an upload)
    first_seen: datetime  # when pixelproof first saw these exact bytes
    width: int
    height: int
    distance: float  # PDQ bits that differ, as a share of 256: 0 identical, about 0.5 unrelated
    pdq_distance: int
    phash_distance: int
    region: Box | None = None  # where in the query the indexed image was found; None: the whole query


class IndexStats(BaseModel):
    database: str
    images: int
    first_added: datetime | None
    last_added: datetime | None
    saved_copy: str


@dataclass(frozen=True)
class QueryViews:
    """The fingerprints a query is searched by: the whole image, then each box a picture may sit in."""

    sha256: str  # exact bytes match whatever their hashes say
    views: list[tuple[Box | None, Fingerprint]]
    scale: float  # from working-copy pixels to the image's

    @property
    def whole(self) -> Fingerprint:
        return self.views[0][1]


def query_views(media: Media) -> QueryViews:
    image = working_copy(media.rgb)
    views = [(None, fingerprint(image))] + [(box, fingerprint(image.crop(box))) for box in content_boxes(image)]
    return QueryViews(media.meta.sha256, views, media.rgb.shape[1] / image.width)


def indexed_image(media: Media, source: str | None, whole: Fingerprint | None = None) -> IndexedImage:
    """What the index keeps of an image: its hashes, size and where it came from; no pixels."""
    print_ = whole or fingerprint(working_copy(media.rgb))
    return IndexedImage(
        sha256=media.meta.sha256,
        source=source,
        width=media.meta.width,
        height=media.meta.height,
        pdq=print_.pdq,
        pdq_quality=print_.pdq_quality,
        phash=print_.phash,
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

    def remove(self, sha256s: list[str] = (), sources: list[str] = ()) -> int:
        return self.store.unindex(sha256s, sources)

    def stats(self) -> IndexStats:
        summary = self.store.index_summary()
        return IndexStats(
            database=make_url(self.store.engine.url).render_as_string(hide_password=True),
            images=summary.images,
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
        """Indexed images the query is a near-duplicate of, closest first."""
        exact = self.store.indexed_id(query.sha256)
        found: dict[int, tuple[int, int, Box | None]] = {} if exact is None else {exact: (0, 0, None)}
        with self._lock:
            self._refresh()
            for box, view in query.views:
                for image_id, pdq, phash in self._index.near(view, SEARCH_RADIUS):
                    if _accepted(pdq, phash, box) and (image_id not in found or pdq < found[image_id][0]):
                        found[image_id] = (pdq, phash, _scaled(box, query.scale))
        closest = sorted(found, key=lambda i: (found[i][0], i))[:MAX_MATCHES]
        rows = {row.id: row for row in self.store.indexed_images(closest)}
        return [_match(rows[i], *found[i]) for i in closest if i in rows]  # a row removed meanwhile is gone

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


def _match(row: IndexedImage, pdq: int, phash: int, region: Box | None) -> Match:
    return Match(
        id=row.id,
        sha256=row.sha256,
        source=row.source,
        first_seen=row.first_seen,
        width=row.width,
        height=row.height,
        distance=round(pdq / 256, 4),
        pdq_distance=pdq,
        phash_distance=phash,
        region=region,
    )
