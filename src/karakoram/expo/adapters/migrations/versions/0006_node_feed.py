"""What the customs nodes send the expo (issue 18): their delivered messages (each id once,
with the expo's signed receipt), monthly trade summaries and tariff versions. The operator's
typed market inputs (preferences, chapter_trends) give way to them.

Revision ID: 0006_node_feed
Revises: 0005_conference
Create Date: 2026-11-30 23:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_node_feed"
down_revision = "0005_conference"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "node_inbox",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(35), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_table(
        "node_summaries",
        sa.Column("sender", sa.String(35), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("sender", "month"),
    )
    op.create_table(
        "node_tariffs",
        sa.Column("sender", sa.String(35), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("agreements", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("sender"),
    )
    op.drop_table("preferences")
    op.drop_table("chapter_trends")


def downgrade() -> None:
    op.drop_table("node_tariffs")
    op.drop_table("node_summaries")
    op.drop_table("node_inbox")
    op.create_table(
        "preferences",
        sa.Column("origin", sa.String(2), nullable=False),
        sa.Column("destination", sa.String(2), nullable=False),
        sa.Column("hs_prefix", sa.String(6), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("agreement", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("origin", "destination", "hs_prefix"),
    )
    op.create_table(
        "chapter_trends",
        sa.Column("origin", sa.String(2), nullable=False),
        sa.Column("destination", sa.String(2), nullable=False),
        sa.Column("chapter", sa.String(2), nullable=False),
        sa.Column("growth_pct", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("origin", "destination", "chapter"),
    )
