"""The one object adapters use to persist and look things up; no SQL leaks out of it.

One database, one class per aggregate over it: reports (report_records), API keys with
their credits and usage (key_records), their limits shared by every server process
(key_limit_records), users' feedback (feedback_records) and the
near-duplicate index (index_records) and async jobs (job_records). ``Store`` is all of them together.
"""

from .feedback_records import FeedbackRecords
from .index_records import IndexRecords
from .job_records import JobRecords
from .key_limit_records import KeyLimitRecords
from .key_records import KeyRecords
from .report_records import ReportRecords


class Store(ReportRecords, KeyRecords, KeyLimitRecords, FeedbackRecords, IndexRecords, JobRecords):
    """Open with ``Store.open(url)`` (which brings the schema up to date); close, or use as a
    context manager."""
