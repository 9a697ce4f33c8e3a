"""simulated clock: a demo node's clock kept in its database

`simulated_clock` holds one row: the simulated time and the real time at which the clock read
it, so that a node restarted after a crash (and every CLI command on the same database) resumes
the node's clock instead of the configured start.

Revision ID: 0020_smallfix
Revises: 0023
Create Date: 2026-11-30 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_smallfix"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simulated_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reads", sa.DateTime(timezone=True), nullable=False),
        sa.Column("real_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulated_clock")),
    )


def downgrade() -> None:
    op.drop_table("simulated_clock")
