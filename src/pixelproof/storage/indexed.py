"""The near-duplicate index's rows, as the store hands them out: hashes and where images came from."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class IndexedImage:
    sha256: str
    source: str | None  # absolute path (or URL) it was added from; None when indexed from an upload
    width: int
    height: int
    pdq: bytes
    pdq_quality: int
    phash: bytes
    embedding: bytes | None = None  # float16 CLIP embedding; None: indexed without the CLIP model
    first_seen: datetime | None = None  # set by the store
    id: int | None = None  # set by the store


@dataclass(frozen=True)
class IndexState:
    token: str  # names this database
    generation: int  # bumped by every change
    last_removal: int  # the generation of the last removal


@dataclass(frozen=True)
class IndexedHashes:
    """Hashes in id order, packed back to back: what an in-memory search index is built from.
    Embeddings likewise, for the images that have one (``embedded_ids``)."""

    ids: list[int]
    pdq: bytes
    phash: bytes
    pdq_quality: list[int]
    embedded_ids: list[int] = field(default_factory=list)
    embeddings: bytes = b""


@dataclass(frozen=True)
class IndexSummary:
    images: int
    embedded: int  # how many have a CLIP embedding
    first_added: datetime | None
    last_added: datetime | None
