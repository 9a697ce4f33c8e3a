"""partner checkpoints: partners' signed checkpoints of their audit chains, kept as witnesses

A partner sends each checkpoint it makes of its own chain (size, head hash, time, its JWS); this
node keeps it, once per (administration, size, head), and answers the partner's later question
"which of my checkpoints do you hold?". Like the audit log, the rows are append-only: triggers
refuse UPDATE and DELETE on SQLite and PostgreSQL, and on PostgreSQL the application role
`karakoram_app` (migration 0007) may only INSERT and SELECT them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

REFUSAL = "partner checkpoints are append-only"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER partner_checkpoints_no_{verb.lower()} BEFORE {verb} "
    f"ON partner_checkpoints BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")
]

POSTGRES_TRIGGERS = [
    "CREATE FUNCTION partner_checkpoints_refuse() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    "CREATE TRIGGER partner_checkpoints_no_change BEFORE UPDATE OR DELETE ON partner_checkpoints "
    "FOR EACH ROW EXECUTE FUNCTION partner_checkpoints_refuse()",
    "CREATE TRIGGER partner_checkpoints_no_truncate BEFORE TRUNCATE ON partner_checkpoints "
    "FOR EACH STATEMENT EXECUTE FUNCTION partner_checkpoints_refuse()",
    """DO $$ BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'karakoram_app') THEN
            REVOKE UPDATE, DELETE, TRUNCATE ON partner_checkpoints FROM karakoram_app;
        END IF;
    END $$""",
]


def upgrade() -> None:
    op.create_table(
        "partner_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_checkpoints")),
        sa.UniqueConstraint(
            "administration",
            "size",
            "head",
            name=op.f("uq_partner_checkpoints_administration_size_head"),
        ),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION partner_checkpoints_refuse() CASCADE")
    op.drop_table("partner_checkpoints")
