"""legal bars and the rest-day calendar: holiday calendars per year, the posts of the committee
roster (Art. 6), the record of what contradicts an overridden qualification finding (Art. 11)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "holiday_calendars",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", JSON, nullable=False),
        sa.Column("workdays", JSON, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_holiday_calendars")),
    )
    op.add_column(
        "committee_members", sa.Column("post", sa.String(length=100), server_default="", nullable=False)
    )
    op.add_column(
        "qualification_checks",
        sa.Column("decision_fact_ids", JSON, server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column(
        "qualification_checks",
        sa.Column("decision_documents", JSON, server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("qualification_checks", "decision_documents")
    op.drop_column("qualification_checks", "decision_fact_ids")
    op.drop_column("committee_members", "post")
    op.drop_table("holiday_calendars")
