"""Contracts registered with the customs nodes, the expo's outbox and relay to them, and the
clearance results they send back: the deal register (issue 19).

Revision ID: 0010_deals
Revises: 0009_contract_pdfs
Create Date: 2026-12-01 00:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_deals"
down_revision = "0009_contract_pdfs"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "node_addresses",
        sa.Column("administration", sa.String(35), primary_key=True),
        sa.Column("base_url", sa.String(300), nullable=False),
    )
    op.create_table(
        "expo_outbox",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("recipient", sa.String(35), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("receipt", sa.Text()),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
    )
    op.create_index("ix_expo_outbox_due", "expo_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "contracts_registered",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("contract_hash", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("registered_at", TS, nullable=False),
    )
    op.create_table(
        "deal_shipments",
        sa.Column("ucr", sa.String(35), primary_key=True),
        sa.Column("chapter", sa.String(2), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column(
            "contract_id",
            sa.String(64),
            sa.ForeignKey("contracts_registered.contract_id"),
            nullable=False,
        ),
        sa.Column("origin", sa.String(2), nullable=False),
        sa.Column("destination", sa.String(2), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("value", sa.Numeric(18, 2), nullable=False),
    )
    op.create_table(
        "clearance_results",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("sender", sa.String(35), nullable=False),
        sa.Column("ucr", sa.String(35), nullable=False),
        sa.Column("declaration_type", sa.String(2), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("value", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_clearance_results_ucr", "clearance_results", ["ucr"])


def downgrade() -> None:
    for table in (
        "clearance_results", "deal_shipments", "contracts_registered", "expo_outbox",
        "node_addresses",
    ):  # fmt: skip
        op.drop_table(table)
