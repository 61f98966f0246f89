"""Users' labels (the feedback APIs), kept by image hash, never with the image."""

from sqlalchemy import select

from .database import Database
from .feedback import Feedback
from .tables import FeedbackRow


class FeedbackRecords(Database):
    def save_feedback(self, feedback: Feedback) -> None:
        with self._session() as session:
            session.add(
                FeedbackRow(
                    created_at=feedback.created_at,
                    sha256=feedback.sha256,
                    label=feedback.label,
                    model=feedback.model,
                    vendor_class=feedback.vendor_class,
                    source_url=feedback.source_url,
                    api_key_id=feedback.api_key_id,
                )
            )

    def latest_feedback(self) -> list[Feedback]:
        """The most recent label for each image (by sha256), oldest image first."""
        with self._session() as session:
            rows = session.scalars(select(FeedbackRow).order_by(FeedbackRow.created_at, FeedbackRow.id)).all()
        latest = {row.sha256: row for row in rows}  # later rows replace earlier ones
        return [
            Feedback(
                sha256=row.sha256,
                label=row.label,
                model=row.model,
                vendor_class=row.vendor_class,
                created_at=row.created_at,
                source_url=row.source_url,
                api_key_id=row.api_key_id,
            )
            for row in latest.values()
        ]
