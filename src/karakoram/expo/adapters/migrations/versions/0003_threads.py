"""business discussions: a hash-chained thread per match, with its signed receipts and
attachments

Revision ID: 0003_threads
Revises: 0002_meetings
Create Date: 2026-11-30 21:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_threads"
down_revision = "0002_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thread_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("suggestion_id", "seq", name="uq_thread_seq"),
        sa.UniqueConstraint("suggestion_id", "author_id", "ref", name="uq_thread_ref"),
    )
    op.create_table(
        "thread_attachments",
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"]),
        sa.PrimaryKeyConstraint("suggestion_id", "sha256"),
    )


def downgrade() -> None:
    op.drop_table("thread_attachments")
    op.drop_table("thread_entries")
