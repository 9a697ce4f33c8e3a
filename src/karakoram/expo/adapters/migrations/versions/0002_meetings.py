"""meetings across time zones: availability per participant (its zone, windows in UTC),
meeting requests on accepted matches, and the scheduled meetings with their minutes

Revision ID: 0002_meetings
Revises: 0001_expo
Create Date: 2026-11-30 20:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_meetings"
down_revision = "0001_expo"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "availability",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_table(
        "meeting_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("counterpart_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("answered_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["participants.id"]),
        sa.ForeignKeyConstraint(["counterpart_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("suggestion_id"),
    )
    op.create_index(
        "ix_meeting_requests_counterpart", "meeting_requests", ["counterpart_id"], unique=False
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("minutes_at", TS, nullable=True),
        sa.Column("scheduled_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["meeting_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_meetings_starts", "meetings", ["starts_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_meetings_starts", table_name="meetings")
    op.drop_table("meetings")
    op.drop_index("ix_meeting_requests_counterpart", table_name="meeting_requests")
    op.drop_table("meeting_requests")
    op.drop_table("availability")
