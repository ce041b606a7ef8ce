"""the supplementary notice (补充公示) of candidates added to the list after the government returned
it: the notice and its candidates, the notice an objection was filed during, and, on each version
of the list, the candidates that came through a supplementary notice (Art. 14(5), 14(6); R14.7,
R14.8)

Revision ID: 0015_supplementary_notice
Revises: 0013_major_decisions_media
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015_supplementary_notice"
down_revision = "0014_undertakings_criteria"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "supplementary_notices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("answers_version", sa.Integer(), nullable=False),
        sa.Column("candidates", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("make_room", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplementary_notices")),
        sa.UniqueConstraint("cycle_year", "seq", name="uq_supplementary_notices_seq"),
        sa.UniqueConstraint("cycle_year", "answers_version", name="uq_supplementary_notices_return"),
    )
    op.create_index(op.f("ix_supplementary_notices_cycle_year"), "supplementary_notices", ["cycle_year"])
    op.add_column("objections", sa.Column("notice_id", sa.String(length=40), nullable=True))
    op.add_column(
        "final_list_versions",
        sa.Column("supplemented", JSON, server_default=sa.text("'{}'"), nullable=False),
    )
    op.add_column(
        "final_list_versions",
        sa.Column("supplementary_notice", sa.String(length=40), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("final_list_versions", "supplementary_notice")
    op.drop_column("final_list_versions", "supplemented")
    op.drop_column("objections", "notice_id")
    op.drop_index(op.f("ix_supplementary_notices_cycle_year"), table_name="supplementary_notices")
    op.drop_table("supplementary_notices")
