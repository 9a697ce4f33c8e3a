"""upload jobs: large uploads stored first, then imported by a worker

`upload_jobs` holds the file and the job's progress; `upload_job_results` each document's
outcome, written in the same transaction as the batch that stored it, so that a job taken up
again after a crash skips what was done and lodges nothing twice.

Revision ID: 0015
Revises: 0013
Create Date: 2026-11-30 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=True),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("lines_total", sa.Integer(), nullable=False),
        sa.Column("lines_done", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_jobs")),
    )
    op.create_index(
        op.f("ix_upload_jobs_status_created_at"), "upload_jobs", ["status", "created_at"]
    )
    op.create_index(op.f("ix_upload_jobs_user_id"), "upload_jobs", ["user_id"])
    op.create_table(
        "upload_job_results",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["upload_jobs.id"],
            name=op.f("fk_upload_job_results_job_id_upload_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "position", name=op.f("pk_upload_job_results")),
    )


def downgrade() -> None:
    op.drop_table("upload_job_results")
    op.drop_index(op.f("ix_upload_jobs_user_id"), table_name="upload_jobs")
    op.drop_index(op.f("ix_upload_jobs_status_created_at"), table_name="upload_jobs")
    op.drop_table("upload_jobs")
