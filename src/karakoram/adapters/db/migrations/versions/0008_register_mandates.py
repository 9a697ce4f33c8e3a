"""register and mandates: AEO register, representation mandates, consignment draws

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=35), nullable=False),
        sa.Column("representative", sa.String(length=35), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
    )
    op.create_index(
        op.f("ix_mandates_representative"), "mandates", ["representative"], unique=False
    )
    op.create_table(
        "aeo_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=35), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aeo_register")),
    )
    op.create_index(
        op.f("ix_aeo_register_identifier"), "aeo_register", ["identifier"], unique=False
    )
    op.create_table(
        "consignment_draws",
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("anchor", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mrn", name=op.f("pk_consignment_draws")),
    )
    op.create_index(
        op.f("ix_consignment_draws_fingerprint_at"),
        "consignment_draws",
        ["fingerprint", "at"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_consignment_draws_fingerprint_at"), table_name="consignment_draws")
    op.drop_table("consignment_draws")
    op.drop_index(op.f("ix_aeo_register_identifier"), table_name="aeo_register")
    op.drop_table("aeo_register")
    op.drop_index(op.f("ix_mandates_representative"), table_name="mandates")
    op.drop_table("mandates")
