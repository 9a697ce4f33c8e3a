"""Trader certificates: the node's CA certifies its traders' signing keys (issue 19)

Each certificate issued to a trader's Ed25519 key, with its validity and, once replaced,
when it was revoked (the CA's revocation list is read from here).

Revision ID: 0033_trader_certificates
Revises: 0032_partner_kind
Create Date: 2026-11-30 23:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_trader_certificates"
down_revision = "0032_partner_kind"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trader_certificates",
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column("trader_id", sa.String(35), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pem", sa.Text(), nullable=False),
    )
    op.create_index("ix_trader_certificates_trader_id", "trader_certificates", ["trader_id"])


def downgrade() -> None:
    op.drop_index("ix_trader_certificates_trader_id", "trader_certificates")
    op.drop_table("trader_certificates")
