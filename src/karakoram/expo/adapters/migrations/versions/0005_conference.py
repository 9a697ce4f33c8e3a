"""the conference programme: sessions carried by the deployment's SFU

Revision ID: 0005_conference
Revises: 0004_room_joins
Create Date: 2026-11-30 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_conference"
down_revision = "0004_room_joins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conference_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("speakers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )


def downgrade() -> None:
    op.drop_table("conference_sessions")
