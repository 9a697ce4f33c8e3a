"""declarations, items, events, users, nomenclature

Revision ID: 0001
Revises:
Create Date: 2026-11-28 04:23:47.009443
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=18), nullable=False),
        sa.Column("owner", sa.String(length=35), nullable=False),
        sa.Column("lrn", sa.String(length=35), nullable=False),
        sa.Column("type", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("declarant_id", sa.String(length=35), nullable=False),
        sa.Column("exporter_id", sa.String(length=35), nullable=False),
        sa.Column("importer_id", sa.String(length=35), nullable=False),
        sa.Column("ucr", sa.String(length=35), nullable=False),
        sa.Column("office_of_lodgement", sa.String(length=16), nullable=False),
        sa.Column("invoice_currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_amount", sa.String(length=40), nullable=False),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
        sa.UniqueConstraint("mrn", name=op.f("uq_declarations_mrn")),
        sa.UniqueConstraint("owner", "lrn", name=op.f("uq_declarations_owner_lrn")),
    )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declarations_declarant_id"), ["declarant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_declarations_exporter_id"), ["exporter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_declarations_importer_id"), ["importer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_declarations_lodged_at"), ["lodged_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_declarations_status_id"), ["status", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_declarations_ucr"), ["ucr"], unique=False)

    op.create_table(
        "hs_nomenclature",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("edition", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=5), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_hs_nomenclature")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("party", sa.String(length=35), nullable=True),
        sa.Column("key_id", sa.String(length=24), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("key_id", name=op.f("uq_users_key_id")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "declaration_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_declaration_events_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_events")),
    )
    with op.batch_alter_table("declaration_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declaration_events_declaration_id_id"),
            ["declaration_id", "id"],
            unique=False,
        )

    op.create_table(
        "goods_items",
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=3), nullable=False),
        sa.Column("gross_mass", sa.String(length=40), nullable=False),
        sa.Column("net_mass", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("preference", sa.String(length=35), nullable=True),
        sa.Column("origin_certificate", sa.String(length=35), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_goods_items_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("declaration_id", "seq", name=op.f("pk_goods_items")),
    )
    with op.batch_alter_table("goods_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goods_items_hs_code"), ["hs_code"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("goods_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goods_items_hs_code"))

    op.drop_table("goods_items")
    with op.batch_alter_table("declaration_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_events_declaration_id_id"))

    op.drop_table("declaration_events")
    op.drop_table("users")
    op.drop_table("hs_nomenclature")
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarations_ucr"))
        batch_op.drop_index(batch_op.f("ix_declarations_status_id"))
        batch_op.drop_index(batch_op.f("ix_declarations_lodged_at"))
        batch_op.drop_index(batch_op.f("ix_declarations_importer_id"))
        batch_op.drop_index(batch_op.f("ix_declarations_exporter_id"))
        batch_op.drop_index(batch_op.f("ix_declarations_declarant_id"))

    op.drop_table("declarations")
