"""The near-duplicate index's rows: hashes and embeddings of your own images, and its state."""

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from .database import Database, utc_now
from .indexed import IndexedHashes, IndexedImage, IndexState, IndexSummary
from .tables import ImageIndexStateRow, IndexedImageRow, MediaRow


class IndexRecords(Database):
    def index_images(self, images: list[IndexedImage]) -> int:
        """Add images not indexed yet (by sha256); returns how many were new.

        An image analyzed before keeps the date it was first seen then."""
        if not images:
            return 0
        with self._session() as session:
            _bump_index_generation(session)
            earlier = dict(
                session.execute(
                    select(MediaRow.sha256, MediaRow.first_seen).where(MediaRow.sha256.in_({i.sha256 for i in images}))
                ).all()
            )
            now = utc_now()
            values = [
                {
                    "sha256": image.sha256,
                    "source": image.source,
                    "width": image.width,
                    "height": image.height,
                    "pdq": image.pdq,
                    "pdq_quality": image.pdq_quality,
                    "phash": image.phash,
                    "embedding": image.embedding,
                    "first_seen": earlier.get(image.sha256, now),
                }
                for image in images
            ]
            insert = self._insert(IndexedImageRow).on_conflict_do_nothing(index_elements=[IndexedImageRow.sha256])
            return len(session.execute(insert.returning(IndexedImageRow.id), values).all())

    def unindex(self, sha256s: list[str] = (), sources: list[str] = ()) -> int:
        """Remove images by content hash, or by source: a file's path, or a folder's (all below it)."""
        matches = [IndexedImageRow.sha256.in_(sha256s)] if sha256s else []
        for source in sources:
            below = source.rstrip("/") + "/"
            matches += [IndexedImageRow.source == source, IndexedImageRow.source.startswith(below, autoescape=True)]
        if not matches:
            return 0
        with self._session() as session:
            generation = _bump_index_generation(session)
            removed = session.execute(delete(IndexedImageRow).where(or_(*matches))).rowcount
            if removed:
                session.execute(
                    update(ImageIndexStateRow).where(ImageIndexStateRow.id == 1).values(last_removal=generation)
                )
            return removed

    def index_state(self) -> IndexState:
        with self._session() as session:
            row = session.get(ImageIndexStateRow, 1)
            return IndexState(token=row.token, generation=row.generation, last_removal=row.last_removal)

    def indexed_hashes(self, after_id: int = 0) -> IndexedHashes:
        """Hashes (and embeddings) of the images with ids above ``after_id``, in id order."""
        query = (
            select(
                IndexedImageRow.id,
                IndexedImageRow.pdq,
                IndexedImageRow.phash,
                IndexedImageRow.pdq_quality,
                IndexedImageRow.embedding,
            )
            .where(IndexedImageRow.id > after_id)
            .order_by(IndexedImageRow.id)
        )
        with self._session() as session:
            rows = session.execute(query).all()
        embedded = [row for row in rows if row.embedding is not None]
        return IndexedHashes(
            ids=[row.id for row in rows],
            pdq=b"".join(row.pdq for row in rows),
            phash=b"".join(row.phash for row in rows),
            pdq_quality=[row.pdq_quality for row in rows],
            embedded_ids=[row.id for row in embedded],
            embeddings=b"".join(row.embedding for row in embedded),
        )

    def indexed_id(self, sha256: str) -> int | None:
        """The id of the indexed image with exactly these bytes, if any."""
        with self._session() as session:
            return session.scalar(select(IndexedImageRow.id).where(IndexedImageRow.sha256 == sha256))

    def indexed_images(self, ids: list[int]) -> list[IndexedImage]:
        with self._session() as session:
            rows = session.scalars(select(IndexedImageRow).where(IndexedImageRow.id.in_(ids))).all()
        return [
            IndexedImage(
                id=row.id,
                sha256=row.sha256,
                source=row.source,
                width=row.width,
                height=row.height,
                pdq=row.pdq,
                pdq_quality=row.pdq_quality,
                phash=row.phash,
                embedding=row.embedding,
                first_seen=row.first_seen,
            )
            for row in rows
        ]

    def index_summary(self) -> IndexSummary:
        with self._session() as session:
            images, embedded, first, last = session.execute(
                select(
                    func.count(),
                    func.count(IndexedImageRow.embedding),
                    func.min(IndexedImageRow.first_seen),
                    func.max(IndexedImageRow.first_seen),
                )
            ).one()
        return IndexSummary(images=images, embedded=embedded, first_added=first, last_added=last)


def _bump_index_generation(session: Session) -> int:
    """Done first in a changing transaction: from here on the state row is locked (see tables)."""
    return session.execute(
        update(ImageIndexStateRow)
        .where(ImageIndexStateRow.id == 1)
        .values(generation=ImageIndexStateRow.generation + 1)
        .returning(ImageIndexStateRow.generation)
        .execution_options(synchronize_session=False)
    ).scalar_one()
