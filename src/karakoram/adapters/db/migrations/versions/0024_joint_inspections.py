"""joint inspections: one control record of a consignment, signed by both nodes

Revision ID: 0024_joint_inspections
Revises: 0030_attachment_blobs
Create Date: 2026-11-30 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_joint_inspections"
down_revision = "0030_attachment_blobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "joint_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.String(length=40), nullable=False),
        sa.Column("ucr", sa.String(length=35), nullable=False),
        sa.Column("mrn", sa.String(length=18), nullable=True),
        sa.Column("proposed_by", sa.String(length=20), nullable=False),
        sa.Column("partner", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_inspections")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_joint_inspections_proposal_id")),
    )
    op.create_index(op.f("ix_joint_inspections_ucr"), "joint_inspections", ["ucr"])


def downgrade() -> None:
    op.drop_index(op.f("ix_joint_inspections_ucr"), table_name="joint_inspections")
    op.drop_table("joint_inspections")
