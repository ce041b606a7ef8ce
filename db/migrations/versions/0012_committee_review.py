"""the committee's review of investigation reports and the versions of the final list: an objection
may name no organisation and is scoped by the office (`concerns`); the committee's decision on each
substantiated finding (REMOVE / KEEP, with reasons); each version of the list proposed to the
government, with the return it answers and the decision on it (Art. 14(5), 14(6); R14.7, R14.8)

Revision ID: 0012_committee_review
Revises: 0010
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_committee_review"
down_revision = "0011_runoff"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.alter_column("objections", "application_id", existing_type=sa.String(length=20), nullable=True)
    op.add_column("objections", sa.Column("concerns", JSON, server_default=sa.text("'[]'"), nullable=False))
    # objections filed before: each concerns the organisation it named
    op.execute(
        "UPDATE objections SET concerns = jsonb_build_array(application_id) WHERE application_id IS NOT NULL"
    )
    op.create_table(
        "committee_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("objection_id", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["objection_id"], ["objections.id"], name=op.f("fk_committee_reviews_objection_id_objections")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_committee_reviews_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_reviews")),
        sa.UniqueConstraint("objection_id", "application_id", name="uq_committee_reviews_finding"),
    )
    op.create_index(op.f("ix_committee_reviews_cycle_year"), "committee_reviews", ["cycle_year"])
    op.create_table(
        "final_list_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("winners", JSON, nullable=False),
        sa.Column("removed", JSON, nullable=False),
        sa.Column("reinstated", JSON, nullable=False),
        sa.Column("kept", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fixed_by", sa.String(length=100), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers_version", sa.Integer(), nullable=True),
        sa.Column("answers_reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_no", sa.String(length=100), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_list_versions")),
        sa.UniqueConstraint("cycle_year", "version", name="uq_final_list_versions_version"),
    )
    op.create_index(op.f("ix_final_list_versions_cycle_year"), "final_list_versions", ["cycle_year"])


def downgrade() -> None:
    op.drop_index(op.f("ix_final_list_versions_cycle_year"), table_name="final_list_versions")
    op.drop_table("final_list_versions")
    op.drop_index(op.f("ix_committee_reviews_cycle_year"), table_name="committee_reviews")
    op.drop_table("committee_reviews")
    op.drop_column("objections", "concerns")
    op.execute("DELETE FROM objections WHERE application_id IS NULL")
    op.alter_column("objections", "application_id", existing_type=sa.String(length=20), nullable=False)
