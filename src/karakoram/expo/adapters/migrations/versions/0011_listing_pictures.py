"""Pictures of the listed products (issue 18), each once per listing by its SHA-256.

Revision ID: 0011_listing_pictures
Revises: 0010_deals
Create Date: 2026-12-01 01:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_listing_pictures"
down_revision = "0010_deals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_pictures",
        sa.Column("listing_id", sa.Integer(), sa.ForeignKey("listings.id"), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("listing_pictures")
