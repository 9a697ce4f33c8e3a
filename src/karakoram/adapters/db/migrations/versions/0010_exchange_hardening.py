"""exchange hardening: the workers' last runs, and refusals of junk counted instead of stored

`worker_runs` holds each background worker's last success and failure, which `/ready` reads
(every API process and a separate relay share it). `refusal_counts` counts refusals per hour,
code and claimed sender, so that unauthenticated junk is counted (and only sampled into
`refusals`) instead of written one row per item. `partner_keys.revoked_at` ends a key at once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_runs",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_runs")),
    )
    op.create_table(
        "refusal_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("sender", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusal_counts")),
        sa.UniqueConstraint(
            "hour", "code", "sender", name=op.f("uq_refusal_counts_hour_code_sender")
        ),
    )

    with op.batch_alter_table("partner_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_keys", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
    op.drop_table("refusal_counts")
    op.drop_table("worker_runs")
