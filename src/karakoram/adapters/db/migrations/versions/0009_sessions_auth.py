"""sessions and authentication: server-side web sessions, failed attempts, HMAC API keys

Web sessions move from a signed cookie to a table (the cookie holds a random id, the table its
HMAC). Failed sign-ins and key checks are counted per account, client address and key id, so
every worker shares locks. API keys are now stored as HMAC-SHA-256 under the node's
`api_key_secret`: an argon2 hash of an existing key cannot be converted (the key itself is not
stored), so existing keys are marked for reissue and stop working; an administrator gives each
user a new one with `karakoram users key NAME` (see the README, "Security").

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: what an argon2-hashed key becomes: no HMAC digest (64 hex digits) ever equals it
REISSUE = "reissue: stored before HMAC keys (migration 0009)"


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)
    op.create_table(
        "auth_attempts",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_auth_attempts")),
    )
    users = sa.table("users", sa.column("key_hash", sa.String))
    op.execute(users.update().where(users.c.key_hash.like("$argon2%")).values(key_hash=REISSUE))


def downgrade() -> None:
    op.drop_table("auth_attempts")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
