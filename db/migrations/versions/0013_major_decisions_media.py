"""the committee's decisions on major matters (Art. 7(1)) and the news-media exposure of a
revocation (Art. 17)

Revision ID: 0013_major_decisions_media
Revises: 0010
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_major_decisions_media"
down_revision = "0012_committee_review"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "major_decisions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("roster_size", sa.Integer(), nullable=False),
        sa.Column("present", JSON, nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=True),
        sa.Column("votes_against", sa.Integer(), nullable=True),
        sa.Column("votes_abstain", sa.Integer(), nullable=True),
        sa.Column("consenting", JSON, nullable=False),
        sa.Column("adopted", sa.Boolean(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_position", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_major_decisions")),
        sa.UniqueConstraint("cycle_year", "number", name="uq_major_decisions_number"),
        sa.UniqueConstraint("request_key", name=op.f("uq_major_decisions_request_key")),
    )
    op.create_index(op.f("ix_major_decisions_cycle_year"), "major_decisions", ["cycle_year"])
    op.create_table(
        "media_exposures",
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("certificate_number", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("medium", sa.String(length=200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["revocation_cases.id"], name=op.f("fk_media_exposures_case_id_revocation_cases")
        ),
        sa.ForeignKeyConstraint(
            ["certificate_number"],
            ["certificates.number"],
            name=op.f("fk_media_exposures_certificate_number_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["document_sha256"],
            ["documents.sha256"],
            name=op.f("fk_media_exposures_document_sha256_documents"),
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_media_exposures")),
    )
    op.create_index(op.f("ix_media_exposures_certificate_number"), "media_exposures", ["certificate_number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_media_exposures_certificate_number"), table_name="media_exposures")
    op.drop_table("media_exposures")
    op.drop_index(op.f("ix_major_decisions_cycle_year"), table_name="major_decisions")
    op.drop_table("major_decisions")
