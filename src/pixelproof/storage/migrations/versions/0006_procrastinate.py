"""PostgreSQL only: procrastinate's tables and functions, the queue ``pixelproof worker`` takes jobs' images from.

procrastinate is pinned (the ``postgres`` extra), so its schema here is that version's. A
newer procrastinate ships SQL migrations of its own (``procrastinate schema --migrations-path``):
upgrading it means a migration here that applies them. SQLite databases are untouched: their
jobs run inside ``pixelproof serve`` from the job table alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from alembic import op

from pixelproof.storage.queue import procrastinate_schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar() is not None:
        return  # applied already (by hand, with procrastinate's own `schema --apply`)
    # the driver's own cursor: the schema is many statements, with ``%`` and ``:`` SQLAlchemy would read as parameters
    bind.connection.dbapi_connection.cursor().execute(procrastinate_schema())


def downgrade() -> None:
    pass  # procrastinate ships no downgrade: its tables stay, and upgrading again finds them
