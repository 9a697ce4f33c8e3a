"""the expo's first schema: partners and their keys, participants, HS nomenclature, listings
with their trigram search index, market inputs, suggestions

The search index: on SQLite an FTS5 table with the trigram tokenizer over `listings.search_text`
(rowid = listing id, written by the repository in the listing's transaction); on PostgreSQL a
GIN pg_trgm index on `search_text`, serving ILIKE '%...%' (the extension is created in schema
public if missing: PostgreSQL 13+ lets a database owner do it, pg_trgm being trusted).

Revision ID: 0001_expo
Revises:
Create Date: 2026-11-30 17:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_expo"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chapter_trends",
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("chapter", sa.String(length=2), nullable=False),
        sa.Column("growth_pct", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("origin", "destination", "chapter"),
    )
    op.create_table(
        "hs_codes",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issuer", sa.String(length=35), nullable=False),
        sa.Column("trader_id", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("aeo", sa.Boolean(), nullable=False),
        sa.Column("aeo_level", sa.String(length=8), nullable=True),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "trader_id", name="uq_participant_trader"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "partners",
        sa.Column("administration", sa.String(length=35), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("administration"),
    )
    op.create_table(
        "preferences",
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("hs_prefix", sa.String(length=6), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("agreement", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("origin", "destination", "hs_prefix"),
    )
    op.create_table(
        "listings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=5), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("hs_code", sa.String(length=6), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("unit", sa.String(length=3), nullable=False),
        sa.Column("price", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("certificates", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "ref", name="uq_listing_ref"),
    )
    op.create_index("ix_listings_hs", "listings", ["hs_code"], unique=False)
    op.create_table(
        "partner_keys",
        sa.Column("administration", sa.String(length=35), nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("jwk", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["administration"],
            ["partners.administration"],
        ),
        sa.PrimaryKeyConstraint("administration", "kid"),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("exhibitor_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("seek_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("exhibitor_response", sa.String(length=20), nullable=False),
        sa.Column("buyer_response", sa.String(length=20), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["participants.id"],
        ),
        sa.ForeignKeyConstraint(
            ["exhibitor_id"],
            ["participants.id"],
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["listings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["seek_id"],
            ["listings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exhibitor_id", "buyer_id", name="uq_suggestion_couple"),
    )
    op.create_index("ix_suggestions_buyer", "suggestions", ["buyer_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE listings_fts USING fts5(search_text, tokenize='trigram')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        op.execute(
            "CREATE INDEX ix_listings_trgm ON listings USING gin (search_text public.gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE listings_fts")
    else:
        op.execute("DROP INDEX ix_listings_trgm")
    op.drop_index("ix_suggestions_buyer", table_name="suggestions")
    op.drop_table("suggestions")
    op.drop_table("partner_keys")
    op.drop_index("ix_listings_hs", table_name="listings")
    op.drop_table("listings")
    op.drop_table("preferences")
    op.drop_table("partners")
    op.drop_table("participants")
    op.drop_table("hs_codes")
    op.drop_table("chapter_trends")
