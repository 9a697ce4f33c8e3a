"""party indexes: a trader's declarations by each party column in id order

A page of a trader's list was an OR over four party columns, which read every declaration of
a big trader and sorted them (150 ms for 100,000); one ordered walk per column stops after a
page instead.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 18:20:00.000000
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PARTIES = ("exporter_id", "importer_id", "declarant_id")


def upgrade() -> None:

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        for column in PARTIES:
            batch_op.drop_index(batch_op.f(f"ix_declarations_{column}"))
            batch_op.create_index(
                batch_op.f(f"ix_declarations_{column}_id"), [column, "id"], unique=False
            )
        batch_op.create_index(batch_op.f("ix_declarations_owner_id"), ["owner", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarations_owner_id"))
        for column in PARTIES:
            batch_op.drop_index(batch_op.f(f"ix_declarations_{column}_id"))
            batch_op.create_index(batch_op.f(f"ix_declarations_{column}"), [column], unique=False)
