"""Partner kind: a country administration, or the expo (issue 18)

The expo is registered as a partner of its own kind: it is sent only its own message types
(trade summaries, tariff versions) and never an administration's. Partners registered before
this revision are administrations.

Revision ID: 0032_partner_kind
Revises: 0031_trs_presentation
Create Date: 2026-11-30 23:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0032_partner_kind"
down_revision = "0031_trs_presentation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(14), nullable=False, server_default="administration")
        )


def downgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("kind")
