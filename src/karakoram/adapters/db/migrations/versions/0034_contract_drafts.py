"""Contract drafts: the shipments of contracts signed at the expo (issue 19)

Each shipment's UCR with the draft declaration this node's trader lodges from it and the
contract as the expo registered it (for the risk fact "differs from contract" and the
three-way mirror); `mrn` once a declaration carrying the UCR is lodged.

Revision ID: 0034_contract_drafts
Revises: 0033_trader_certificates
Create Date: 2026-12-01 00:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_contract_drafts"
down_revision = "0033_trader_certificates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_drafts",
        sa.Column("ucr", sa.String(35), primary_key=True),
        sa.Column("contract_id", sa.String(64), nullable=False),
        sa.Column("contract_hash", sa.String(64), nullable=False),
        sa.Column("trader", sa.String(35), nullable=False),
        sa.Column("declaration_type", sa.String(2), nullable=False),
        sa.Column("draft", sa.JSON, nullable=False),
        sa.Column("contract", sa.JSON, nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mrn", sa.String(35)),
    )
    op.create_index("ix_contract_drafts_contract_id", "contract_drafts", ["contract_id"])
    op.create_index("ix_contract_drafts_trader", "contract_drafts", ["trader"])


def downgrade() -> None:
    op.drop_table("contract_drafts")
