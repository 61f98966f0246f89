"""Reports and the media they were made about."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..report import Report
from .database import Database, utc_now
from .tables import MediaRow, ReportRow


class ReportRecords(Database):
    def save_report(self, report: Report, api_key_id: str | None = None) -> None:
        with self._session() as session:
            self._add_report(session, report, api_key_id)

    def _add_report(self, session: Session, report: Report, api_key_id: str | None) -> None:
        """The report and its media count, in the caller's transaction."""
        media = report.media
        seen = utc_now()
        session.add(
            ReportRow(
                id=report.id,
                created_at=report.created_at,
                external_id=report.external_id,
                sha256=media.sha256,
                label=report.verdict.label,
                ai_generated=report.verdict.ai_generated,
                api_key_id=api_key_id,
                report=report.model_dump_json(),
            )
        )
        insert = self._insert(MediaRow).values(
            sha256=media.sha256,
            md5=media.md5,
            format=media.format,
            width=media.width,
            height=media.height,
            size_bytes=media.size_bytes,
            first_seen=seen,
            last_seen=seen,
            times_seen=1,
        )
        session.execute(
            insert.on_conflict_do_update(
                index_elements=[MediaRow.sha256], set_={"last_seen": seen, "times_seen": MediaRow.times_seen + 1}
            )
        )

    def get_report(self, report_id: str) -> Report | None:
        with self._session() as session:
            stored = session.scalar(select(ReportRow.report).where(ReportRow.id == report_id))
        return Report.model_validate_json(stored) if stored is not None else None

    def find_reports(self, external_id: str | None = None, limit: int = 50, offset: int = 0) -> list[Report]:
        """Newest first."""
        query = select(ReportRow.report).order_by(ReportRow.created_at.desc(), ReportRow.id.desc())
        if external_id is not None:
            query = query.where(ReportRow.external_id == external_id)
        with self._session() as session:
            stored = session.scalars(query.limit(limit).offset(offset)).all()
        return [Report.model_validate_json(text) for text in stored]

    def media_seen(self, sha256: str) -> int:
        """How many reports were made about these exact bytes."""
        with self._session() as session:
            return session.scalar(select(MediaRow.times_seen).where(MediaRow.sha256 == sha256)) or 0
