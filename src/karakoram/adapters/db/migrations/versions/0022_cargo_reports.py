"""cargo reports: what each truck carries, lodged by its carrier (issue 15, docs/gate.md)

Revision ID: 0022
Revises: 0015
Create Date: 2026-11-30 17:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cargo_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=35), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("crossing", sa.String(length=16), nullable=False),
        sa.Column("registration", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lodged_by", sa.String(length=100), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cargo_reports")),
        sa.UniqueConstraint(
            "carrier", "reference", name=op.f("uq_cargo_reports_carrier_reference")
        ),
    )
    op.create_index(op.f("ix_cargo_reports_registration"), "cargo_reports", ["registration"])
    op.create_index(op.f("ix_cargo_reports_status_id"), "cargo_reports", ["status", "id"])
    op.create_table(
        "cargo_consignments",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("ucr", sa.String(length=35), nullable=False),
        sa.Column("packages", sa.Integer(), nullable=False),
        sa.Column("gross_mass", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["cargo_reports.id"],
            name=op.f("fk_cargo_consignments_report_id_cargo_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "ucr", name=op.f("pk_cargo_consignments")),
    )
    op.create_index(op.f("ix_cargo_consignments_ucr"), "cargo_consignments", ["ucr"])
    op.create_table(
        "cargo_discrepancies",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ucr", sa.String(length=35), nullable=False),
        sa.Column("mrn", sa.String(length=18), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["cargo_reports.id"],
            name=op.f("fk_cargo_discrepancies_report_id_cargo_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "seq", name=op.f("pk_cargo_discrepancies")),
    )


def downgrade() -> None:
    op.drop_table("cargo_discrepancies")
    op.drop_index(op.f("ix_cargo_consignments_ucr"), table_name="cargo_consignments")
    op.drop_table("cargo_consignments")
    op.drop_index(op.f("ix_cargo_reports_status_id"), table_name="cargo_reports")
    op.drop_index(op.f("ix_cargo_reports_registration"), table_name="cargo_reports")
    op.drop_table("cargo_reports")
