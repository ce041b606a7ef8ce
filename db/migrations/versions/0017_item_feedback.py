"""per-item feedback (R14.2, R14.4, R14.5): the strengths and opportunities for improvement per
rubric item of each expert's scores and of the panel's consolidated opinion, and the feedback report
of every application that reached document review

Revision ID: 0017_item_feedback
Revises: 0015_supplementary_notice
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017_item_feedback"
down_revision = "0016_email_delivery"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    for table in ("expert_scores", "panel_opinions"):
        op.add_column(table, sa.Column("item_comments", JSON, server_default=sa.text("'{}'"), nullable=False))
    op.create_table(
        "feedback_reports",
        sa.Column("application_id", sa.String(length=20), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("notice_key", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_feedback_reports_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_feedback_reports_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_feedback_reports")),
    )
    op.create_index(op.f("ix_feedback_reports_cycle_year"), "feedback_reports", ["cycle_year"])
    op.create_index(op.f("ix_feedback_reports_enterprise_id"), "feedback_reports", ["enterprise_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_reports_enterprise_id"), table_name="feedback_reports")
    op.drop_index(op.f("ix_feedback_reports_cycle_year"), table_name="feedback_reports")
    op.drop_table("feedback_reports")
    for table in ("panel_opinions", "expert_scores"):
        op.drop_column(table, "item_comments")
