"""one cycle of any size: reads from PostgreSQL, gates, the notice relay, step failures

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The cycle keeps its intake, what it waits for and the gate it waits on (P5).
    op.add_column("cycles", sa.Column("intake_open", sa.Boolean(), server_default="true", nullable=False))
    op.add_column("cycles", sa.Column("applications_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("cycles", sa.Column("waiting_for", sa.Text(), server_default="", nullable=False))
    op.add_column("cycles", sa.Column("gate", sa.String(length=30), server_default="", nullable=False))
    op.add_column("cycles", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    # Each application keeps its stage in order, what it waits for and until when.
    op.add_column(
        "applications", sa.Column("stage_rank", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column("applications", sa.Column("waiting_for", sa.Text(), server_default="", nullable=False))
    op.add_column("applications", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("applications", sa.Column("submission_key", sa.String(length=100), nullable=True))
    op.create_index("ix_applications_cycle_year_stage", "applications", ["cycle_year", "stage"])
    op.create_index("ix_applications_enterprise_id", "applications", ["enterprise_id"])
    op.create_index("ix_applications_cycle_year_id", "applications", ["cycle_year", "id"])

    # The notice relay delivers PENDING notices, backing off after a failed attempt.
    op.add_column("notices", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("notices", sa.Column("last_error", sa.Text(), server_default="", nullable=False))
    op.create_index(
        "ix_notices_pending", "notices", ["id"], postgresql_where=sa.text("delivery_state = 'PENDING'")
    )

    # The public notice closes by the cycle's timer; objections are stored by the API first (P6).
    op.add_column("public_notices", sa.Column("closed", sa.Boolean(), server_default="false", nullable=False))
    op.add_column(
        "public_notices", sa.Column("objections_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "objections", sa.Column("investigate", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("objections", sa.Column("digest", sa.String(length=64), nullable=True))
    op.add_column("objections", sa.Column("request_key", sa.String(length=100), nullable=True))
    op.create_unique_constraint("uq_objections_request_key", "objections", ["cycle_year", "request_key"])
    op.execute("UPDATE objections SET investigate = (state <> 'RECORDED')")
    op.create_unique_constraint("uq_objections_digest", "objections", ["cycle_year", "digest"])
    op.create_index("ix_objections_pending", "objections", ["cycle_year", "investigate", "state"])

    op.create_table(
        "onsite_lists",
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column(
            "listed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "not_listed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fixed_by", sa.String(length=100), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cycle_year", name=op.f("pk_onsite_lists")),
    )
    op.create_table(
        "step_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=120), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_failures")),
    )
    op.create_index(op.f("ix_step_failures_workflow_id"), "step_failures", ["workflow_id"])
    op.create_index(op.f("ix_step_failures_cycle_year"), "step_failures", ["cycle_year"])


def downgrade() -> None:
    op.drop_index(op.f("ix_step_failures_cycle_year"), table_name="step_failures")
    op.drop_index(op.f("ix_step_failures_workflow_id"), table_name="step_failures")
    op.drop_table("step_failures")
    op.drop_table("onsite_lists")
    op.drop_index("ix_objections_pending", table_name="objections")
    op.drop_constraint("uq_objections_request_key", "objections", type_="unique")
    op.drop_column("objections", "request_key")
    op.drop_constraint("uq_objections_digest", "objections", type_="unique")
    op.drop_column("objections", "digest")
    op.drop_column("objections", "investigate")
    op.drop_column("public_notices", "objections_count")
    op.drop_column("public_notices", "closed")
    op.drop_index("ix_notices_pending", table_name="notices")
    op.drop_column("notices", "last_error")
    op.drop_column("notices", "next_attempt_at")
    op.drop_index("ix_applications_cycle_year_id", table_name="applications")
    op.drop_index("ix_applications_enterprise_id", table_name="applications")
    op.drop_index("ix_applications_cycle_year_stage", table_name="applications")
    for column in ("submission_key", "due_at", "waiting_for", "stage_rank"):
        op.drop_column("applications", column)
    for column in ("updated_at", "gate", "waiting_for", "applications_count", "intake_open"):
        op.drop_column("cycles", column)
