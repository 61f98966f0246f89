"""Alembic environment: always run by ``storage.migrate.upgrade`` on an open connection."""

from alembic import context

from pixelproof.storage.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying
)
with context.begin_transaction():
    context.run_migrations()
