"""declaration search: the truck's registration as a column, indexes for an officer's search
and for one user's audit trail

`vehicle` holds the registration as `domain.declaration.model.plate_key` writes it (letters
and digits, upper case); existing rows are filled from their stored header, in batches.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 17:30:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

from karakoram.domain.declaration.model import plate_key

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.add_column("declarations", sa.Column("vehicle", sa.String(length=35), nullable=True))
    conn = op.get_bind()
    table = sa.table(
        "declarations",
        sa.column("id", sa.Integer),
        sa.column("header", sa.JSON),
        sa.column("vehicle", sa.String),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.header)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            header = row.header if isinstance(row.header, dict) else json.loads(row.header)
            registration = str(header.get("transport", {}).get("registration", ""))
            updates.append({"row_id": row.id, "plate": plate_key(registration)})
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values(vehicle=sa.bindparam("plate")),
            updates,
        )
        last = rows[-1].id
    op.create_index(op.f("ix_declarations_vehicle"), "declarations", ["vehicle"])
    op.create_index(op.f("ix_declarations_lrn"), "declarations", ["lrn"])
    op.create_index(op.f("ix_audit_log_actor_seq"), "audit_log", ["actor", "seq"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_actor_seq"), table_name="audit_log")
    op.drop_index(op.f("ix_declarations_lrn"), table_name="declarations")
    op.drop_index(op.f("ix_declarations_vehicle"), table_name="declarations")
    op.drop_column("declarations", "vehicle")
