"""clearance: assessments, controls, payments, policy documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:38:02.909669
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "policy_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_activations")),
    )
    with op.batch_alter_table("policy_activations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_activations_kind_id"), ["kind", "id"], unique=False
        )

    op.create_table(
        "policy_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_documents")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_policy_documents_kind_version")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=True),
        sa.Column("tariff_version", sa.Integer(), nullable=True),
        sa.Column("rates_version", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("draw", sa.Float(), nullable=False),
        sa.Column("total_due", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("risk", sa.JSON(), nullable=False),
        sa.Column("duties", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_assessments_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessments_assessed_at"), ["assessed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assessments_declaration_id_id"), ["declaration_id", "id"], unique=False
        )

    op.create_table(
        "controls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_controls_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_controls")),
    )
    with op.batch_alter_table("controls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_controls_declaration_id_id"), ["declaration_id", "id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_payments_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "declaration_id", "reference", name=op.f("uq_payments_declaration_id_reference")
        ),
    )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("amount_due", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("due_currency", sa.String(length=3), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_declarations_status_channel"), ["status", "channel"], unique=False
        )

    with op.batch_alter_table("goods_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_value", sa.Float(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("goods_items", schema=None) as batch_op:
        batch_op.drop_column("unit_value")

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarations_status_channel"))
        batch_op.drop_column("due_currency")
        batch_op.drop_column("amount_due")
        batch_op.drop_column("channel")

    op.drop_table("payments")
    with op.batch_alter_table("controls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_controls_declaration_id_id"))

    op.drop_table("controls")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_declaration_id_id"))
        batch_op.drop_index(batch_op.f("ix_assessments_assessed_at"))

    op.drop_table("assessments")
    op.drop_table("policy_documents")
    with op.batch_alter_table("policy_activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_activations_kind_id"))

    op.drop_table("policy_activations")
