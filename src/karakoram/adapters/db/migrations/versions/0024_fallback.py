"""the fallback file: keys certified for offline capture, and the entries taken in
(issue 15, docs/gate.md)

Revision ID: 0024_fallback
Revises: 0020_smallfix
Create Date: 2026-11-30 20:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_fallback"
down_revision = "0020_smallfix"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fallback_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("jwk", sa.JSON(), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("certified_by", sa.String(length=100), nullable=False),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_fallback_keys")),
    )
    op.create_table(
        "fallback_entries",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kid"], ["fallback_keys.kid"], name=op.f("fk_fallback_entries_kid_fallback_keys")
        ),
        sa.PrimaryKeyConstraint("kid", "seq", name=op.f("pk_fallback_entries")),
    )
    op.create_index(op.f("ix_fallback_entries_reference"), "fallback_entries", ["reference"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fallback_entries_reference"), table_name="fallback_entries")
    op.drop_table("fallback_entries")
    op.drop_table("fallback_keys")
