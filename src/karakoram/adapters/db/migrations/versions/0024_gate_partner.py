"""the gate and the partner: the partner's cargo reports (trucks coming), the probes of each
partner, and the pre-arrival checks of imports assessed while it was down, checked again when
its data arrives (issue 15, docs/gate.md)

Revision ID: 0024_gate_partner
Revises: 0024_slots
Create Date: 2026-11-30 20:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_gate_partner"
down_revision = "0024_slots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pre_arrival_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.Column("ucr", sa.String(length=35), nullable=False),
        sa.Column("partner_country", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pre_arrival_checks")),
        sa.UniqueConstraint("mrn", name=op.f("uq_pre_arrival_checks_mrn")),
    )
    op.create_index(op.f("ix_pre_arrival_checks_ucr"), "pre_arrival_checks", ["ucr"])
    op.create_index(op.f("ix_pre_arrival_checks_status_id"), "pre_arrival_checks", ["status", "id"])

    op.create_table(
        "partner_probes",
        sa.Column("administration", sa.String(length=20), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("administration", name=op.f("pk_partner_probes")),
    )

    op.create_table(
        "partner_cargo_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("carrier", sa.String(length=35), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("registration", sa.String(length=35), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_cargo_reports")),
        sa.UniqueConstraint("message_id", name=op.f("uq_partner_cargo_reports_message_id")),
    )
    op.create_index(
        op.f("ix_partner_cargo_reports_registration"), "partner_cargo_reports", ["registration"]
    )
    op.create_table(
        "partner_cargo_ucrs",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("ucr", sa.String(length=35), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["partner_cargo_reports.id"],
            name=op.f("fk_partner_cargo_ucrs_report_id_partner_cargo_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "ucr", name=op.f("pk_partner_cargo_ucrs")),
    )
    op.create_index(op.f("ix_partner_cargo_ucrs_ucr"), "partner_cargo_ucrs", ["ucr"])


def downgrade() -> None:
    op.drop_table("partner_cargo_ucrs")
    op.drop_table("partner_cargo_reports")
    op.drop_table("partner_probes")
    op.drop_table("pre_arrival_checks")
