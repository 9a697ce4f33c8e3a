"""discrepancy resolution: how an officer settled each discrepancy of a write-off

Issue 15 part 2 (docs/gate.md): a discrepancy is added to, amended or seized, with a reason,
by an officer, at a time; an open one (resolution null) keeps the truck from clearing.

Revision ID: 0030_release
Revises: 0024_gate_partner
Create Date: 2026-11-30 20:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_release"
down_revision = "0024_gate_partner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cargo_discrepancies") as batch:
        batch.add_column(sa.Column("resolution", sa.String(8), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cargo_discrepancies") as batch:
        batch.drop_column("resolved_at")
        batch.drop_column("resolved_by")
        batch.drop_column("reason")
        batch.drop_column("resolution")
