"""contracts drafted in discussions, their versions and signatures; the nodes' trader CAs

Revision ID: 0007_contracts
Revises: 0006_node_feed
Create Date: 2026-11-30 23:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_contracts"
down_revision = "0006_node_feed"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("suggestion_id", sa.Integer(), sa.ForeignKey("suggestions.id"), nullable=False),
        sa.Column("drafted_by", sa.Integer(), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("signed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contracts_suggestion_id", "contracts", ["suggestion_id"])
    op.create_table(
        "contract_versions",
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("terms_hash", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("drafted_by", sa.Integer(), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("drafted_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "version"),
    )
    op.create_table(
        "contract_signatures",
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("member", sa.JSON(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "version", "participant_id"),
    )
    op.create_table(
        "trader_cas",
        sa.Column(
            "administration",
            sa.String(35),
            sa.ForeignKey("partners.administration"),
            nullable=False,
        ),
        sa.Column("cert_pem", sa.Text(), nullable=False),
        sa.Column("crl_pem", sa.Text(), nullable=True),
        sa.Column("crl_issued_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("administration"),
    )


def downgrade() -> None:
    op.drop_table("trader_cas")
    op.drop_table("contract_signatures")
    op.drop_table("contract_versions")
    op.drop_index("ix_contracts_suggestion_id", "contracts")
    op.drop_table("contracts")
