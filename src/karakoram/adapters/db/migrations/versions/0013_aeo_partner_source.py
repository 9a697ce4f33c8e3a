"""AEO register: room in `source` for "partner <administration>"

A partner's AEO list, received under mutual recognition, is recorded with the source
"partner <administration>" (up to 8 + 20 characters), which did not fit in 16.

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-30 14:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aeo_register", schema=None) as batch_op:
        batch_op.alter_column(
            "source", existing_type=sa.String(length=16), type_=sa.String(length=32)
        )


def downgrade() -> None:
    with op.batch_alter_table("aeo_register", schema=None) as batch_op:
        batch_op.alter_column(
            "source", existing_type=sa.String(length=32), type_=sa.String(length=16)
        )
