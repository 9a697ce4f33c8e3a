"""meeting invitations by e-mail: participants' addresses and the invitations' outbox

Revision ID: 0008_invitation_mail
Revises: 0007_contracts
Create Date: 2026-11-30 23:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_invitation_mail"
down_revision = "0007_contracts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_table(
        "invitation_mails",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "participant_id"),
    )
    op.create_index("ix_invitation_mails_due", "invitation_mails", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_invitation_mails_due", table_name="invitation_mails")
    op.drop_table("invitation_mails")
    op.drop_table("contacts")
