"""attachment blobs: documents attached to declarations, by SHA-256 (issue 17)

On PostgreSQL every host reads them here; on SQLite the node keeps them in a folder beside the
database file instead, and this table stays empty (it exists so that both schemas are one).

Revision ID: 0030_attachment_blobs
Revises: 0024_fallback
Create Date: 2026-11-30 20:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_attachment_blobs"
down_revision = "0024_fallback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_attachment_blobs")),
    )


def downgrade() -> None:
    op.drop_table("attachment_blobs")
