"""Near-duplicate index: perceptual hashes of the user's images, and the index's change counter.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

import uuid

import sqlalchemy as sa
from alembic import op

from pixelproof.storage.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indexed_images",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("pdq", sa.LargeBinary(32), nullable=False),
        sa.Column("pdq_quality", sa.Integer(), nullable=False),
        sa.Column("phash", sa.LargeBinary(8), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_indexed_images_first_seen", "indexed_images", ["first_seen"])
    state = op.create_table(
        "image_index_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("last_removal", sa.Integer(), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "token": uuid.uuid4().hex, "generation": 0, "last_removal": 0}])


def downgrade() -> None:
    op.drop_table("image_index_state")
    op.drop_table("indexed_images")
