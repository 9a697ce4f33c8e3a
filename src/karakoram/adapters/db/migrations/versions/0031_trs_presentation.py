"""TRS presentation stage: when each cargo report's goods were presented

Issue 15 (docs/gate.md, "Clearance time"): the Time Release Study measures clearance from
the presentation of the goods; `presented_at` keeps when a report became `presented` (null
before, and for reports presented before this revision: their imports are measured from
arrival as before).

Revision ID: 0031_trs_presentation
Revises: 0030_release
Create Date: 2026-11-30 21:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_trs_presentation"
down_revision = "0030_release"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cargo_reports") as batch:
        batch.add_column(sa.Column("presented_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cargo_reports") as batch:
        batch.drop_column("presented_at")
