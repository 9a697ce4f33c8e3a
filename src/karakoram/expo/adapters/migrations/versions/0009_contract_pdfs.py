"""the signed contract's PDF rendition: its revisions (rendered, then each party's PAdES
signature on top) and the signatures prepared and awaiting the party's signature value

Revision ID: 0009_contract_pdfs
Revises: 0008_invitation_mail
Create Date: 2026-12-01 00:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_contract_pdfs"
down_revision = "0008_invitation_mail"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contract_pdfs",
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("signed_by", sa.Integer(), sa.ForeignKey("participants.id"), nullable=True),
        sa.Column("field_name", sa.String(64), nullable=True),
        sa.Column("signature_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "revision"),
    )
    op.create_table(
        "contract_pdf_pending",
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("participant_id", sa.Integer(), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("cert_sha256", sa.String(64), nullable=False),
        sa.Column("pending", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "participant_id"),
    )


def downgrade() -> None:
    op.drop_table("contract_pdf_pending")
    op.drop_table("contract_pdfs")
