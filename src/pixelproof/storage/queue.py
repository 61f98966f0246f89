"""The task queue of jobs on PostgreSQL: procrastinate, in the same database as the job table.

The job table stays the truth about every image (its state, its report, its credit); the queue
says which image to run next and which worker holds it. Its tasks are written in the very
transaction that makes the work (a job's images, a finished job's webhook), so a server killed
at any moment leaves no image without its task and no task without its image. The tasks
themselves run in api/job_queue.py. On SQLite nothing is queued: the server's own worker reads
the job table.
"""

from functools import cache

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ..errors import PixelproofError

ANALYZE = "pixelproof.analyze_item"  # (job_id, item_id): analyze one image of a job
WEBHOOK = "pixelproof.send_webhook"  # (job_id): one try at delivering a finished job's webhook


class QueueUnavailable(PixelproofError):
    """The database is PostgreSQL but procrastinate, which runs its jobs, is not installed."""

    code = "queue_unavailable"
    http_status = 500


def _procrastinate():
    try:
        import procrastinate
    except ImportError:
        raise QueueUnavailable(
            "jobs on PostgreSQL run on procrastinate, which is not installed: pip install 'pixelproof[postgres]'"
        ) from None
    return procrastinate


def is_queued(db_url: str) -> bool:
    """Whether this database's jobs go through the task queue (PostgreSQL) or not (SQLite)."""
    return make_url(db_url).get_backend_name() == "postgresql"


def procrastinate_schema() -> str:
    """procrastinate's tables and functions, as SQL (migration 0006 applies it)."""
    return _procrastinate().schema.SchemaManager.get_schema()


def queue_app(db_url: str):
    """A procrastinate App on the database at ``db_url`` (an SQLAlchemy URL), not yet opened.

    It connects as that URL says, ``search_path`` included, so it finds the tables migration
    0006 made next to ours."""
    procrastinate = _procrastinate()
    conninfo = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))


@cache
def _deferrer():
    """An App with no connection of its own: it only writes on the connection it is handed."""
    procrastinate = _procrastinate()
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector())


def enqueue(session: Session, task: str, *task_kwargs: dict) -> None:
    """Queue ``task`` once per kwargs in the session's transaction (on PostgreSQL; on SQLite
    the server's worker finds the work in the job table)."""
    if not task_kwargs or session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection().connection.driver_connection
    _deferrer().configure_task(task, connection=connection).batch_defer(*task_kwargs)
