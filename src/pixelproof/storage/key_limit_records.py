"""Per-key limits in the database, so that every server process (``serve --workers N``, or
several servers) counts against the same ones: a token bucket per key for analyses a minute,
and a row per running analysis for the limit at once.

Each admission is one transaction that first locks the key's bucket row (PostgreSQL: ``FOR
UPDATE``; SQLite: the write lock its first INSERT takes), so two processes admitting for the
same key take turns and neither can pass a limit the other just reached. Times are seconds
since the epoch from the caller's clock: the processes of one machine share it, and servers on
several machines are assumed to keep theirs in step (NTP) to well under a second.
"""

from sqlalchemy import delete, func, select

from .database import Database
from .keys import AnalysisLimits, OverLimit
from .tables import KeyAnalysisRow, KeyRateRow


class KeyLimitRecords(Database):
    def start_analysis(self, key_id: str, limits: AnalysisLimits, now: float) -> int | OverLimit:
        """Count one analysis for ``key_id`` if its limits allow it: the id of its running row (for
        ``end_analysis``), else which limit refused it. A refusal takes nothing from the bucket."""
        with self._session() as session:
            session.execute(
                self._insert(KeyRateRow)
                .values(api_key_id=key_id, tokens=float(limits.per_minute), updated_at=now)
                .on_conflict_do_nothing(index_elements=[KeyRateRow.api_key_id])
            )
            bucket = session.scalars(select(KeyRateRow).where(KeyRateRow.api_key_id == key_id).with_for_update()).one()
            # the rows of analyses whose process died: they count no longer
            session.execute(
                delete(KeyAnalysisRow).where(KeyAnalysisRow.api_key_id == key_id, KeyAnalysisRow.expires_at <= now)
            )
            if limits.at_once:
                running = session.scalar(select(func.count()).where(KeyAnalysisRow.api_key_id == key_id))
                if running >= limits.at_once:
                    return OverLimit("at_once", None)
            if limits.per_minute:
                rate = limits.per_minute / 60  # refilled evenly: bursts up to the limit pass, a steady excess does not
                tokens = min(limits.per_minute, bucket.tokens + max(0.0, now - bucket.updated_at) * rate)
                if tokens < 1:
                    return OverLimit("per_minute", (1 - tokens) / rate)
                bucket.tokens, bucket.updated_at = tokens - 1, now
            running_row = KeyAnalysisRow(api_key_id=key_id, expires_at=now + limits.lease_s)
            session.add(running_row)
            session.flush()
            return running_row.id

    def end_analysis(self, analysis_id: int) -> None:
        """The analysis ``start_analysis`` counted has ended: it counts no longer."""
        with self._session() as session:
            session.execute(delete(KeyAnalysisRow).where(KeyAnalysisRow.id == analysis_id))
