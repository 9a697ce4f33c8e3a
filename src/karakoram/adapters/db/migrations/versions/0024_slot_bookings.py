"""crossing slots: trucks' booked slots and each slot's count (issue 15, docs/gate.md)

Revision ID: 0024_slots
Revises: 0024_notifications
Create Date: 2026-11-30 20:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_slots"
down_revision = "0024_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slot_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=35), nullable=False),
        sa.Column("carrier", sa.String(length=35), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("crossing", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("registration", sa.String(length=35), nullable=False),
        sa.Column("ucrs", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("booked_by", sa.String(length=100), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_bookings")),
        sa.UniqueConstraint(
            "owner", "carrier", "reference", name=op.f("uq_slot_bookings_owner_carrier_reference")
        ),
    )
    op.create_index(
        op.f("ix_slot_bookings_crossing_day_start"), "slot_bookings", ["crossing", "day", "start"]
    )
    op.create_table(
        "slot_counts",
        sa.Column("crossing", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "crossing", "direction", "day", "start", name=op.f("pk_slot_counts")
        ),
    )


def downgrade() -> None:
    op.drop_table("slot_counts")
    op.drop_index(op.f("ix_slot_bookings_crossing_day_start"), table_name="slot_bookings")
    op.drop_table("slot_bookings")
