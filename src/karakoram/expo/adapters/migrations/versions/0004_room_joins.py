"""the organiser's view: the first time each participant joined a meeting's room

Revision ID: 0004_room_joins
Revises: 0003_threads
Create Date: 2026-11-30 21:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_room_joins"
down_revision = "0003_threads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_joins",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("meeting_id", "participant_id"),
    )


def downgrade() -> None:
    op.drop_table("room_joins")
