"""Near-duplicate index: a CLIP embedding per image, for matches the hashes cannot see (crops).

Nullable: images indexed before, or without the CLIP model, keep matching by their hashes.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("indexed_images", sa.Column("embedding", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indexed_images") as batch:
        batch.drop_column("embedding")
